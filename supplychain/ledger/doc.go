// Package ledger is the record of what shipped: releases and their
// deployments, stored as signed in-toto statements in an evidence store,
// and the questions asked of them.
//
// A [Release] (service, version, artifact digests as the statement's
// subjects, the evidence record IDs of its SBOMs, SLSA provenance and
// approvals, who released it and when) is the predicate of paved's own
// type [PredicateRelease]; [Ledger.RecordRelease] checks, failing closed,
// that every reference is a record of the right type about one of the
// release's artifacts, and that approvals approve this release. A
// deployment is the attest.Deployment predicate, recorded by
// [Ledger.RecordDeployment] about the artifacts of a recorded release.
// [Ledger.RecordSBOM] stores a CycloneDX or SPDX document for a release to
// refer to.
//
// The ledger keeps no state of its own: every answer is read from the
// signed statements in the store (labels are only tags). [Ledger.Current]
// says what runs in an environment now, [Ledger.History] gives a service's
// releases and deployments, [Ledger.RollbackTarget] the last good version
// before the current one, and [Ledger.Containing] every release whose
// SBOMs list a package in a version [Range] ("which of our releases
// contain log4j-core below 2.17.1?"), with versions ordered as the
// package's ecosystem orders them (vuln.Compare, on osv-scalibr's semantic
// package). What cannot be read or ordered is reported, never dropped.
//
// A Ledger is safe for concurrent use by multiple goroutines.
package ledger
