// Package evidencetest is the conformance suite every evidence.Backend runs,
// paved's own and third parties': TestBackend drives a Store over a fresh
// backend through appends, idempotency, atomicity, queries and pagination,
// concurrent appenders, proofs and checkpoints, and audits after tampering
// done directly in the backend's storage.
package evidencetest
