package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paved-dev/paved/evidence"
)

// writeStmts are the statements of an append, prepared once on the writing
// connection.
type writeStmts struct {
	size, setSize, lookup, node                         *sql.Stmt
	insertEnvelope, insertRecord, insertNode            *sql.Stmt
	insertDigest, insertName, insertLabel, insertSigner *sql.Stmt
}

func (s *writeStmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&s.size, `SELECT size FROM log WHERE id = 0`},
		{&s.setSize, `UPDATE log SET size = ? WHERE id = 0`},
		{&s.lookup, `SELECT ` + recordColumns + `, NULL FROM records r WHERE r.id = ?`},
		{&s.node, `SELECT hash FROM nodes WHERE level = ? AND idx = ?`},
		{&s.insertEnvelope, `INSERT INTO envelopes (idx, data) VALUES (?, ?)`},
		{&s.insertRecord, `INSERT INTO records (idx, id, leaf_hash, envelope_size, predicate_type, stage, recorded_at, subjects, labels, signers)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&s.insertNode, `INSERT OR IGNORE INTO nodes (level, idx, hash) VALUES (?, ?, ?)`},
		{&s.insertDigest, `INSERT OR IGNORE INTO record_digests (digest, idx) VALUES (?, ?)`},
		{&s.insertName, `INSERT OR IGNORE INTO record_names (name, idx) VALUES (?, ?)`},
		{&s.insertLabel, `INSERT OR IGNORE INTO record_labels (key, value, idx) VALUES (?, ?, ?)`},
		{&s.insertSigner, `INSERT OR IGNORE INTO record_signers (key_id, idx) VALUES (?, ?)`},
	} {
		stmt, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.query, err)
		}
		*p.stmt = stmt
	}
	return nil
}

// in returns the statements bound to tx.
func (s *writeStmts) in(ctx context.Context, tx *sql.Tx) *writeStmts {
	return &writeStmts{
		size: tx.StmtContext(ctx, s.size), setSize: tx.StmtContext(ctx, s.setSize),
		lookup: tx.StmtContext(ctx, s.lookup), node: tx.StmtContext(ctx, s.node),
		insertEnvelope: tx.StmtContext(ctx, s.insertEnvelope), insertRecord: tx.StmtContext(ctx, s.insertRecord),
		insertNode: tx.StmtContext(ctx, s.insertNode), insertDigest: tx.StmtContext(ctx, s.insertDigest),
		insertName: tx.StmtContext(ctx, s.insertName), insertLabel: tx.StmtContext(ctx, s.insertLabel),
		insertSigner: tx.StmtContext(ctx, s.insertSigner),
	}
}

func (s *writeStmts) close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{s.size, s.setSize, s.lookup, s.node, s.insertEnvelope, s.insertRecord,
		s.insertNode, s.insertDigest, s.insertName, s.insertLabel, s.insertSigner} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}

// Append adds records to the end of the log in one BEGIN IMMEDIATE
// transaction, which excludes every other appender of the file, in this
// process or another. A record whose ID is stored already, or repeats an
// earlier one of the batch, is not stored again: the stored record takes
// its place in the result. The others (the fresh records) get consecutive
// indexes from the log's size; grow is called once, inside the
// transaction, with the size, the fresh records (indexes set) and a reader
// of the nodes stored, and every node it returns is stored with them. grow
// is not called when no record is fresh. Envelopes are stored once per
// record ID. The transaction commits durably (write-ahead log with
// synchronous=FULL) before Append returns; on any error nothing is stored.
//
// The result holds one record per input, in input order, without
// envelopes, as Get would return it. A fresh record must carry its envelope
// and ID, and its subjects, labels and signers must be valid UTF-8: such
// records are refused with an error wrapping evidence.ErrInvalidEntry.
func (b *Backend) Append(ctx context.Context, records []evidence.Record, grow evidence.GrowFunc) ([]evidence.Record, error) {
	if err := b.errIfClosed("append"); err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, nil
	}
	rows := make([]row, len(records))
	for i, r := range records {
		var err error
		if rows[i], err = encode(r); err != nil {
			return nil, &Error{Backend: "sqlite", Op: "append", Subject: r.ID, Err: err}
		}
	}
	out, fresh, err := b.append(ctx, records, rows, grow)
	if err != nil {
		return nil, b.fail("append", "", err)
	}
	b.log.DebugContext(ctx, "sqlite: appended", "path", b.path, "records", len(records), "fresh", fresh)
	return out, nil
}

func (b *Backend) append(ctx context.Context, records []evidence.Record, rows []row, grow evidence.GrowFunc) (out []evidence.Record, fresh int, err error) {
	tx, err := b.write.BeginTx(ctx, nil) // BEGIN IMMEDIATE: see the DSN
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	st := b.stmts.in(ctx, tx)

	var size int64
	if err := st.size.QueryRowContext(ctx).Scan(&size); err != nil {
		return nil, 0, fmt.Errorf("read size: %w", err)
	}

	out = make([]evidence.Record, len(records))
	var newRecs []evidence.Record
	var newRows []row
	seen := make(map[string]int, len(records)) // ID -> position in out
	for i, r := range records {
		if j, ok := seen[r.ID]; ok {
			out[i] = out[j]
			continue
		}
		seen[r.ID] = i
		stored, err := scanRecord(st.lookup.QueryRowContext(ctx, r.ID))
		switch {
		case err == nil:
			out[i] = stored
			continue
		case !errors.Is(err, sql.ErrNoRows):
			return nil, 0, fmt.Errorf("look up %s: %w", r.ID, err)
		}
		if err := rows[i].checkFresh(r); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", r.ID, err)
		}
		if size > math.MaxInt64-int64(len(newRecs))-1 {
			return nil, 0, errors.New("the log is full")
		}
		r.Index = uint64(size) + uint64(len(newRecs))
		r = normalize(r, rows[i].recordedAt())
		newRecs = append(newRecs, r)
		newRows = append(newRows, rows[i])
		out[i] = stripped(r)
	}
	if len(newRecs) == 0 {
		return out, 0, tx.Commit()
	}

	nodes, err := grow(uint64(size), slices.Clone(newRecs), nodeReader(ctx, st.node))
	if err != nil {
		return nil, 0, fmt.Errorf("grow: %w", err)
	}

	for k, r := range newRecs {
		if err := storeRecord(ctx, st, r, newRows[k]); err != nil {
			return nil, 0, err
		}
	}
	if err := storeNodes(ctx, st, nodes); err != nil {
		return nil, 0, err
	}
	if _, err := st.setSize.ExecContext(ctx, size+int64(len(newRecs))); err != nil {
		return nil, 0, fmt.Errorf("store size: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, fmt.Errorf("commit: %w", err)
	}
	return out, len(newRecs), nil
}

// storeRecord stores a fresh record, its envelope and its query index
// rows with the append transaction's statements.
func storeRecord(ctx context.Context, st *writeStmts, r evidence.Record, w row) error {
	idx := int64(r.Index)
	exec := func(s *sql.Stmt, args ...any) error {
		if _, err := s.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("store record %s: %w", r.ID, err)
		}
		return nil
	}
	if err := exec(st.insertRecord, idx, r.ID, nonNil(r.LeafHash), r.EnvelopeSize, r.PredicateType, r.Stage,
		w.recordedAtMicros, w.subjects, w.labels, w.signers); err != nil {
		return err
	}
	if err := exec(st.insertEnvelope, idx, r.Envelope); err != nil {
		return err
	}
	for _, s := range r.Subjects {
		if s.Name != "" {
			if err := exec(st.insertName, s.Name, idx); err != nil {
				return err
			}
		}
		for alg, hex := range s.Digest {
			if err := exec(st.insertDigest, alg+":"+hex, idx); err != nil {
				return err
			}
		}
	}
	for k, v := range r.Labels {
		if err := exec(st.insertLabel, k, v, idx); err != nil {
			return err
		}
	}
	for _, s := range r.Signers {
		if s.KeyID != "" {
			if err := exec(st.insertSigner, s.KeyID, idx); err != nil {
				return err
			}
		}
	}
	return nil
}

// storeNodes stores grow's nodes. A node stored already is fine only if
// its hash is the same.
func storeNodes(ctx context.Context, st *writeStmts, nodes map[evidence.NodeID][]byte) error {
	insert, read := st.insertNode, st.node
	for id, hash := range nodes {
		if id.Index > math.MaxInt64 {
			return fmt.Errorf("grow: node %d/%d: index out of range", id.Level, id.Index)
		}
		res, err := insert.ExecContext(ctx, int64(id.Level), int64(id.Index), nonNil(hash))
		if err != nil {
			return fmt.Errorf("store node %d/%d: %w", id.Level, id.Index, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store node %d/%d: %w", id.Level, id.Index, err)
		}
		if n == 1 {
			continue
		}
		var old []byte
		if err := read.QueryRowContext(ctx, int64(id.Level), int64(id.Index)).Scan(&old); err != nil {
			return fmt.Errorf("store node %d/%d: %w", id.Level, id.Index, err)
		}
		if !bytes.Equal(old, hash) {
			return fmt.Errorf("grow: node %d/%d is stored already with a different hash", id.Level, id.Index)
		}
	}
	return nil
}

// nodeReader reads node hashes through stmt, which belongs to the append's
// transaction.
func nodeReader(ctx context.Context, stmt *sql.Stmt) evidence.NodeReader {
	return func(ids []evidence.NodeID) ([][]byte, error) {
		return readNodes(ctx, stmt, ids)
	}
}

// readNodes looks up each node in turn. Nodes never change once stored, so
// the lookups need no common snapshot.
func readNodes(ctx context.Context, stmt *sql.Stmt, ids []evidence.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		subject := fmt.Sprintf("%d/%d", id.Level, id.Index)
		if id.Index > math.MaxInt64 {
			return nil, &Error{Backend: "sqlite", Op: "read node", Subject: subject, Err: evidence.ErrNotFound}
		}
		err := stmt.QueryRowContext(ctx, int64(id.Level), int64(id.Index)).Scan(&out[i])
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil, &Error{Backend: "sqlite", Op: "read node", Subject: subject, Err: evidence.ErrNotFound}
		case err != nil:
			return nil, &Error{Backend: "sqlite", Op: "read node", Subject: subject, Err: err}
		}
	}
	return out, nil
}

// nonNil returns b, or an empty slice for nil: the driver binds nil as
// NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
