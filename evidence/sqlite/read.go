package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved/evidence"
)

// Get returns the record with the given ID, envelope included, or an error
// wrapping evidence.ErrNotFound.
func (b *Backend) Get(ctx context.Context, id string) (evidence.Record, error) {
	if err := b.errIfClosed("get"); err != nil {
		return evidence.Record{}, err
	}
	stmt, done, err := b.reads.get(ctx, `SELECT `+recordColumns+`, e.data FROM records r LEFT JOIN envelopes e ON e.idx = r.idx WHERE r.id = ?`)
	if err != nil {
		return evidence.Record{}, b.fail("get", id, err)
	}
	defer done()
	r, err := scanRecord(stmt.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = evidence.ErrNotFound
	}
	if err != nil {
		return evidence.Record{}, b.fail("get", id, err)
	}
	return r, nil
}

// Size returns the number of records in the log.
func (b *Backend) Size(ctx context.Context) (uint64, error) {
	if err := b.errIfClosed("size"); err != nil {
		return 0, err
	}
	stmt, done, err := b.reads.get(ctx, `SELECT size FROM log WHERE id = 0`)
	if err != nil {
		return 0, b.fail("size", "", err)
	}
	defer done()
	var n int64
	if err := stmt.QueryRowContext(ctx).Scan(&n); err != nil {
		return 0, b.fail("size", "", err)
	}
	return uint64(n), nil
}

// Nodes returns the hashes of the given tree nodes, in order, or an error
// wrapping evidence.ErrNotFound if one is missing.
func (b *Backend) Nodes(ctx context.Context, ids []evidence.NodeID) ([][]byte, error) {
	if err := b.errIfClosed("nodes"); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return [][]byte{}, nil
	}
	if run(ids) {
		return b.nodeRun(ctx, ids)
	}
	stmt, done, err := b.reads.get(ctx, `SELECT hash FROM nodes WHERE level = ? AND idx = ?`)
	if err != nil {
		return nil, b.fail("nodes", "", err)
	}
	defer done()
	hashes, err := readNodes(ctx, stmt, ids)
	if err != nil {
		if b.closed.Load() {
			return nil, b.fail("nodes", "", err)
		}
		return nil, err
	}
	return hashes, nil
}

// run reports whether ids are consecutive nodes of one level (as Audit
// asks for leaves), which one range query reads.
func run(ids []evidence.NodeID) bool {
	if len(ids) < 2 || ids[0].Index > math.MaxInt64-uint64(len(ids)) {
		return false
	}
	for i, id := range ids {
		if id.Level != ids[0].Level || id.Index != ids[0].Index+uint64(i) {
			return false
		}
	}
	return true
}

// nodeRun reads a run of consecutive nodes of one level.
func (b *Backend) nodeRun(ctx context.Context, ids []evidence.NodeID) ([][]byte, error) {
	stmt, done, err := b.reads.get(ctx, `SELECT idx, hash FROM nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx`)
	if err != nil {
		return nil, b.fail("nodes", "", err)
	}
	defer done()
	first := ids[0].Index
	rows, err := stmt.QueryContext(ctx, int64(ids[0].Level), int64(first), int64(first)+int64(len(ids)))
	if err != nil {
		return nil, b.fail("nodes", "", err)
	}
	defer rows.Close()
	out := make([][]byte, len(ids))
	for rows.Next() {
		var (
			idx  int64
			hash []byte
		)
		if err := rows.Scan(&idx, &hash); err != nil {
			return nil, b.fail("nodes", "", err)
		}
		out[uint64(idx)-first] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, b.fail("nodes", "", err)
	}
	for i, h := range out {
		if h == nil {
			subject := fmt.Sprintf("%d/%d", ids[i].Level, ids[i].Index)
			return nil, &Error{Backend: "sqlite", Op: "read node", Subject: subject, Err: evidence.ErrNotFound}
		}
	}
	return out, nil
}

