package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

func TestOpenCreatesPrivateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "evidence.db")
	b, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	defer b.Close(t.Context())

	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// The file is in WAL mode with synchronous=FULL, and foreign keys on.
	tm := NewTamper(t, path)
	var mode string
	require.NoError(t, tm.db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode))
	assert.Equal(t, "wal", mode)
	n, err := b.Size(t.Context())
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestOpenPathWithOddCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir with space?#%", "evidence.db")
	b, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	_, err = b.Append(t.Context(), []evidence.Record{record("a")}, grow)
	require.NoError(t, err)
	require.NoError(t, b.Close(t.Context()))
	_, err = os.Stat(path)
	require.NoError(t, err, "the file is where the path says")
}

func TestOpenErrors(t *testing.T) {
	notDB := filepath.Join(t.TempDir(), "not.db")
	require.NoError(t, os.WriteFile(notDB, bytes.Repeat([]byte("not a database "), 1000), 0o600))
	tests := []struct {
		name    string
		path    string
		opts    []sqlite.Option
		is      error
		message string
	}{
		{"empty path", "", nil, nil, "sqlite: open: empty path"},
		{"nil logger", "x.db", []sqlite.Option{sqlite.WithLogger(nil)}, sqlite.ErrInvalidOption, "nil logger"},
		{"logger twice", "x.db", []sqlite.Option{sqlite.WithLogger(slog.Default()), sqlite.WithLogger(slog.Default())}, sqlite.ErrInvalidOption, "WithLogger given twice"},
		{"short busy timeout", "x.db", []sqlite.Option{sqlite.WithBusyTimeout(time.Microsecond)}, sqlite.ErrInvalidOption, "WithBusyTimeout"},
		{"nil option", "x.db", []sqlite.Option{nil}, sqlite.ErrInvalidOption, "nil option"},
		{"not a database", notDB, nil, nil, "sqlite: open " + notDB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := sqlite.Open(t.Context(), tt.path, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, b)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			assert.Contains(t, err.Error(), tt.message)
			var e *sqlite.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, "open", e.Op)
		})
	}
}

func TestOpenLogs(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, _ := open(t, sqlite.WithLogger(l), sqlite.WithBusyTimeout(time.Second))
	_, err := b.Append(t.Context(), []evidence.Record{record("a")}, grow)
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "applied schema migration")
	assert.Contains(t, buf.String(), "appended")
}

