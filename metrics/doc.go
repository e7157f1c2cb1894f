// Package metrics computes DORA's five software delivery metrics, and
// Toil, from typed delivery events: exact, explained and fast.
//
// The events are a [Change] (a commit or pull request), a [Deployment] of
// a service to an environment (with its outcome, version, the changes it
// carries and its [Kind]: normal, rollback, hotfix or unplanned), an
// [Incident] and a pipeline [Run] with manual and automated steps. From
// them a [Calculator] computes, per service and environment, for a
// [Window] and as a series of day, week or month buckets:
//
//   - deployment frequency, deployments per day;
//   - change lead time, the median from a change's clock start to the end
//     of the deployment that first carried it;
//   - change fail rate, the share of deployments that needed immediate
//     intervention: a rollback, a hotfix or a linked incident;
//   - failed deployment recovery time, the median time to recover a
//     failed deployment;
//   - deployment rework rate, the share of unplanned deployments (hotfixes
//     and unplanned deployments made because of an incident);
//   - [Toil], the manual steps of pipeline runs and their time against the
//     automated ones.
//
// Every choice is explicit and travels with the result in [Settings]:
// which event starts the lead-time clock ([WithLeadTimeStart]), how
// incidents link to deployments ([WithIncidentLinks]: an explicit link,
// then the version, then the nearest earlier deployment within
// [WithLinkWindow]), the median's definition ([WithQuantile]), the time
// zone, week start and bucket length, calendar or rolling windows, what a
// negative duration does ([WithNegative]), and the DORA report year whose
// performance tiers rate the values ([Tiers], [WithTierYear]).
//
// Each [Value] carries its sample size and the records it left out with
// the reason ([Exclusion]); without data it is undefined, never 0. Invalid
// records (a missing field, an unknown kind, an incident resolved before
// it was detected, one ID with two different records) count nowhere and
// are listed in [Result.Excluded]. Identical duplicates count once.
//
// [Calculator.Compute] is the batch computation. A [Stream] takes events
// one at a time, in any order, ignores repeats, files late events in the
// buckets they belong to and recomputes only the groups they touch; its
// results equal Compute's over the same events.
//
// The adapters that read events live in subpackages named after their
// medium: metrics/cdevents (CDEvents JSON), metrics/csv (CSV with
// documented columns) and metrics/evidencelog (deployment, incident and
// change statements in paved's evidence store). metrics/report writes a
// Result as JSON, Markdown or a self-contained HTML page with charts.
//
// Concurrency: a Calculator is immutable and safe for concurrent use; a
// Stream is safe for concurrent use by multiple goroutines. The package
// imports only the standard library.
package metrics
