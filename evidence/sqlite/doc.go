// Package sqlite is the embedded default backend of the evidence store: an
// [evidence.Backend] over a single SQLite file, in pure Go (modernc.org/sqlite,
// no cgo), so a program that records evidence needs no server.
//
// [Open] creates the file (and its directory) when it is absent, switches it
// to write-ahead logging with synchronous=FULL, so an append is durable when
// it returns, and brings its schema up to date. The schema is versioned: the
// schema_version table records each migration applied, migrations run in one
// transaction, and a file whose schema is newer than this code knows is
// refused with [ErrSchemaTooNew] rather than misread.
//
// The file holds the records (one row each, with their subjects, labels and
// signers as JSON, plus index tables for queries by subject digest, subject
// name, label and signer key), the envelopes (stored once per record ID,
// apart from the rows that queries read), the Merkle tree's nodes and the
// signed checkpoints.
//
// # Concurrency
//
// A [Backend] is safe for concurrent use by multiple goroutines, and several
// processes may open the same file at once. Every append runs in one
// BEGIN IMMEDIATE transaction, so exactly one appender, in any process, holds
// the log at a time and indexes stay consecutive; the others wait (up to the
// busy timeout, see [WithBusyTimeout]) instead of failing. Readers never block
// the appender nor each other: each read sees the log as of its start, and an
// iterator (Query, Scan, Checkpoints) keeps that snapshot until the loop over
// it ends. After [Backend.Close], every method returns an error wrapping
// [evidence.ErrClosed].
package sqlite
