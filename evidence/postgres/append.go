package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paved-dev/paved/evidence"
)

// blobChunk caps the envelope bytes sent in one INSERT statement; larger
// batches are split, and an envelope larger than this goes alone (a
// PostgreSQL value, an array included, holds at most 1 GiB).
const blobChunk = 32 << 20

// borderNodes selects the nodes of the tree of the log's current size that
// growing it reads: the roots of the perfect subtrees that the size's binary
// digits make (a subtree of 2^level leaves for each bit set).
const borderNodes = `SELECT n.level, n.idx, n.hash
	FROM log_state s, generate_series(0, 62) AS l(level), nodes n
	WHERE (s.size >> l.level) & 1 = 1 AND n.level = l.level AND n.idx = (s.size >> l.level) - 1`

// Append adds records to the end of the log in one transaction, after
// taking the append lock (see AppendLockKey), as evidence.Backend says. A
// record whose text PostgreSQL cannot store (a NUL byte or invalid UTF-8)
// is refused with an error wrapping evidence.ErrInvalidEntry.
//
// An append takes two round trips to the server: one that begins the
// transaction, takes the lock and reads the size, the IDs already stored
// and the border of the tree; one that inserts everything and commits. (A
// GrowFunc that reads nodes other than the border costs one more for each
// read; the Store's reads only the border.)
func (b *Backend) Append(ctx context.Context, records []evidence.Record, grow evidence.GrowFunc) ([]evidence.Record, error) {
	const op = "append"
	if err := b.checkOpen(op); err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, nil
	}
	if grow == nil {
		return nil, &Error{Backend: "postgres", Op: op, Err: errors.New("nil GrowFunc")}
	}
	rows := make([]recordRow, len(records))
	var errs []error
	for i := range records {
		row, err := encodeRecord(&records[i])
		if err != nil {
			errs = append(errs, fmt.Errorf("record %d: %w", i, err))
		}
		rows[i] = row
	}
	if err := errors.Join(errs...); err != nil {
		return nil, &Error{Backend: "postgres", Op: op, Err: err}
	}

	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return nil, b.fail(op, err)
	}
	defer func() {
		// Whatever went wrong, end the transaction here rather than make
		// the pool discard the connection.
		if conn.Conn().PgConn().TxStatus() != 'I' && !conn.Conn().IsClosed() {
			rollback(ctx, rollbackConn{conn})
		}
		conn.Release()
	}()

	// Round trip 1: the lock first, then, as the lock holder sees them,
	// the size, the IDs already stored and the tree's border.
	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.ID
	}
	var size int64
	existing := make(map[string]evidence.Record)
	border := make(map[evidence.NodeID][]byte)
	batch := &pgx.Batch{}
	batch.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	batch.Queue(`SELECT pg_advisory_xact_lock($1)`, AppendLockKey)
	batch.Queue(`SELECT size FROM log_state`).QueryRow(func(row pgx.Row) error { return row.Scan(&size) })
	batch.Queue(`SELECT `+recordColumns+` FROM records r WHERE r.id = ANY($1::text[])`, ids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			r, err := scanRecord(rows, false)
			if err != nil {
				return err
			}
			existing[r.ID] = r
		}
		return rows.Err()
	})
	batch.Queue(borderNodes).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var (
				level int16
				idx   int64
				hash  []byte
			)
			if err := rows.Scan(&level, &idx, &hash); err != nil {
				return err
			}
			border[evidence.NodeID{Level: uint8(level), Index: uint64(idx)}] = hash
		}
		return rows.Err()
	})
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return nil, b.fail(op, err)
	}

	out := make([]evidence.Record, len(records))
	var fresh []evidence.Record
	var freshRows []*recordRow
	first := make(map[string]int, len(records)) // ID -> position of its first fresh occurrence
	for i, r := range records {
		if e, ok := existing[r.ID]; ok {
			out[i] = e
			continue
		}
		if j, ok := first[r.ID]; ok {
			out[i] = out[j]
			continue
		}
		if uint64(size)+uint64(len(fresh)) >= math.MaxInt64 {
			return nil, &Error{Backend: "postgres", Op: op, Err: errors.New("the log is full")}
		}
		r.Index = uint64(size) + uint64(len(fresh))
		first[r.ID] = i
		rows[i].idx = int64(r.Index)
		fresh = append(fresh, r)
		freshRows = append(freshRows, &rows[i])
		r.Envelope = nil
		out[i] = r
	}
	if len(fresh) == 0 {
		return out, nil // nothing new; the deferred rollback releases the lock
	}

	// grow reads the border from memory; any other node costs a query in
	// the transaction.
	nodes, err := grow(uint64(size), fresh, func(ids []evidence.NodeID) ([][]byte, error) {
		out := make([][]byte, len(ids))
		var missing []evidence.NodeID
		var at []int
		for i, id := range ids {
			if h, ok := border[id]; ok {
				out[i] = h
			} else {
				missing, at = append(missing, id), append(at, i)
			}
		}
		if len(missing) == 0 {
			return out, nil
		}
		hashes, err := readNodes(ctx, conn, missing)
		if err != nil {
			return nil, err
		}
		for j, i := range at {
			out[i] = hashes[j]
		}
		return out, nil
	})
	if err != nil {
		return nil, b.fail(op, fmt.Errorf("grow tree: %w", err))
	}

	// Round trip 2: everything in, and commit.
	batch = &pgx.Batch{}
	if err := queueInserts(batch, freshRows, nodes); err != nil {
		return nil, &Error{Backend: "postgres", Op: op, Err: err}
	}
	batch.Queue(`UPDATE log_state SET size = $1`, size+int64(len(fresh)))
	batch.Queue(`COMMIT`).Exec(func(tag pgconn.CommandTag) error {
		if tag.String() != "COMMIT" {
			return fmt.Errorf("commit: the server rolled back (%s)", tag)
		}
		return nil
	})
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return nil, b.fail(op, err)
	}
	b.logger.LogAttrs(ctx, slog.LevelDebug, "postgres: appended",
		slog.Int("records", len(records)), slog.Int("fresh", len(fresh)), slog.Int64("first", size), slog.Int("nodes", len(nodes)))
	return out, nil
}