// Scan yields every record from index from on, in index order, with its
// envelope. It streams: one record is in memory at a time, and the loop
// sees the log as it was when the loop started.
func (b *Backend) Scan(ctx context.Context, from uint64) iter.Seq2[evidence.Record, error] {
	if from > math.MaxInt64 {
		return b.records(ctx, "scan", "")
	}
	return b.records(ctx, "scan",
		`SELECT `+recordColumns+`, e.data FROM records r LEFT JOIN envelopes e ON e.idx = r.idx WHERE r.idx >= ? ORDER BY r.idx`,
		int64(from))
}

// Query yields the records that match q in index order (newest first if
// q.Descending), strictly after the record that q.After names in that
// order, at most q.Limit of them (evidence.DefaultQueryLimit if it is not
// positive), with their envelopes only if q.WithEnvelopes. Every field of
// q that is set must match.
//
// A query is driven by the most selective index it can use: subject digest,
// then subject name, signer key ID, label, and the records' own indexes on
// predicate type, stage and time; the other fields filter what that index
// yields.
func (b *Backend) Query(ctx context.Context, q evidence.Query) iter.Seq2[evidence.Record, error] {
	query, args, ok := buildQuery(q)
	if !ok {
		return b.records(ctx, "query", "")
	}
	return b.records(ctx, "query", query, args...)
}