// TestRoundTrip checks that every field of a record reads back exactly as
// written, through Append's result, Get, Query and Scan.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   evidence.Record
		want evidence.Record // as stored at index 0; zero means in
	}{
		{name: "every field", in: with(record("full"), func(r *evidence.Record) {
			r.Subjects = []supplychain.Subject{
				{Name: "ghcr.io/acme/app:1.2.3", Digest: supplychain.DigestSet{"sha256": digestOf("img"), "sha512": digestOf("a") + digestOf("b")},
					URI: "oci://ghcr.io/acme/app", PURL: "pkg:oci/app@sha256:" + digestOf("img")},
				{Name: "source", Digest: supplychain.DigestSet{"gitCommit": "0123456789abcdef0123456789abcdef01234567"}},
				{Name: "", Digest: nil},
			}
			r.Labels = map[string]string{"team": "platform", "env": "prod", "empty": "", "ünïcode": "✓ <&> \"quoted\""}
			r.Signers = []sign.Identity{
				{KeyID: digestOf("k1"), Name: "release-manager"},
				{Subject: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Issuer: "https://token.actions.githubusercontent.com"},
				{},
			}
			r.Stage = "release"
			r.RecordedAt = time.Date(2026, 11, 2, 3, 4, 5, 123456000, time.UTC)
		})},
		{name: "nothing optional", in: with(record("minimal"), func(r *evidence.Record) {
			r.Subjects, r.Labels, r.Signers, r.Stage, r.PredicateType = nil, nil, nil, "", ""
		})},
		{name: "empty collections read back as nil", in: with(record("empty"), func(r *evidence.Record) {
			r.Subjects, r.Labels, r.Signers = []supplychain.Subject{}, map[string]string{}, []sign.Identity{}
		}), want: with(record("empty"), func(r *evidence.Record) {
			r.Subjects, r.Labels, r.Signers = nil, nil, nil
		})},
		{name: "empty digest set stays empty", in: with(record("emptyset"), func(r *evidence.Record) {
			r.Subjects = []supplychain.Subject{{Name: "x", Digest: supplychain.DigestSet{}}}
		})},
		{name: "time in UTC at microsecond precision", in: with(record("time"), func(r *evidence.Record) {
			r.RecordedAt = time.Date(2026, 11, 2, 3, 4, 5, 123456789, time.FixedZone("CET", 3600))
		}), want: with(record("time"), func(r *evidence.Record) {
			r.RecordedAt = time.Date(2026, 11, 2, 2, 4, 5, 123456000, time.UTC)
		})},
		{name: "time before 1970", in: with(record("old"), func(r *evidence.Record) {
			r.RecordedAt = time.Date(1960, 1, 2, 3, 4, 5, 6000, time.UTC)
		})},
		{name: "zero time", in: with(record("zero"), func(r *evidence.Record) { r.RecordedAt = time.Time{} })},
		{name: "binary envelope and leaf", in: with(record("binary"), func(r *evidence.Record) {
			r.Envelope = []byte{0, 1, 2, 0xff, 0xfe, 0}
			r.LeafHash = []byte{0, 0, 0}
			r.EnvelopeSize = 6
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			b, _ := open(t)
			want := tt.want
			if want.ID == "" {
				want = tt.in
			}
			want = at(want, 0)

			out, err := b.Append(ctx, []evidence.Record{tt.in}, grow)
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Equal(t, bare(want), out[0], "Append's result")

			got, err := b.Get(ctx, tt.in.ID)
			require.NoError(t, err)
			assert.Equal(t, want, got, "Get")
			assert.Equal(t, time.UTC, got.RecordedAt.Location())

			q := all(t, b.Query(ctx, evidence.Query{WithEnvelopes: true}))
			assert.Equal(t, []evidence.Record{want}, q, "Query with envelopes")
			q = all(t, b.Query(ctx, evidence.Query{}))
			assert.Equal(t, []evidence.Record{bare(want)}, q, "Query")

			s := all(t, b.Scan(ctx, 0))
			assert.Equal(t, []evidence.Record{want}, s, "Scan")
		})
	}
}

func TestAppendAssignsConsecutiveIndexes(t *testing.T) {
	ctx := t.Context()
	b, _ := open(t)
	var want []evidence.Record
	for batch := range 4 {
		var in []evidence.Record
		for i := range batch + 1 {
			in = append(in, record(fmt.Sprintf("%d-%d", batch, i)))
		}
		out, err := b.Append(ctx, in, grow)
		require.NoError(t, err)
		for i, r := range in {
			w := at(r, uint64(len(want)))
			assert.Equal(t, bare(w), out[i])
			want = append(want, w)
		}
	}
	assert.Equal(t, want, all(t, b.Scan(ctx, 0)))
	n, err := b.Size(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(len(want)), n)
}

func TestAppendDedupes(t *testing.T) {
	ctx := t.Context()
	b, _ := open(t)
	a, bb, c := record("a"), record("b"), record("c")
	_, err := b.Append(ctx, []evidence.Record{a, bb}, grow)
	require.NoError(t, err)

	var calls [][]uint64
	spy := func(size uint64, fresh []evidence.Record, read evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
		calls = append(calls, append([]uint64{size}, indexes(fresh)...))
		return grow(size, fresh, read)
	}
	// b again, but with another stage: the stored one wins.
	bAgain := with(bb, func(r *evidence.Record) { r.Stage = "other"; r.RecordedAt = epoch.Add(time.Hour) })
	out, err := b.Append(ctx, []evidence.Record{bAgain, c, c, a}, spy)
	require.NoError(t, err)
	assert.Equal(t, []evidence.Record{bare(at(bb, 1)), bare(at(c, 2)), bare(at(c, 2)), bare(at(a, 0))}, out)
	assert.Equal(t, [][]uint64{{2, 2}}, calls, "grow sees only the fresh record")

	// A batch of nothing new stores nothing and does not call grow.
	out, err = b.Append(ctx, []evidence.Record{a, a}, spy)
	require.NoError(t, err)
	assert.Equal(t, []evidence.Record{bare(at(a, 0)), bare(at(a, 0))}, out)
	assert.Len(t, calls, 1)

	n, err := b.Size(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), n)
	assert.Equal(t, []evidence.Record{at(a, 0), at(bb, 1), at(c, 2)}, all(t, b.Scan(ctx, 0)))

	out, err = b.Append(ctx, nil, spy)
	require.NoError(t, err)
	assert.Empty(t, out)
}