// rollbackConn rolls back the transaction open on a connection.
type rollbackConn struct{ conn *pgxpool.Conn }

func (c rollbackConn) Rollback(ctx context.Context) error {
	_, err := c.conn.Exec(ctx, "ROLLBACK")
	return err
}

// recordRow is a record as its columns and index rows store it.
type recordRow struct {
	idx                       int64
	rec                       *evidence.Record
	subjects, labels, signers string // JSON
	digests, names            []string
	labelKeys, labelValues    []string
	keyIDs                    []string
}

// encodeRecord checks that every string of r can be stored as PostgreSQL
// text and encodes its JSON columns and index rows.
func encodeRecord(r *evidence.Record) (recordRow, error) {
	row := recordRow{rec: r}
	var bad []string
	check := func(field, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			bad = append(bad, field+" contains a NUL byte")
		} else if !utf8.ValidString(s) {
			bad = append(bad, field+" is not valid UTF-8")
		}
	}
	if r.ID == "" {
		bad = append(bad, "empty ID")
	}
	check("ID", r.ID)
	check("predicate type", r.PredicateType)
	check("stage", r.Stage)
	seen := map[string]bool{}
	for i, s := range r.Subjects {
		check(fmt.Sprintf("subject %d name", i), s.Name)
		check(fmt.Sprintf("subject %d URI", i), s.URI)
		check(fmt.Sprintf("subject %d PURL", i), s.PURL)
		if !seen["n"+s.Name] {
			seen["n"+s.Name] = true
			row.names = append(row.names, s.Name)
		}
		for _, d := range s.Digest.Digests() {
			check(fmt.Sprintf("subject %d digest", i), d.String())
			if !seen["d"+d.String()] {
				seen["d"+d.String()] = true
				row.digests = append(row.digests, d.String())
			}
		}
	}
	for k, v := range r.Labels {
		check("label name", k)
		check("label "+k, v)
		row.labelKeys = append(row.labelKeys, k)
		row.labelValues = append(row.labelValues, v)
	}
	for i, s := range r.Signers {
		check(fmt.Sprintf("signer %d key ID", i), s.KeyID)
		check(fmt.Sprintf("signer %d name", i), s.Name)
		check(fmt.Sprintf("signer %d subject", i), s.Subject)
		check(fmt.Sprintf("signer %d issuer", i), s.Issuer)
		if s.KeyID != "" && !seen["k"+s.KeyID] {
			seen["k"+s.KeyID] = true
			row.keyIDs = append(row.keyIDs, s.KeyID)
		}
	}
	if len(bad) > 0 {
		return row, fmt.Errorf("%w: %s", evidence.ErrInvalidEntry, strings.Join(bad, "; "))
	}
	// The JSON columns keep nil apart from empty ("null" vs "[]"), as the
	// leaf data does, so that a record round-trips exactly.
	for _, c := range []struct {
		dst *string
		v   any
	}{{&row.subjects, r.Subjects}, {&row.labels, r.Labels}, {&row.signers, r.Signers}} {
		b, err := json.Marshal(c.v)
		if err != nil {
			return row, fmt.Errorf("%w: %v", evidence.ErrInvalidEntry, err)
		}
		*c.dst = string(b)
	}
	return row, nil
}

