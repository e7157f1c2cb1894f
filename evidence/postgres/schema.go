package postgres

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
)

// migrations returns the schema's migrations: migration i (from 0) brings
// the schema to version i+1. A released migration never changes; a change
// of schema is a new migration at the end.
func migrations() [][]string {
	return [][]string{
		// Version 1: records, envelopes, index tables, tree, checkpoints.
		{
			// The log's size: one row, updated by every append.
			`CREATE TABLE log_state (
				singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
				size bigint NOT NULL CHECK (size >= 0)
			)`,
			`INSERT INTO log_state (size) VALUES (0)`,
			// One row per record, in log order; subjects, labels and
			// signers as the JSON the leaf hash commits to.
			`CREATE TABLE records (
				idx bigint PRIMARY KEY CHECK (idx >= 0),
				id text NOT NULL UNIQUE,
				leaf_hash bytea NOT NULL,
				envelope_size bigint NOT NULL,
				predicate_type text NOT NULL,
				stage text NOT NULL,
				recorded_at bigint NOT NULL,
				subjects jsonb NOT NULL,
				labels jsonb NOT NULL,
				signers jsonb NOT NULL
			)`,
			`CREATE INDEX records_predicate_type ON records (predicate_type, idx)`,
			`CREATE INDEX records_stage ON records (stage, idx)`,
			`CREATE INDEX records_recorded_at ON records (recorded_at, idx)`,
			// Envelopes, once per record ID (the envelope's digest), apart
			// from the rows that queries read.
			`CREATE TABLE blobs (
				id text PRIMARY KEY,
				envelope bytea NOT NULL
			)`,
			// Index tables: one row per distinct value and record.
			`CREATE TABLE record_subject_digests (
				digest text NOT NULL,
				idx bigint NOT NULL,
				PRIMARY KEY (digest, idx)
			)`,
			`CREATE TABLE record_subject_names (
				name text NOT NULL,
				idx bigint NOT NULL,
				PRIMARY KEY (name, idx)
			)`,
			`CREATE TABLE record_labels (
				key text NOT NULL,
				value text NOT NULL,
				idx bigint NOT NULL,
				PRIMARY KEY (key, value, idx)
			)`,
			`CREATE TABLE record_signers (
				key_id text NOT NULL,
				idx bigint NOT NULL,
				PRIMARY KEY (key_id, idx)
			)`,
			// The Merkle tree: the root of the perfect subtree of 2^level
			// leaves starting at leaf idx<<level.
			`CREATE TABLE nodes (
				level smallint NOT NULL CHECK (level >= 0 AND level < 64),
				idx bigint NOT NULL CHECK (idx >= 0),
				hash bytea NOT NULL,
				PRIMARY KEY (level, idx)
			)`,
			`CREATE TABLE checkpoints (
				size bigint PRIMARY KEY CHECK (size >= 0),
				origin text NOT NULL,
				root bytea NOT NULL,
				note bytea NOT NULL
			)`,
		},
		// Version 2: retention. pruned_at (Unix microseconds) is set when
		// Prune deletes a record's envelope.
		{
			`ALTER TABLE records ADD COLUMN pruned_at bigint`,
		},
	}
}

// SchemaVersion is the newest schema version this code knows and migrates
// a database to.
const SchemaVersion = 2

// migrate brings the schema to SchemaVersion in one transaction under the
// append lock, so that concurrent first opens apply each migration once.
func (b *Backend) migrate(ctx context.Context) error {
	all := migrations()
	tx, err := b.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer rollback(ctx, tx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, AppendLockKey); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	// A migrated schema needs no DDL, so that a role without the right
	// to create tables can open it.
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE TABLE schema_version (
				version integer PRIMARY KEY,
				applied_at timestamptz NOT NULL DEFAULT now()
			)`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	var version int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&version); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if version > len(all) {
		return fmt.Errorf("%w: the database has schema version %d, this code knows up to %d", ErrSchemaTooNew, version, len(all))
	}
	if version == len(all) {
		return nil // up to date; the rollback releases the lock
	}
	for v := version; v < len(all); v++ {
		for _, stmt := range all[v] {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("migrate to version %d: %w", v+1, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, v+1); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	b.logger.LogAttrs(ctx, slog.LevelInfo, "postgres: schema migrated", slog.Int("from", version), slog.Int("to", len(all)))
	return nil
}