// snapshot is everything a backend shows, to compare before and after.
type snapshot struct {
	size        uint64
	records     []evidence.Record
	nodes       [][]byte
	checkpoints []evidence.Checkpoint
}

func snap(t *testing.T, b *sqlite.Backend) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	var err error
	s.size, err = b.Size(ctx)
	require.NoError(t, err)
	s.records = all(t, b.Scan(ctx, 0))
	var ids []evidence.NodeID
	for i := range s.size {
		ids = append(ids, evidence.NodeID{Index: i})
	}
	s.nodes, err = b.Nodes(ctx, ids)
	require.NoError(t, err)
	s.checkpoints = all(t, b.Checkpoints(ctx))
	return s
}

func TestAppendIsAllOrNothing(t *testing.T) {
	boom := errors.New("boom")
	fresh := []evidence.Record{record("x"), record("y")}
	tests := []struct {
		name   string
		ctx    func() context.Context
		batch  []evidence.Record
		grow   evidence.GrowFunc
		is     error
		errMsg string
	}{
		{name: "grow fails", batch: fresh, grow: func(uint64, []evidence.Record, evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
			return nil, boom
		}, is: boom},
		{name: "grow reads a missing node", batch: fresh, grow: func(size uint64, _ []evidence.Record, read evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
			_, err := read([]evidence.NodeID{{Level: 0, Index: 0}, {Level: 3, Index: size}})
			return nil, err
		}, is: evidence.ErrNotFound, errMsg: "read node 3/2"},
		{name: "grow rewrites a stored node", batch: fresh, grow: func(size uint64, fresh []evidence.Record, read evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
			nodes, err := grow(size, fresh, read)
			nodes[evidence.NodeID{Level: 0, Index: 0}] = []byte("forged")
			return nodes, err
		}, errMsg: "node 0/0 is stored already with a different hash"},
		{name: "canceled context", batch: fresh, grow: grow, ctx: func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, is: context.Canceled},
		{name: "fresh record without envelope", batch: []evidence.Record{record("x"), with(record("y"), func(r *evidence.Record) { r.Envelope = nil })},
			grow: grow, is: evidence.ErrInvalidEntry, errMsg: "no envelope"},
		{name: "invalid UTF-8", batch: []evidence.Record{record("x"), with(record("y"), func(r *evidence.Record) { r.Labels = map[string]string{"k": "\xff"} })},
			grow: grow, is: evidence.ErrInvalidEntry, errMsg: "not valid UTF-8"},
		{name: "empty ID", batch: []evidence.Record{record("x"), with(record("y"), func(r *evidence.Record) { r.ID = "" })},
			grow: grow, is: evidence.ErrInvalidEntry, errMsg: "empty ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := open(t)
			ctx := context.Background()
			_, err := b.Append(ctx, []evidence.Record{record("a"), record("b")}, grow)
			require.NoError(t, err)
			require.NoError(t, b.AddCheckpoint(ctx, evidence.Checkpoint{Origin: "o", Size: 2, Root: []byte("r"), Note: []byte("n")}))
			before := snap(t, b)

			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			out, err := b.Append(ctx, tt.batch, tt.grow)
			require.Error(t, err)
			assert.Nil(t, out)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			assert.Contains(t, err.Error(), tt.errMsg)
			assert.True(t, strings.HasPrefix(err.Error(), "sqlite: append"), err.Error())

			assert.Equal(t, before, snap(t, b), "the failed append left a trace")
			for _, r := range tt.batch {
				if r.ID != "" {
					_, err := b.Get(context.Background(), r.ID)
					assert.ErrorIs(t, err, evidence.ErrNotFound)
				}
			}
			// And the backend still works.
			out, err = b.Append(context.Background(), fresh, grow)
			require.NoError(t, err)
			assert.Equal(t, []uint64{2, 3}, indexes(out))
		})
	}
}

