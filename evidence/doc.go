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
// Retention: [Store.Prune] applies a [Retention] policy (how long records of
// each predicate type keep their envelopes; legal holds by label). Pruning
// drops envelopes but keeps records and leaf hashes, so proofs and Audit
// still verify; each prune is first recorded in the log as a signed
// statement of paved's prune predicate listing the records it prunes, and
// Audit reports an envelope missing without one. [Store.Export] writes an
// evidence pack (records, envelopes, inclusion proofs, a checkpoint) that
// [VerifyPack] checks offline.
//
// Storage is a small [Backend] interface; the media live in subpackages
// (evidence/sqlite, the embedded default; evidence/postgres, for a store
// shared by many pipelines) and must pass the conformance
// suite in evidence/evidencetest.
//
// Concurrency: a Store is safe for concurrent use, and several Stores, in
// several processes, may share a Backend that serializes appends.
package evidence
