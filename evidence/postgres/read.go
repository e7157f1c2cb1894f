package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paved-dev/paved/evidence"
)

// recordColumns are the columns scanRecord reads, from records aliased r.
const recordColumns = `r.idx, r.id, r.leaf_hash, r.envelope_size, r.predicate_type, r.stage, r.recorded_at, r.subjects, r.labels, r.signers, r.pruned_at`

// scanBatch is how many rows Scan fetches from its cursor at a time.
const scanBatch = 256

// scanRecord reads recordColumns, and the envelope after them if withEnvelope.
func scanRecord(row pgx.Row, withEnvelope bool) (evidence.Record, error) {
	var (
		r                         evidence.Record
		idx, at                   int64
		subjects, labels, signers []byte
		pruned                    *int64
	)
	dst := []any{&idx, &r.ID, &r.LeafHash, &r.EnvelopeSize, &r.PredicateType, &r.Stage, &at, &subjects, &labels, &signers, &pruned}
	if withEnvelope {
		dst = append(dst, &r.Envelope)
	}
	if err := row.Scan(dst...); err != nil {
		return evidence.Record{}, err
	}
	if idx < 0 {
		return evidence.Record{}, fmt.Errorf("record %s has a negative index %d", r.ID, idx)
	}
	r.Index = uint64(idx)
	r.RecordedAt = time.UnixMicro(at).UTC()
	if pruned != nil {
		r.PrunedAt = time.UnixMicro(*pruned).UTC()
		r.Envelope = nil
	}
	if err := json.Unmarshal(subjects, &r.Subjects); err != nil {
		return evidence.Record{}, fmt.Errorf("record %d: subjects: %w", idx, err)
	}
	if err := json.Unmarshal(labels, &r.Labels); err != nil {
		return evidence.Record{}, fmt.Errorf("record %d: labels: %w", idx, err)
	}
	if err := json.Unmarshal(signers, &r.Signers); err != nil {
		return evidence.Record{}, fmt.Errorf("record %d: signers: %w", idx, err)
	}
	return r, nil
}

// querier is what reads run on: the pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// readNodes reads node hashes in the order of ids; a missing node is an
// error wrapping evidence.ErrNotFound.
func readNodes(ctx context.Context, q querier, ids []evidence.NodeID) ([][]byte, error) {
	if len(ids) == 0 {
		return [][]byte{}, nil
	}
	levels := make([]int16, len(ids))
	indexes := make([]int64, len(ids))
	for i, id := range ids {
		if id.Level >= 64 || id.Index > math.MaxInt64 {
			return nil, fmt.Errorf("tree node %d/%d: %w", id.Level, id.Index, evidence.ErrNotFound)
		}
		levels[i], indexes[i] = int16(id.Level), int64(id.Index)
	}
	rows, err := q.Query(ctx, `SELECT n.hash FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS q(level, idx, ord)
		LEFT JOIN nodes n ON n.level = q.level AND n.idx = q.idx
		ORDER BY q.ord`, levels, indexes)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(ids))
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return nil, err
		}
		if h == nil {
			rows.Close()
			id := ids[len(out)]
			return nil, fmt.Errorf("tree node %d/%d: %w", id.Level, id.Index, evidence.ErrNotFound)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) != len(ids) {
		return nil, fmt.Errorf("read %d of %d tree nodes", len(out), len(ids))
	}
	return out, nil
}

// Get returns the record with the given ID, envelope included, or an error
// wrapping evidence.ErrNotFound.
func (b *Backend) Get(ctx context.Context, id string) (evidence.Record, error) {
	if err := b.checkOpen("get"); err != nil {
		return evidence.Record{}, err
	}
	row := b.pool.QueryRow(ctx, `SELECT `+recordColumns+`, e.envelope FROM records r LEFT JOIN blobs e ON e.id = r.id WHERE r.id = $1`, id)
	r, err := scanRecord(row, true)
	if errors.Is(err, pgx.ErrNoRows) {
		return evidence.Record{}, &Error{Backend: "postgres", Op: "get", Subject: id, Err: evidence.ErrNotFound}
	}
	if err != nil {
		e := b.fail("get", err)
		e.Subject = id
		return evidence.Record{}, e
	}
	return r, nil
}