func TestGet(t *testing.T) {
	ctx := t.Context()
	b, _ := open(t)
	r := record("a")
	_, err := b.Append(ctx, []evidence.Record{r}, grow)
	require.NoError(t, err)

	got, err := b.Get(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, at(r, 0), got)

	missing := record("missing").ID
	_, err = b.Get(ctx, missing)
	assert.ErrorIs(t, err, evidence.ErrNotFound)
	assert.EqualError(t, err, "sqlite: get "+missing+": evidence: not found")
	var e *sqlite.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, missing, e.Subject)
}

func TestScan(t *testing.T) {
	ctx := t.Context()
	b, _ := open(t)
	var want []evidence.Record
	for i := range 10 {
		r := record(fmt.Sprint(i))
		want = append(want, at(r, uint64(i)))
		_, err := b.Append(ctx, []evidence.Record{r}, grow)
		require.NoError(t, err)
	}
	tests := []struct {
		from uint64
		want []evidence.Record
	}{
		{0, want},
		{7, want[7:]},
		{9, want[9:]},
		{10, nil},
		{math.MaxUint64, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.from), func(t *testing.T) {
			assert.Equal(t, tt.want, all(t, b.Scan(ctx, tt.from)))
		})
	}
	t.Run("stops when the consumer stops", func(t *testing.T) {
		n := 0
		for r, err := range b.Scan(ctx, 0) {
			require.NoError(t, err)
			assert.Equal(t, want[n], r)
			if n++; n == 3 {
				break
			}
		}
		assert.Equal(t, 3, n)
	})
	t.Run("sees the log as it was when the loop started", func(t *testing.T) {
		n := 0
		for _, err := range b.Scan(ctx, 0) {
			require.NoError(t, err)
			if n == 0 {
				_, err := b.Append(ctx, []evidence.Record{record("late")}, grow)
				require.NoError(t, err)
			}
			n++
		}
		assert.Equal(t, 10, n)
	})
}

func TestNodes(t *testing.T) {
	ctx := t.Context()
	b, _ := open(t)
	recs := []evidence.Record{record("a"), record("b"), record("c")}
	withInner := func(size uint64, fresh []evidence.Record, read evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
		nodes, err := grow(size, fresh, read)
		nodes[evidence.NodeID{Level: 1, Index: 0}] = []byte("inner")
		return nodes, err
	}
	_, err := b.Append(ctx, recs, withInner)
	require.NoError(t, err)

	got, err := b.Nodes(ctx, []evidence.NodeID{{Level: 0, Index: 2}, {Level: 1, Index: 0}, {Level: 0, Index: 0}, {Level: 0, Index: 2}})
	require.NoError(t, err)
	assert.Equal(t, [][]byte{recs[2].LeafHash, []byte("inner"), recs[0].LeafHash, recs[2].LeafHash}, got)

	got, err = b.Nodes(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, got)

	for _, id := range []evidence.NodeID{{Level: 0, Index: 3}, {Level: 2, Index: 0}, {Level: 0, Index: math.MaxUint64}} {
		_, err = b.Nodes(ctx, []evidence.NodeID{{Level: 0, Index: 0}, id})
		assert.ErrorIs(t, err, evidence.ErrNotFound, "%v", id)
	}
}

