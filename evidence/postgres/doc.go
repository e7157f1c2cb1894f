// Package postgres is the shared backend of the evidence store: an
// [evidence.Backend] over a PostgreSQL database, for the many pipelines and
// teams that record evidence into one log.
//
// [Open] connects a pool (github.com/jackc/pgx/v5) to the database that a
// connection string names and brings the schema up to date, in the first
// schema of the connection's search_path. The schema is versioned: the
// schema_version table records each migration applied, migrations run in
// order in one transaction, and a database whose schema is newer than this
// code knows is refused with [ErrSchemaTooNew] rather than misread. Only an
// Open that migrates creates tables: a role that appends and reads needs
// no more than USAGE on the schema and SELECT, INSERT and UPDATE on its
// tables.
//
// The database holds the records (one row each, with their subjects,
// labels and signers as jsonb, plus index tables for queries by subject
// digest, subject name, label and signer key, and indexes for predicate
// type, stage and time), the envelopes in a table of their own keyed by
// record ID (stored once, loaded only when asked for, never copied into the
// rows that queries read), the Merkle tree's nodes, the signed checkpoints
// and the log's size.
//
// # Concurrency
//
// A [Backend] is safe for concurrent use by multiple goroutines, and any
// number of processes, on any number of machines, may open the same
// database at once. Every append runs in one transaction that first takes
// a transaction-scoped advisory lock ([AppendLockKey]), so exactly one
// appender, in any process, holds the log at a time and indexes stay
// consecutive; the others wait for it. Schema migrations take the same lock,
// so concurrent first opens of an empty database are safe. Readers never
// wait for the appender: each read sees the log as committed when it
// starts. Query streams its rows over one pooled connection until the loop
// over it ends; Scan reads through a server-side cursor in a read-only
// snapshot, so the whole log streams in bounded memory. A loop that stops
// early releases its connection at once. The pool needs at least two
// connections (an audit reads nodes while it scans).
//
// After [Backend.Close], every method returns an error wrapping
// [evidence.ErrClosed].
package postgres
