// Package drift detects drift between what should be and what is, and
// records every check as signed evidence.
//
// Ledger drift ([Detector.Ledger]) compares the digests observed running
// in an environment, as the caller's tooling reads them, with what the
// supply-chain ledger says runs there (ledger.Current): another digest, a
// service not observed, or one the ledger never deployed there. The check
// is an attest.DeploymentDrift statement, the same predicate the pipeline's
// VerifyDeployed step records.
//
// Configuration drift ([Detector.Config], and the pure [Compare]) compares
// a desired JSON or YAML document (an IaC plan's planned values, a
// rendered manifest) with the actual one, as a structured diff with paths
// rooted at $ ("$.spec.replicas", "$.containers[0].image",
// "$['app.kubernetes.io/name']"). Values under keys that look like
// secrets ([DefaultRedact], or [WithRedact]) are recorded as
// "(redacted)". The check is an attest.ConfigDrift statement about the two
// documents' digests.
//
// Bad input fails with errors wrapping [ErrInvalidInput]; an unreadable
// document with a [*ParseError] saying which document and where.
//
// Concurrency: a Detector is safe for concurrent use; Compare keeps no
// state.
package drift
