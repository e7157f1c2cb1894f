// Package evidencelog reads DORA's events from paved's tamper-evident
// evidence log: the deployment, incident and change statements
// (attest.PredicateDeployment, PredicateIncident, PredicateChange) that
// pipelines sign and append to an evidence.Store.
//
// [Read] queries the store page by page, decodes each record's in-toto
// statement and maps its predicate:
//
//   - a deployment keeps its ID, service, environment, version, kind,
//     outcome, changes, previous deployment and times;
//   - an incident keeps its ID, service, environment, the deployment that
//     caused it, and its detection and resolution times;
//   - a change keeps its ID, repository and commit; its CreatedAt (when the
//     change was planned, its pull request opened) becomes PRCreatedAt.
//     Change records carry no commit time: compute lead time from them
//     with metrics.WithLeadTimeStart(metrics.ClockPRCreated), or the
//     metrics list every change as having no clock start.
//
// Every event comes with its [Origin], the log record it was read from,
// so that a number can be traced to a record with an inclusion proof.
// Records whose envelopes retention pruned are listed in [Events.Pruned],
// not silently dropped. A record that does not decode fails the read:
// nothing in the log is skipped unnoticed.
package evidencelog