// records runs a query of recordColumns and an envelope, and yields its
// rows; an empty query yields nothing.
func (b *Backend) records(ctx context.Context, op, query string, args ...any) iter.Seq2[evidence.Record, error] {
	return func(yield func(evidence.Record, error) bool) {
		if err := b.errIfClosed(op); err != nil {
			yield(evidence.Record{}, err)
			return
		}
		if query == "" {
			return
		}
		stmt, done, err := b.reads.get(ctx, query)
		if err != nil {
			yield(evidence.Record{}, b.fail(op, "", err))
			return
		}
		defer done()
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			yield(evidence.Record{}, b.fail(op, "", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				yield(evidence.Record{}, b.fail(op, "", err))
				return
			}
			if !yield(r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(evidence.Record{}, b.fail(op, "", err))
		}
	}
}

// buildQuery returns the SQL and arguments of q, or false if q can match
// nothing.
func buildQuery(q evidence.Query) (string, []any, bool) {
	var (
		from  = "records r"
		order = "r.idx"
		where []string
		args  []any
	)
	cond := func(c string, a ...any) {
		where = append(where, c)
		args = append(args, a...)
	}
	labels := slices.Sorted(func(yield func(string) bool) {
		for k := range q.Labels {
			if !yield(k) {
				return
			}
		}
	})
	// The driving index: its rows are walked in index order and joined to
	// the records; CROSS JOIN keeps SQLite from reordering the join.
	drive := func(table, c string, a ...any) {
		from = table + " x CROSS JOIN records r ON r.idx = x.idx"
		order = "x.idx"
		cond(c, a...)
	}
	digest, name, signer := q.SubjectDigest != "", q.SubjectName != "", q.Signer != ""
	switch {
	case digest:
		drive("record_digests", "x.digest = ?", q.SubjectDigest)
		digest = false
	case name:
		drive("record_names", "x.name = ?", q.SubjectName)
		name = false
	case signer:
		drive("record_signers", "x.key_id = ?", q.Signer)
		signer = false
	case len(labels) > 0:
		drive("record_labels", "x.key = ? AND x.value = ?", labels[0], q.Labels[labels[0]])
		labels = labels[1:]
	}
	if digest {
		cond("EXISTS (SELECT 1 FROM record_digests d WHERE d.digest = ? AND d.idx = r.idx)", q.SubjectDigest)
	}
	if name {
		cond("EXISTS (SELECT 1 FROM record_names n WHERE n.name = ? AND n.idx = r.idx)", q.SubjectName)
	}
	if signer {
		cond("EXISTS (SELECT 1 FROM record_signers s WHERE s.key_id = ? AND s.idx = r.idx)", q.Signer)
	}
	for _, k := range labels {
		cond("EXISTS (SELECT 1 FROM record_labels l WHERE l.key = ? AND l.value = ? AND l.idx = r.idx)", k, q.Labels[k])
	}
	if q.PredicateType != "" {
		cond("r.predicate_type = ?", q.PredicateType)
	}
	if q.Stage != "" {
		cond("r.stage = ?", q.Stage)
	}
	if !q.Since.IsZero() {
		cond("r.recorded_at >= ?", ceilMicros(q.Since))
	}
	if !q.Until.IsZero() {
		cond("r.recorded_at < ?", ceilMicros(q.Until))
	}
	if after, ok := q.AfterIndex(); ok {
		switch {
		case after <= math.MaxInt64 && q.Descending:
			cond(order+" < ?", int64(after))
		case after <= math.MaxInt64:
			cond(order+" > ?", int64(after))
		case !q.Descending: // no index is after one beyond int64
			return "", nil, false
		}
	}
	envelope := "NULL"
	if q.WithEnvelopes {
		from += " LEFT JOIN envelopes e ON e.idx = r.idx"
		envelope = "e.data"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = evidence.DefaultQueryLimit
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "SELECT %s, %s FROM %s", recordColumns, envelope, from)
	if len(where) > 0 {
		sb.WriteString(" WHERE ")
		sb.WriteString(strings.Join(where, " AND "))
	}
	dir := "ASC"
	if q.Descending {
		dir = "DESC"
	}
	fmt.Fprintf(&sb, " ORDER BY %s %s LIMIT ?", order, dir)
	args = append(args, limit)
	return sb.String(), args, true
}

// ceilMicros returns t in Unix microseconds, rounded up: recorded times
// have microsecond precision, so for a record at m, m >= t exactly when
// m >= ceilMicros(t), and m < t exactly when m < ceilMicros(t).
func ceilMicros(t time.Time) int64 {
	m := t.UnixMicro()
	if t.Nanosecond()%1000 != 0 {
		m++
	}
	return m
}

// AddCheckpoint stores a signed checkpoint. Storing a checkpoint of a size
// that is stored already keeps the first and is not an error.
func (b *Backend) AddCheckpoint(ctx context.Context, c evidence.Checkpoint) error {
	if err := b.errIfClosed("add checkpoint"); err != nil {
		return err
	}
	subject := fmt.Sprintf("%d", c.Size)
	if c.Size > math.MaxInt64 {
		return &Error{Backend: "sqlite", Op: "add checkpoint", Subject: subject, Err: errors.New("size out of range")}
	}
	if _, err := b.write.ExecContext(ctx, `INSERT OR IGNORE INTO checkpoints (size, origin, root, note) VALUES (?, ?, ?, ?)`,
		int64(c.Size), c.Origin, nonNil(c.Root), nonNil(c.Note)); err != nil {
		return b.fail("add checkpoint", subject, err)
	}
	return nil
}

// Checkpoints yields the stored checkpoints by increasing size.
func (b *Backend) Checkpoints(ctx context.Context) iter.Seq2[evidence.Checkpoint, error] {
	const op = "checkpoints"
	return func(yield func(evidence.Checkpoint, error) bool) {
		if err := b.errIfClosed(op); err != nil {
			yield(evidence.Checkpoint{}, err)
			return
		}
		stmt, done, err := b.reads.get(ctx, `SELECT size, origin, root, note FROM checkpoints ORDER BY size`)
		if err != nil {
			yield(evidence.Checkpoint{}, b.fail(op, "", err))
			return
		}
		defer done()
		rows, err := stmt.QueryContext(ctx)
		if err != nil {
			yield(evidence.Checkpoint{}, b.fail(op, "", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var (
				c    evidence.Checkpoint
				size int64
			)
			if err := rows.Scan(&size, &c.Origin, &c.Root, &c.Note); err != nil {
				yield(evidence.Checkpoint{}, b.fail(op, "", err))
				return
			}
			c.Size = uint64(size)
			if len(c.Root) == 0 {
				c.Root = nil
			}
			if len(c.Note) == 0 {
				c.Note = nil
			}
			if !yield(c, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(evidence.Checkpoint{}, b.fail(op, "", err))
		}
	}
}