func TestCheckpoints(t *testing.T) {
	ctx := t.Context()
	b, _ := open(t)
	cp := func(size uint64, note string) evidence.Checkpoint {
		return evidence.Checkpoint{Origin: "paved.dev/test", Size: size, Root: []byte(fmt.Sprintf("root-%d", size)), Note: []byte(note)}
	}
	assert.Empty(t, all(t, b.Checkpoints(ctx)))
	for _, c := range []evidence.Checkpoint{cp(5, "five"), cp(1, "one"), cp(9, "nine"), cp(5, "five again"), cp(0, "empty")} {
		require.NoError(t, b.AddCheckpoint(ctx, c))
	}
	assert.Equal(t, []evidence.Checkpoint{cp(0, "empty"), cp(1, "one"), cp(5, "five"), cp(9, "nine")}, all(t, b.Checkpoints(ctx)))

	err := b.AddCheckpoint(ctx, cp(math.MaxUint64, "too big"))
	assert.ErrorContains(t, err, "size out of range")

	n := 0
	for range b.Checkpoints(ctx) {
		n++
		break
	}
	assert.Equal(t, 1, n)
}

func TestClose(t *testing.T) {
	ctx := t.Context()
	b, _ := open(t)
	r := record("a")
	_, err := b.Append(ctx, []evidence.Record{r}, grow)
	require.NoError(t, err)

	// An iterator started before Close ends with ErrClosed.
	var iterErr error
	n := 0
	for _, err := range b.Scan(ctx, 0) {
		if n == 0 {
			require.NoError(t, err)
			require.NoError(t, b.Close(ctx))
		}
		n++
		iterErr = err
	}
	_ = iterErr // the one row may have been read before Close: either outcome is fine

	checks := map[string]error{}
	_, checks["Append"] = b.Append(ctx, []evidence.Record{record("b")}, grow)
	_, checks["Get"] = b.Get(ctx, r.ID)
	_, checks["Size"] = b.Size(ctx)
	_, checks["Nodes"] = b.Nodes(ctx, []evidence.NodeID{{}})
	checks["AddCheckpoint"] = b.AddCheckpoint(ctx, evidence.Checkpoint{Size: 1})
	checks["Close"] = b.Close(ctx)
	for _, err := range b.Query(ctx, evidence.Query{}) {
		checks["Query"] = err
	}
	for _, err := range b.Scan(ctx, 0) {
		checks["Scan"] = err
	}
	for _, err := range b.Checkpoints(ctx) {
		checks["Checkpoints"] = err
	}
	for _, err := range b.Scan(ctx, math.MaxUint64) {
		checks["Scan beyond int64"] = err
	}
	require.Len(t, checks, 10)
	for name, err := range checks {
		assert.ErrorIs(t, err, evidence.ErrClosed, name)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "evidence.db")
	b, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	a, bb, c := record("a"), record("b"), record("c")
	_, err = b.Append(ctx, []evidence.Record{a, bb}, grow)
	require.NoError(t, err)
	cp := evidence.Checkpoint{Origin: "o", Size: 2, Root: []byte("root"), Note: []byte("note")}
	require.NoError(t, b.AddCheckpoint(ctx, cp))
	require.NoError(t, b.Close(ctx))

	b, err = sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer b.Close(ctx)
	n, err := b.Size(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), n)
	assert.Equal(t, []evidence.Record{at(a, 0), at(bb, 1)}, all(t, b.Scan(ctx, 0)))
	assert.Equal(t, []evidence.Checkpoint{cp}, all(t, b.Checkpoints(ctx)))
	out, err := b.Append(ctx, []evidence.Record{c, a}, grow) // grow reads leaf 1, stored before
	require.NoError(t, err)
	assert.Equal(t, []uint64{2, 0}, indexes(out))
}

