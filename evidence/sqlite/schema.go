package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration brings the schema from version-1 to version.
type migration struct {
	version int
	sql     string
}

// migrations is the schema's history, oldest first. Append to it; never
// edit a migration that has been released.
var migrations = []migration{
	{version: 1, sql: schemaV1},
	{version: 2, sql: schemaV2},
	{version: 3, sql: schemaV3},
	{version: 4, sql: schemaV4},
}

// schemaV1 is the first schema.
//
// records holds one row per record; idx is the log index (the rowid) and
// the JSON columns hold what Record carries beyond its scalar fields (NULL
// when empty). The record_* tables index those JSON values for queries,
// one row per (value, idx), so that a query walks the matching indexes in
// log order. blobs holds the envelopes, apart from the rows queries read.
// log holds the log's size in its only row. nodes holds the Merkle tree's
// perfect-subtree hashes; checkpoints the signed notes by size.
const schemaV1 = `
CREATE TABLE log (
	id   INTEGER PRIMARY KEY CHECK (id = 0),
	size INTEGER NOT NULL CHECK (size >= 0)
) STRICT;
INSERT INTO log (id, size) VALUES (0, 0);

CREATE TABLE blobs (
	id   TEXT PRIMARY KEY,
	data BLOB NOT NULL
) STRICT;

CREATE TABLE records (
	idx            INTEGER PRIMARY KEY CHECK (idx >= 0),
	id             TEXT    NOT NULL UNIQUE REFERENCES blobs (id),
	leaf_hash      BLOB    NOT NULL,
	envelope_size  INTEGER NOT NULL,
	predicate_type TEXT    NOT NULL,
	stage          TEXT    NOT NULL,
	recorded_at    INTEGER NOT NULL, -- Unix microseconds
	subjects       TEXT,             -- JSON array of supplychain.Subject
	labels         TEXT,             -- JSON object
	signers        TEXT              -- JSON array of sign.Identity
) STRICT;
CREATE INDEX records_predicate_type ON records (predicate_type);
CREATE INDEX records_stage ON records (stage);
CREATE INDEX records_recorded_at ON records (recorded_at);

CREATE TABLE record_digests (
	digest TEXT    NOT NULL, -- "alg:hex"
	idx    INTEGER NOT NULL REFERENCES records (idx) ON DELETE CASCADE ON UPDATE CASCADE,
	PRIMARY KEY (digest, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX record_digests_idx ON record_digests (idx);

CREATE TABLE record_names (
	name TEXT    NOT NULL,
	idx  INTEGER NOT NULL REFERENCES records (idx) ON DELETE CASCADE ON UPDATE CASCADE,
	PRIMARY KEY (name, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX record_names_idx ON record_names (idx);

CREATE TABLE record_labels (
	key   TEXT    NOT NULL,
	value TEXT    NOT NULL,
	idx   INTEGER NOT NULL REFERENCES records (idx) ON DELETE CASCADE ON UPDATE CASCADE,
	PRIMARY KEY (key, value, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX record_labels_idx ON record_labels (idx);

CREATE TABLE record_signers (
	key_id TEXT    NOT NULL,
	idx    INTEGER NOT NULL REFERENCES records (idx) ON DELETE CASCADE ON UPDATE CASCADE,
	PRIMARY KEY (key_id, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX record_signers_idx ON record_signers (idx);

CREATE TABLE nodes (
	level INTEGER NOT NULL,
	idx   INTEGER NOT NULL,
	hash  BLOB    NOT NULL,
	PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE checkpoints (
	size   INTEGER PRIMARY KEY,
	origin TEXT NOT NULL,
	root   BLOB NOT NULL,
	note   BLOB NOT NULL
) STRICT;
`

// schemaV2 adds retention: records.pruned_at (Unix microseconds) is set
// when Prune drops a record's envelope, which leaves an empty blob behind
// (records.id references it).
const schemaV2 = `ALTER TABLE records ADD COLUMN pruned_at INTEGER;`

// schemaV3 drops the record_* tables' indexes by idx. They served only the
// cascades of a records row's deletion or renumbering, which the log never
// does (a cascade still works without them, by a scan), and they cost four
// index rows and as many written pages per append. Queries reach those
// tables by their primary keys.
const schemaV3 = `
DROP INDEX record_digests_idx;
DROP INDEX record_names_idx;
DROP INDEX record_labels_idx;
DROP INDEX record_signers_idx;
`

