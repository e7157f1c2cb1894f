// Package evidence is paved's tamper-evident evidence log: every signed
// statement lands here, and it is what an auditor trusts.
//
// A [Store] verifies each appended DSSE envelope against a trust policy
// (supplychain/sign), and appends it as a [Record] to an RFC 6962 Merkle
// tree in append order: the leaf commits to the envelope's digest and to
// everything the record says (predicate type, subjects, stage, labels,
// signers, time). Records are queried by subject, predicate type, stage,
// label, signer and time ([Query]); envelopes, which may be large, are
// stored once by digest and loaded only when asked for.
//
// [Store.Checkpoint] signs the log's size and root in the signed-note format
// of golang.org/x/mod/sumdb/note. [Store.InclusionProof] and
// [Store.ConsistencyProof] prove a record's place and the log's
// append-only growth, and [VerifyInclusion] and [VerifyConsistency] check
// them with nothing but the checkpoint's public key. [Store.Audit]
// recomputes everything and reports a deleted, reordered or rewritten
// record with its index.
//
// Storage is a small [Backend] interface; the media live in subpackages
// (evidence/sqlite, the embedded default) and must pass the conformance
// suite in evidence/evidencetest.
//
// Concurrency: a Store is safe for concurrent use, and several Stores, in
// several processes, may share a Backend that serializes appends.
package evidence