// Size returns the number of records in the log.
func (b *Backend) Size(ctx context.Context) (uint64, error) {
	const op = "size"
	if err := b.checkOpen(op); err != nil {
		return 0, err
	}
	var n int64
	if err := b.pool.QueryRow(ctx, `SELECT size FROM log_state`).Scan(&n); err != nil {
		return 0, b.fail(op, err)
	}
	return uint64(n), nil
}

// Nodes returns the hashes of the given tree nodes, in order, or an error
// wrapping evidence.ErrNotFound if one is missing.
func (b *Backend) Nodes(ctx context.Context, ids []evidence.NodeID) ([][]byte, error) {
	const op = "nodes"
	if err := b.checkOpen(op); err != nil {
		return nil, err
	}
	hashes, err := readNodes(ctx, b.pool, ids)
	if err != nil {
		return nil, b.fail(op, err)
	}
	return hashes, nil
}

// buildQuery returns the SQL and arguments of q, or ok=false when q
// matches nothing whatever the log holds.
func buildQuery(q evidence.Query) (sql string, args []any, ok bool) {
	var where []string
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if after, set := q.AfterIndex(); set {
		switch {
		case !q.Descending && after >= math.MaxInt64:
			return "", nil, false
		case !q.Descending:
			where = append(where, "r.idx > "+arg(int64(after)))
		case after <= math.MaxInt64:
			where = append(where, "r.idx < "+arg(int64(after)))
		}
	}
	if q.SubjectDigest != "" {
		where = append(where, "r.idx IN (SELECT idx FROM record_subject_digests WHERE digest = "+arg(q.SubjectDigest)+")")
	}
	if q.SubjectName != "" {
		where = append(where, "r.idx IN (SELECT idx FROM record_subject_names WHERE name = "+arg(q.SubjectName)+")")
	}
	if q.PredicateType != "" {
		where = append(where, "r.predicate_type = "+arg(q.PredicateType))
	}
	if q.Stage != "" {
		where = append(where, "r.stage = "+arg(q.Stage))
	}
	for _, k := range slices.Sorted(maps.Keys(q.Labels)) {
		where = append(where, "r.idx IN (SELECT idx FROM record_labels WHERE key = "+arg(k)+" AND value = "+arg(q.Labels[k])+")")
	}
	if q.Signer != "" {
		where = append(where, "r.idx IN (SELECT idx FROM record_signers WHERE key_id = "+arg(q.Signer)+")")
	}
	if !q.Since.IsZero() {
		where = append(where, "r.recorded_at >= "+arg(q.Since.UnixMicro()))
	}
	if !q.Until.IsZero() {
		where = append(where, "r.recorded_at < "+arg(q.Until.UnixMicro()))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = evidence.DefaultQueryLimit
	}
	limit = min(limit, evidence.MaxQueryLimit)

	var sb strings.Builder
	sb.WriteString("SELECT " + recordColumns)
	if q.WithEnvelopes {
		sb.WriteString(", e.envelope FROM records r LEFT JOIN blobs e ON e.id = r.id")
	} else {
		sb.WriteString(" FROM records r")
	}
	if len(where) > 0 {
		sb.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	sb.WriteString(" ORDER BY r.idx")
	if q.Descending {
		sb.WriteString(" DESC")
	}
	sb.WriteString(" LIMIT " + arg(int64(limit)))
	return sb.String(), args, true
}

// Query yields the records that match q, in index order (descending if
// q.Descending), after q's cursor, at most q.Limit of them; envelopes only
// if q.WithEnvelopes. The rows stream over one connection, which a loop
// that stops early releases at once.
func (b *Backend) Query(ctx context.Context, q evidence.Query) iter.Seq2[evidence.Record, error] {
	return func(yield func(evidence.Record, error) bool) {
		const op = "query"
		if err := b.checkOpen(op); err != nil {
			yield(evidence.Record{}, err)
			return
		}
		sql, args, ok := buildQuery(q)
		if !ok {
			return
		}
		rows, err := b.pool.Query(ctx, sql, args...)
		if err != nil {
			yield(evidence.Record{}, b.fail(op, err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRecord(rows, q.WithEnvelopes)
			if err != nil {
				yield(evidence.Record{}, b.fail(op, err))
				return
			}
			if !yield(r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(evidence.Record{}, b.fail(op, err))
		}
	}
}

// Scan yields every record from index from on, in index order, with its
// envelope. It reads through a server-side cursor in a read-only snapshot
// taken when the loop starts, 256 rows at a time, so that a log of
// any size streams in bounded memory.
func (b *Backend) Scan(ctx context.Context, from uint64) iter.Seq2[evidence.Record, error] {
	return func(yield func(evidence.Record, error) bool) {
		const op = "scan"
		if err := b.checkOpen(op); err != nil {
			yield(evidence.Record{}, err)
			return
		}
		if from > math.MaxInt64 {
			return
		}
		tx, err := b.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			yield(evidence.Record{}, b.fail(op, err))
			return
		}
		defer rollback(ctx, tx)
		if _, err := tx.Exec(ctx, `DECLARE paved_scan NO SCROLL CURSOR FOR SELECT `+recordColumns+`, e.envelope
			FROM records r LEFT JOIN blobs e ON e.id = r.id WHERE r.idx >= $1 ORDER BY r.idx`, int64(from)); err != nil {
			yield(evidence.Record{}, b.fail(op, err))
			return
		}
		fetch := `FETCH ` + strconv.Itoa(scanBatch) + ` FROM paved_scan`
		for {
			rows, err := tx.Query(ctx, fetch)
			if err != nil {
				yield(evidence.Record{}, b.fail(op, err))
				return
			}
			n := 0
			for rows.Next() {
				n++
				r, err := scanRecord(rows, true)
				if err != nil {
					rows.Close()
					yield(evidence.Record{}, b.fail(op, err))
					return
				}
				if !yield(r, nil) {
					rows.Close()
					return
				}
			}
			if err := rows.Err(); err != nil {
				yield(evidence.Record{}, b.fail(op, err))
				return
			}
			if n < scanBatch {
				return
			}
		}
	}
}

// AddCheckpoint stores a signed checkpoint; storing the same size twice
// keeps the first.
func (b *Backend) AddCheckpoint(ctx context.Context, c evidence.Checkpoint) error {
	const op = "add checkpoint"
	if err := b.checkOpen(op); err != nil {
		return err
	}
	if c.Size > math.MaxInt64 {
		return &Error{Backend: "postgres", Op: op, Err: fmt.Errorf("size %d out of range", c.Size)}
	}
	if _, err := b.pool.Exec(ctx, `INSERT INTO checkpoints (size, origin, root, note) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING`,
		int64(c.Size), c.Origin, nonNil(c.Root), nonNil(c.Note)); err != nil {
		return b.fail(op, err)
	}
	return nil
}

// Checkpoints yields the stored checkpoints by increasing size.
func (b *Backend) Checkpoints(ctx context.Context) iter.Seq2[evidence.Checkpoint, error] {
	return func(yield func(evidence.Checkpoint, error) bool) {
		const op = "checkpoints"
		if err := b.checkOpen(op); err != nil {
			yield(evidence.Checkpoint{}, err)
			return
		}
		rows, err := b.pool.Query(ctx, `SELECT size, origin, root, note FROM checkpoints ORDER BY size`)
		if err != nil {
			yield(evidence.Checkpoint{}, b.fail(op, err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var (
				c    evidence.Checkpoint
				size int64
			)
			if err := rows.Scan(&size, &c.Origin, &c.Root, &c.Note); err != nil {
				yield(evidence.Checkpoint{}, b.fail(op, err))
				return
			}
			c.Size = uint64(size)
			if !yield(c, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(evidence.Checkpoint{}, b.fail(op, err))
		}
	}
}

// nonNil returns b, or an empty slice for nil: PostgreSQL would store nil
// as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