func TestSchemaVersion(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "evidence.db")
	b, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, b.Close(ctx))

	tm := NewTamper(t, path)
	var versions []int
	rows, err := tm.db.QueryContext(ctx, `SELECT version FROM schema_version ORDER BY version`)
	require.NoError(t, err)
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []int{1, 2, 3, 4}, versions, "the migrations applied")

	// Reopening applies nothing.
	b, err = sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, b.Close(ctx))
	var count int
	require.NoError(t, tm.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_version`).Scan(&count))
	assert.Equal(t, 4, count)

	// A file from the future is refused, and left alone.
	_, err = tm.db.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (99, 0)`)
	require.NoError(t, err)
	_, err = sqlite.Open(ctx, path)
	require.ErrorIs(t, err, sqlite.ErrSchemaTooNew)
	assert.ErrorContains(t, err, "schema version 99")
	require.NoError(t, tm.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_version`).Scan(&count))
	assert.Equal(t, 5, count)
}

func TestTamper(t *testing.T) {
	ctx := t.Context()
	recs := []evidence.Record{record("0"), record("1"), record("2"), record("3")}
	for i := range recs {
		recs[i] = at(recs[i], uint64(i))
	}
	tests := []struct {
		name   string
		tamper func(*Tamper) error
		want   func() []evidence.Record
	}{
		{"delete", func(tm *Tamper) error { return tm.DeleteRecord(ctx, 2) }, func() []evidence.Record {
			return []evidence.Record{recs[0], recs[1], recs[3]}
		}},
		{"rewrite stage", func(tm *Tamper) error { return tm.RewriteStage(ctx, 1, "release") }, func() []evidence.Record {
			return []evidence.Record{recs[0], with(recs[1], func(r *evidence.Record) { r.Stage = "release" }), recs[2], recs[3]}
		}},
		{"swap", func(tm *Tamper) error { return tm.SwapRecords(ctx, 1, 3) }, func() []evidence.Record {
			return []evidence.Record{recs[0], at(recs[3], 1), recs[2], at(recs[1], 3)}
		}},
		{"corrupt envelope", func(tm *Tamper) error { return tm.CorruptEnvelope(ctx, 0) }, func() []evidence.Record {
			env := bytes.Clone(recs[0].Envelope)
			env[len(env)/2] ^= 1
			return []evidence.Record{with(recs[0], func(r *evidence.Record) { r.Envelope = env }), recs[1], recs[2], recs[3]}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, tm := OpenTampered(t)
			_, err := b.Append(ctx, recs, grow)
			require.NoError(t, err)
			require.NoError(t, tt.tamper(tm))
			assert.Equal(t, tt.want(), all(t, b.Scan(ctx, 0)))
			n, err := b.Size(ctx)
			require.NoError(t, err)
			assert.Equal(t, uint64(4), n, "the size is untouched")
		})
	}
	t.Run("swap moves the query index rows along", func(t *testing.T) {
		b, tm := OpenTampered(t)
		_, err := b.Append(ctx, recs, grow)
		require.NoError(t, err)
		require.NoError(t, tm.SwapRecords(ctx, 0, 2))
		got := all(t, b.Query(ctx, evidence.Query{SubjectDigest: "sha256:" + recs[0].Subjects[0].Digest["sha256"]}))
		assert.Equal(t, []uint64{2}, indexes(got))
	})
	t.Run("errors", func(t *testing.T) {
		_, tm := OpenTampered(t)
		assert.Error(t, tm.DeleteRecord(ctx, 0))
		assert.Error(t, tm.RewriteStage(ctx, 0, "x"))
		assert.Error(t, tm.SwapRecords(ctx, 0, 1))
		assert.Error(t, tm.CorruptEnvelope(ctx, 0))
		assert.Error(t, tm.DeleteRecord(ctx, math.MaxUint64))
	})
}

// TestForeignKeys checks that the schema holds together: an envelope
// cannot be stored without its record.
func TestForeignKeys(t *testing.T) {
	ctx := t.Context()
	_, tm := OpenTampered(t)
	_, err := tm.db.ExecContext(ctx, `INSERT INTO envelopes (idx, data) VALUES (0, x'00')`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "FOREIGN KEY")
	var n int
	require.NoError(t, tm.db.QueryRowContext(ctx, `SELECT count(*) FROM envelopes`).Scan(&n))
	assert.Zero(t, n)
}
