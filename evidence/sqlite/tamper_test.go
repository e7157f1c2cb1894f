package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/paved-dev/paved/evidence/sqlite"
)

// Tamper edits an evidence database directly, behind its Backend's back,
// as someone with write access to the file would: the conformance suite's
// evidencetest.Tamperer. Its methods are safe for concurrent use.
type Tamper struct {
	db *sql.DB
}

// NewTamper opens a second connection to the database file at path; t
// closes it at the end.
func NewTamper(t testing.TB, path string) *Tamper {
	t.Helper()
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: "_busy_timeout=30000&_foreign_keys=1&_txlock=immediate"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		t.Fatalf("tamper: open %s: %v", path, err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return &Tamper{db: db}
}

// OpenTampered opens a backend on a fresh file in t's temporary directory,
// with a Tamper over the same file, for evidencetest.TestBackend:
//
//	evidencetest.TestBackend(t, func(t *testing.T) (evidence.Backend, evidencetest.Tamperer) { return OpenTampered(t) })
//
// The backend is closed when t ends, if nobody closed it before.
func OpenTampered(t testing.TB) (*sqlite.Backend, *Tamper) {
	t.Helper()
	b, path := open(t)
	return b, NewTamper(t, path)
}

func index(i uint64) (int64, error) {
	if i > math.MaxInt64 {
		return 0, fmt.Errorf("tamper: index %d out of range", i)
	}
	return int64(i), nil
}

// exec runs one statement that must change exactly one row.
func (tm *Tamper) exec(ctx context.Context, what, query string, args ...any) error {
	res, err := tm.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("tamper: %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("tamper: %s: %d rows changed (%v)", what, n, err)
	}
	return nil
}

// DeleteRecord removes the record at index (and its query index rows),
// leaving the log's size, its envelope and the tree as they were.
func (tm *Tamper) DeleteRecord(ctx context.Context, i uint64) error {
	idx, err := index(i)
	if err != nil {
		return err
	}
	return tm.exec(ctx, fmt.Sprintf("delete record %d", i), `DELETE FROM records WHERE idx = ?`, idx)
}

// RewriteStage changes the stored stage of the record at index.
func (tm *Tamper) RewriteStage(ctx context.Context, i uint64, stage string) error {
	idx, err := index(i)
	if err != nil {
		return err
	}
	return tm.exec(ctx, fmt.Sprintf("rewrite stage of %d", i), `UPDATE records SET stage = ? WHERE idx = ?`, stage, idx)
}

// SwapRecords exchanges the contents of the records at i and j (their
// query index rows follow them), keeping the indexes where they were.
func (tm *Tamper) SwapRecords(ctx context.Context, i, j uint64) (err error) {
	a, err := index(i)
	if err != nil {
		return err
	}
	b, err := index(j)
	if err != nil {
		return err
	}
	if a == b {
		return fmt.Errorf("tamper: swap %d with itself", i)
	}
	tx, err := tm.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("tamper: swap %d and %d: %w", i, j, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// Moving a row's index moves its query index rows with it (ON UPDATE
	// CASCADE); the index after the last is free.
	var free int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(idx), 0) + 1 FROM records`).Scan(&free); err != nil {
		return fmt.Errorf("tamper: swap %d and %d: %w", i, j, err)
	}
	for _, move := range [][2]int64{{a, free}, {b, a}, {free, b}} {
		res, err := tx.ExecContext(ctx, `UPDATE records SET idx = ? WHERE idx = ?`, move[1], move[0])
		if err != nil {
			return fmt.Errorf("tamper: swap %d and %d: %w", i, j, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("tamper: swap %d and %d: no record at %d", i, j, move[0])
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("tamper: swap %d and %d: %w", i, j, err)
	}
	return nil
}

// CorruptEnvelope flips the low bit of the middle byte of the stored
// envelope of the record at index.
func (tm *Tamper) CorruptEnvelope(ctx context.Context, i uint64) error {
	idx, err := index(i)
	if err != nil {
		return err
	}
	var data []byte
	err = tm.db.QueryRowContext(ctx, `SELECT data FROM envelopes WHERE idx = ?`, idx).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) || len(data) == 0 {
		return fmt.Errorf("tamper: corrupt envelope of %d: no envelope", i)
	}
	if err != nil {
		return fmt.Errorf("tamper: corrupt envelope of %d: %w", i, err)
	}
	data[len(data)/2] ^= 1
	return tm.exec(ctx, fmt.Sprintf("corrupt envelope of %d", i), `UPDATE envelopes SET data = ? WHERE idx = ?`, data, idx)
}