// schemaV4 keys the envelopes by log index: the envelopes table replaces
// blobs, which was keyed by record ID. A record's ID was indexed twice
// (records.id and blobs.id, both random keys, so each append wrote a page
// of each), and reading records with their envelopes in log order (Audit,
// Scan) looked each one up by ID. The records table is rebuilt to drop its
// reference to blobs, and its indexes with it. The migration rewrites the
// whole log (about 1.5 s for 20,000 records of 4 KiB); the old tables'
// pages stay in the file, free for later appends (VACUUM returns them).
const schemaV4 = `
CREATE TABLE records_v4 (
	idx            INTEGER PRIMARY KEY CHECK (idx >= 0),
	id             TEXT    NOT NULL UNIQUE,
	leaf_hash      BLOB    NOT NULL,
	envelope_size  INTEGER NOT NULL,
	predicate_type TEXT    NOT NULL,
	stage          TEXT    NOT NULL,
	recorded_at    INTEGER NOT NULL, -- Unix microseconds
	subjects       TEXT,             -- JSON array of supplychain.Subject
	labels         TEXT,             -- JSON object
	signers        TEXT,             -- JSON array of sign.Identity
	pruned_at      INTEGER           -- Unix microseconds
) STRICT;
INSERT INTO records_v4 (idx, id, leaf_hash, envelope_size, predicate_type, stage, recorded_at, subjects, labels, signers, pruned_at)
	SELECT idx, id, leaf_hash, envelope_size, predicate_type, stage, recorded_at, subjects, labels, signers, pruned_at
	FROM records ORDER BY idx;

-- A pruned record's envelope is empty.
CREATE TABLE envelopes (
	idx  INTEGER PRIMARY KEY REFERENCES records (idx) ON DELETE CASCADE ON UPDATE CASCADE,
	data BLOB NOT NULL
) STRICT;
INSERT INTO envelopes (idx, data)
	SELECT r.idx, b.data FROM records r JOIN blobs b ON b.id = r.id ORDER BY r.idx;

DROP TABLE records;
DROP TABLE blobs;
ALTER TABLE records_v4 RENAME TO records;
CREATE INDEX records_predicate_type ON records (predicate_type);
CREATE INDEX records_stage ON records (stage);
CREATE INDEX records_recorded_at ON records (recorded_at);
`

// migrate brings the database's schema up to the last of list, in one
// transaction, and returns the resulting version and the versions applied.
// The writer's transactions are BEGIN IMMEDIATE, so processes opening the
// same file at once apply each migration once. Foreign keys are not
// enforced while the migrations run, so that they may rebuild a table
// that others reference (SQLite's way of changing a table's definition);
// every reference must hold before the transaction commits.
func migrate(ctx context.Context, db *sql.DB, list []migration) (version int, applied []int, err error) {
	for i, m := range list {
		if m.version != i+1 {
			return 0, nil, fmt.Errorf("migration %d has version %d", i+1, m.version)
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	var enforced bool
	if err := conn.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&enforced); err != nil {
		return 0, nil, fmt.Errorf("foreign keys: %w", err)
	}
	if enforced { // (the pragma is a no-op inside a transaction)
		if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return 0, nil, fmt.Errorf("foreign keys: %w", err)
		}
		defer func() {
			if _, onErr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); onErr != nil && err == nil {
				version, applied, err = 0, nil, fmt.Errorf("foreign keys: %w", onErr)
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, nil, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	const versionTable = `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL -- Unix microseconds
	) STRICT`
	if _, err := tx.ExecContext(ctx, versionTable); err != nil {
		return 0, nil, fmt.Errorf("schema version: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&version); err != nil {
		return 0, nil, fmt.Errorf("schema version: %w", err)
	}
	if version > len(list) {
		return 0, nil, fmt.Errorf("%w: the file has schema version %d, this code knows up to %d", ErrSchemaTooNew, version, len(list))
	}
	for _, m := range list[version:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return 0, nil, fmt.Errorf("schema migration %d: %w", m.version, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`,
			m.version, time.Now().UnixMicro()); err != nil {
			return 0, nil, fmt.Errorf("schema migration %d: %w", m.version, err)
		}
		applied = append(applied, m.version)
		version = m.version
	}
	if err := foreignKeyCheck(ctx, tx); err != nil {
		return 0, nil, err
	}
	if err := tx.Commit(); err != nil {
		return 0, nil, fmt.Errorf("schema migration: %w", err)
	}
	return version, applied, nil
}

// foreignKeyCheck returns an error naming the first reference of the
// database that does not hold, if any.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var (
			table, parent string
			rowid         sql.NullInt64
			fk            int
		)
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return fmt.Errorf("foreign key check: %w", err)
		}
		return fmt.Errorf("foreign key check: a row of %s (rowid %d) references a missing row of %s", table, rowid.Int64, parent)
	}
	return rows.Err()
}