// queueInserts queues the inserts of the fresh records, their envelopes,
// their index rows and the tree's new nodes: multi-row statements, sent in
// one round trip.
func queueInserts(batch *pgx.Batch, rows []*recordRow, nodes map[evidence.NodeID][]byte) error {
	n := len(rows)
	var (
		idx      = make([]int64, n)
		id       = make([]string, n)
		leaf     = make([][]byte, n)
		envSize  = make([]int64, n)
		ptype    = make([]string, n)
		stage    = make([]string, n)
		at       = make([]int64, n)
		subjects = make([]string, n)
		labels   = make([]string, n)
		signers  = make([]string, n)

		dValue, nValue, lKey, lValue, kValue []string
		dIdx, nIdx, lIdx, kIdx               []int64
	)
	for i, row := range rows {
		r := row.rec
		idx[i], id[i], leaf[i], envSize[i] = row.idx, r.ID, nonNil(r.LeafHash), r.EnvelopeSize
		ptype[i], stage[i], at[i] = r.PredicateType, r.Stage, r.RecordedAt.UnixMicro()
		subjects[i], labels[i], signers[i] = row.subjects, row.labels, row.signers
		for _, d := range row.digests {
			dValue, dIdx = append(dValue, d), append(dIdx, row.idx)
		}
		for _, name := range row.names {
			nValue, nIdx = append(nValue, name), append(nIdx, row.idx)
		}
		for j := range row.labelKeys {
			lKey, lValue, lIdx = append(lKey, row.labelKeys[j]), append(lValue, row.labelValues[j]), append(lIdx, row.idx)
		}
		for _, k := range row.keyIDs {
			kValue, kIdx = append(kValue, k), append(kIdx, row.idx)
		}
	}
	// Envelopes first, in chunks of bounded size; an envelope already
	// stored under its digest is kept.
	for start := 0; start < n; {
		end, bytes := start, 0
		for end < n && (end == start || bytes+len(rows[end].rec.Envelope) <= blobChunk) {
			bytes += len(rows[end].rec.Envelope)
			end++
		}
		envs := make([][]byte, 0, end-start)
		for _, row := range rows[start:end] {
			if row.rec.Envelope == nil {
				return fmt.Errorf("record %s: %w: no envelope", row.rec.ID, evidence.ErrInvalidEntry)
			}
			envs = append(envs, row.rec.Envelope)
		}
		batch.Queue(`INSERT INTO blobs (id, envelope) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (id) DO NOTHING`, id[start:end], envs)
		start = end
	}
	batch.Queue(`INSERT INTO records (idx, id, leaf_hash, envelope_size, predicate_type, stage, recorded_at, subjects, labels, signers)
		SELECT t.idx, t.id, t.leaf, t.size, t.ptype, t.stage, t.at, t.subjects::jsonb, t.labels::jsonb, t.signers::jsonb
		FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[])
			AS t(idx, id, leaf, size, ptype, stage, at, subjects, labels, signers)`,
		idx, id, leaf, envSize, ptype, stage, at, subjects, labels, signers)
	if len(dValue) > 0 {
		batch.Queue(`INSERT INTO record_subject_digests (digest, idx) SELECT * FROM unnest($1::text[], $2::bigint[])`, dValue, dIdx)
	}
	if len(nValue) > 0 {
		batch.Queue(`INSERT INTO record_subject_names (name, idx) SELECT * FROM unnest($1::text[], $2::bigint[])`, nValue, nIdx)
	}
	if len(lKey) > 0 {
		batch.Queue(`INSERT INTO record_labels (key, value, idx) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])`, lKey, lValue, lIdx)
	}
	if len(kValue) > 0 {
		batch.Queue(`INSERT INTO record_signers (key_id, idx) SELECT * FROM unnest($1::text[], $2::bigint[])`, kValue, kIdx)
	}
	if len(nodes) > 0 {
		levels := make([]int16, 0, len(nodes))
		indexes := make([]int64, 0, len(nodes))
		hashes := make([][]byte, 0, len(nodes))
		for id, h := range nodes {
			if id.Level >= 64 || id.Index > math.MaxInt64 {
				return fmt.Errorf("tree node %d/%d out of range", id.Level, id.Index)
			}
			levels, indexes, hashes = append(levels, int16(id.Level)), append(indexes, int64(id.Index)), append(hashes, nonNil(h))
		}
		batch.Queue(`INSERT INTO nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`, levels, indexes, hashes)
	}
	return nil
}
