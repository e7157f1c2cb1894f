// Package cdevents reads CDEvents (spec 0.4 and 0.5) as metrics events,
// with its own parser and validation.
//
// [Read] takes a JSON document of events (one event object, an array of
// them, or one per line) and returns metrics.Events built from these event
// types:
//
//   - dev.cdevents.change.merged: a metrics.Change with ID subject.id and
//     Repository content.repository.id. CDEvents carry no commit time; the
//     merge commit lands when the change is merged, so the event's
//     timestamp is both MergedAt and CommittedAt.
//   - dev.cdevents.artifact.packaged: ties the artifact (subject.id) to the
//     change in content.change; artifact.published is validated and
//     otherwise adds nothing.
//   - dev.cdevents.service.deployed and service.upgraded: a normal
//     metrics.Deployment, service.rolledback a rollback. The deployment's
//     ID is the event's context.id, Service subject.id, Environment
//     content.environment.id, FinishedAt the timestamp, Version
//     content.artifactId, and it carries the changes of the packaged
//     artifact of that ID.
//   - dev.cdevents.incident.detected, incident.reported and
//     incident.resolved: one metrics.Incident per subject.id, detected at
//     the earliest detected or reported event, resolved at the resolved
//     one; Service content.service.id, Environment content.environment.id,
//     Version content.artifactId.
//
// Every event's context is checked: context.specversion 0.4.x or 0.5.x,
// context.id, context.source, context.type of the form
// dev.cdevents.SUBJECT.PREDICATE.0.MINOR.PATCH, context.timestamp in RFC
// 3339, subject.id, and the content fields above. Events of other types are
// checked the same way and then ignored. A malformed document is an error
// joining one *EventError per bad event, each with the event's position
// and the field; nothing is returned from a document with errors.
package cdevents
