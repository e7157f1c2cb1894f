package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/postgres"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	b, _ := open(t)

	full := record("full")
	full.Subjects = []supplychain.Subject{
		{Name: "app", Digest: supplychain.DigestSet{"sha256": digestOf("app"), "sha512": digestOf("a") + digestOf("pp")}, URI: "oci://registry/app", PURL: "pkg:oci/app"},
		{Name: "sbom ☃", Digest: supplychain.DigestSet{"gitCommit": "abc123"}},
	}
	full.Labels = map[string]string{"service": "api", "team": "payments", "quote\"d": "<&>"}
	full.Signers = []sign.Identity{
		{KeyID: "k1", Name: "ci"},
		{Subject: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Issuer: "https://token.actions.githubusercontent.com", KeyID: "k2"},
	}
	full.RecordedAt = time.Date(2026, 11, 1, 9, 30, 1, 123456000, time.UTC)
	full = rehash(full)

	bare := record("bare") // nothing optional
	bare.Subjects, bare.Labels, bare.Signers, bare.Stage, bare.PredicateType = nil, nil, nil, "", ""
	bare.RecordedAt = time.UnixMicro(0).UTC()
	bare = rehash(bare)

	empty := record("empty") // empty but not nil: the leaf data says [] and {}
	empty.Subjects, empty.Labels, empty.Signers = []supplychain.Subject{}, map[string]string{}, []sign.Identity{}
	empty.RecordedAt = time.Date(1969, 7, 20, 20, 17, 40, 1000, time.UTC)
	empty = rehash(empty)

	in := []evidence.Record{full, bare, empty}
	out, err := b.Append(ctx, in, leafGrow)
	require.NoError(t, err)
	require.Len(t, out, 3)
	for i, r := range in {
		r.Index = uint64(i)
		noEnv := r
		noEnv.Envelope = nil
		assert.Equal(t, noEnv, out[i], "Append's result %d", i)

		got, err := b.Get(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, r, got, "Get %d", i)
		assert.Equal(t, r.LeafHash, got.ComputeLeafHash(), "record %d does not hash to its leaf after a round trip", i)

		q := evidence.Query{Limit: 1, WithEnvelopes: true}
		if i > 0 {
			q.After = fmt.Sprint(i - 1)
		}
		got = all(t, b.Query(ctx, q))[0]
		assert.Equal(t, r, got, "Query %d", i)
	}
	assert.Nil(t, all(t, b.Query(ctx, evidence.Query{}))[1].Labels, "nil labels read back as nil")
	scanned := all(t, b.Scan(ctx, 0))
	require.Len(t, scanned, 3)
	assert.Equal(t, full.Envelope, scanned[0].Envelope)
	assert.Equal(t, []sign.Identity{}, scanned[2].Signers, "empty signers read back as empty, not nil")
}

func TestAppendDedupes(t *testing.T) {
	ctx := context.Background()
	b, _ := open(t)
	a, c, d := record("a"), record("c"), record("d")
	_, err := b.Append(ctx, []evidence.Record{a}, leafGrow)
	require.NoError(t, err)

	// The same ID again, with other metadata: the stored record wins.
	a2 := a
	a2.Stage, a2.RecordedAt = "release", epoch.Add(time.Hour)
	out, err := b.Append(ctx, []evidence.Record{a2, c, c, d, a}, leafGrow)
	require.NoError(t, err)
	assert.Equal(t, []uint64{0, 1, 1, 2, 0}, indexes(out))
	assert.Equal(t, "build", out[0].Stage)
	assert.True(t, out[0].RecordedAt.Equal(epoch))
	for _, r := range out {
		assert.Nil(t, r.Envelope)
	}
	n, err := b.Size(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), n)

	// A batch of records all stored already stores nothing.
	out, err = b.Append(ctx, []evidence.Record{d, a}, func(uint64, []evidence.Record, evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
		return nil, errors.New("grow called for a batch with nothing fresh")
	})
	require.NoError(t, err)
	assert.Equal(t, []uint64{2, 0}, indexes(out))
}

// counts returns the number of rows of every table.
func counts(t *testing.T, conn *pgx.Conn) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"records", "blobs", "record_subject_digests", "record_subject_names", "record_labels", "record_signers", "nodes", "checkpoints"} {
		var n int64
		require.NoError(t, conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
		out[table] = n
	}
	var size int64
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT size FROM log_state").Scan(&size))
	out["size"] = size
	return out
}

func TestAppendIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	b, conn := open(t)
	db := connect(t, conn)
	first := record("first")
	first.Labels = map[string]string{"k": "v"}
	_, err := b.Append(ctx, []evidence.Record{rehash(first)}, leafGrow)
	require.NoError(t, err)
	before := counts(t, db)

	batch := []evidence.Record{record("x"), record("y")}
	boom := errors.New("boom")
	tests := []struct {
		name    string
		records []evidence.Record
		grow    evidence.GrowFunc
		is      error
	}{
		{"grow fails", batch, func(uint64, []evidence.Record, evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
			return nil, boom
		}, boom},
		{"grow reads a missing node", batch, func(_ uint64, _ []evidence.Record, read evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
			_, err := read([]evidence.NodeID{{Level: 0, Index: 0}, {Level: 3, Index: 7}})
			return nil, err
		}, evidence.ErrNotFound},
		{"the database refuses a node", batch, func(size uint64, fresh []evidence.Record, read evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
			nodes, err := leafGrow(size, fresh, read)
			nodes[evidence.NodeID{Level: 0, Index: 0}] = []byte("already stored") // after records and blobs went in
			return nodes, err
		}, nil},
		{"a fresh record without its envelope", []evidence.Record{record("x"), func() evidence.Record { r := record("z"); r.Envelope = nil; return r }()}, leafGrow, evidence.ErrInvalidEntry},
		{"text PostgreSQL cannot store", []evidence.Record{
			record("x"),
			func() evidence.Record { r := record("nul"); r.Stage = "bu\x00ild"; return r }(),
			func() evidence.Record { r := record("utf8"); r.Labels = map[string]string{"k": "\xff"}; return r }(),
		}, leafGrow, evidence.ErrInvalidEntry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Append(ctx, tt.records, tt.grow)
			require.Error(t, err)
			var pe *postgres.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "append", pe.Op)
			assert.True(t, strings.HasPrefix(err.Error(), "postgres: append"), err.Error())
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
			assert.Equal(t, before, counts(t, db), "something of the failed batch was stored")
		})
	}
	t.Run("every bad record is named", func(t *testing.T) {
		_, err := b.Append(ctx, tests[4].records, leafGrow)
		assert.ErrorContains(t, err, "record 1: evidence: invalid entry: stage contains a NUL byte")
		assert.ErrorContains(t, err, "record 2: evidence: invalid entry: label k is not valid UTF-8")
	})
	// The log goes on where it was.
	out, err := b.Append(ctx, batch, leafGrow)
	require.NoError(t, err)
	assert.Equal(t, []uint64{1, 2}, indexes(out))
}

func TestGetNotFound(t *testing.T) {
	b, _ := open(t)
	_, err := b.Get(context.Background(), "sha256:"+digestOf("nothing"))
	require.ErrorIs(t, err, evidence.ErrNotFound)
	assert.EqualError(t, err, "postgres: get sha256:"+digestOf("nothing")+": evidence: not found")
}

func TestNodes(t *testing.T) {
	ctx := context.Background()
	b, _ := open(t)
	recs := []evidence.Record{record("a"), record("b"), record("c")}
	_, err := b.Append(ctx, recs, leafGrow)
	require.NoError(t, err)
	got, err := b.Nodes(ctx, []evidence.NodeID{{Index: 2}, {Index: 0}, {Index: 2}})
	require.NoError(t, err)
	assert.Equal(t, [][]byte{recs[2].LeafHash, recs[0].LeafHash, recs[2].LeafHash}, got)
	got, err = b.Nodes(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
	for _, missing := range []evidence.NodeID{{Index: 3}, {Level: 1, Index: 0}, {Level: 63, Index: math.MaxUint64}, {Level: 200}} {
		_, err = b.Nodes(ctx, []evidence.NodeID{{Index: 0}, missing})
		assert.ErrorIs(t, err, evidence.ErrNotFound, "node %+v", missing)
	}
}

func TestScan(t *testing.T) {
	ctx := context.Background()
	b, _ := open(t)
	var recs []evidence.Record
	for i := range 600 { // more than two of Scan's fetches
		recs = append(recs, record(fmt.Sprint("scan-", i)))
	}
	_, err := b.Append(ctx, recs, leafGrow)
	require.NoError(t, err)
	for _, from := range []uint64{0, 255, 256, 511, 599, 600, 10_000, math.MaxInt64, math.MaxUint64} {
		got := all(t, b.Scan(ctx, from))
		want := 0
		if from < 600 {
			want = 600 - int(from)
		}
		require.Len(t, got, want, "from %d", from)
		for i, r := range got {
			require.Equal(t, from+uint64(i), r.Index)
			require.Equal(t, recs[r.Index].Envelope, r.Envelope)
		}
	}
}

func TestQueryEdges(t *testing.T) {
	ctx := context.Background()
	b, _ := open(t)
	var recs []evidence.Record
	for i := range 30 {
		r := record(fmt.Sprint("q", i))
		r.RecordedAt = epoch.Add(time.Duration(i) * time.Second)
		r.Labels = map[string]string{"team": fmt.Sprint("t", i%3), "env": fmt.Sprint("e", i%2)}
		if i%10 == 0 {
			r.Subjects = append(r.Subjects, supplychain.Subject{Name: "sbom", Digest: supplychain.DigestSet{"sha512": strings.Repeat("ab", 64)}})
		}
		recs = append(recs, rehash(r))
	}
	_, err := b.Append(ctx, recs, leafGrow)
	require.NoError(t, err)
	seq := func(from, to uint64, step int) []uint64 {
		var out []uint64
		for i := from; ; i = uint64(int(i) + step) {
			out = append(out, i)
			if i == to {
				return out
			}
		}
	}
	tests := []struct {
		name string
		q    evidence.Query
		want []uint64
	}{
		{"default limit", evidence.Query{}, seq(0, 29, 1)},
		{"sha512 digest", evidence.Query{SubjectDigest: "sha512:" + strings.Repeat("ab", 64)}, []uint64{0, 10, 20}},
		{"second subject's name", evidence.Query{SubjectName: "sbom", Descending: true}, []uint64{20, 10, 0}},
		{"two labels", evidence.Query{Labels: map[string]string{"team": "t0", "env": "e1"}}, []uint64{3, 9, 15, 21, 27}},
		{"since only", evidence.Query{Since: epoch.Add(27 * time.Second)}, []uint64{27, 28, 29}},
		{"until only", evidence.Query{Until: epoch.Add(2 * time.Second)}, []uint64{0, 1}},
		{"since is inclusive, until exclusive, at the microsecond", evidence.Query{Since: epoch.Add(5 * time.Second), Until: epoch.Add(7*time.Second + time.Microsecond)}, []uint64{5, 6, 7}},
		{"after, ascending", evidence.Query{After: "26"}, []uint64{27, 28, 29}},
		{"after, descending", evidence.Query{After: "3", Descending: true}, []uint64{2, 1, 0}},
		{"after the last", evidence.Query{After: "29"}, nil},
		{"after 0, descending", evidence.Query{After: "0", Descending: true}, nil},
		{"after beyond int64, ascending", evidence.Query{After: "18446744073709551615"}, nil},
		{"after beyond int64, descending", evidence.Query{After: "18446744073709551615", Descending: true, Limit: 2}, []uint64{29, 28}},
		{"limit", evidence.Query{Stage: "build", Limit: 4, After: "10"}, []uint64{11, 12, 13, 14}},
		{"signer", evidence.Query{Signer: "key-q7"}, []uint64{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := all(t, b.Query(ctx, tt.q))
			assert.Equal(t, tt.want, nilIfEmpty(indexes(got)))
			for _, r := range got {
				assert.Nil(t, r.Envelope)
			}
		})
	}
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestQueryUsesIndexes checks, on a log of some size with statistics, that
// every filter is served by an index rather than a scan of a whole table.
func TestQueryUsesIndexes(t *testing.T) {
	ctx := context.Background()
	b, conn := open(t)
	const n = 4000
	var recs []evidence.Record
	for i := range n {
		r := record(fmt.Sprint("ix", i))
		r.PredicateType = fmt.Sprint("https://example.com/type/", i%4)
		r.Stage = []string{"build", "test", "release", "operate"}[i%4]
		r.Subjects[0].Name = fmt.Sprint("artifact-", i%40)
		r.Labels = map[string]string{"team": fmt.Sprint("team-", i%8)}
		r.Signers = []sign.Identity{{KeyID: fmt.Sprint("key-", i%4)}}
		if i == 1234 {
			r.PredicateType, r.Stage, r.Subjects[0].Name = "https://example.com/rare", "rare", "rare"
			r.Labels["hold"] = "legal"
			r.Signers = []sign.Identity{{KeyID: "rare"}}
		}
		r.RecordedAt = epoch.Add(time.Duration(i) * time.Minute)
		recs = append(recs, rehash(r))
	}
	for i := 0; i < n; i += 1000 {
		_, err := b.Append(ctx, recs[i:i+1000], leafGrow)
		require.NoError(t, err)
	}
	db := connect(t, conn)
	_, err := db.Exec(ctx, "ANALYZE")
	require.NoError(t, err)

	tests := []struct {
		name string
		q    evidence.Query
		uses string
	}{
		{"everything", evidence.Query{Limit: 10}, "records_pkey"},
		{"everything, descending, after", evidence.Query{Descending: true, After: "100"}, "records_pkey"},
		{"subject digest", evidence.Query{SubjectDigest: recs[1234].Subjects[0].Digest.Digests()[0].String()}, "record_subject_digests_pkey"},
		{"subject name", evidence.Query{SubjectName: "rare"}, "record_subject_names_pkey"},
		{"predicate type", evidence.Query{PredicateType: "https://example.com/rare"}, "records_predicate_type"},
		{"stage", evidence.Query{Stage: "rare"}, "records_stage"},
		{"label", evidence.Query{Labels: map[string]string{"hold": "legal"}}, "record_labels_pkey"},
		{"signer", evidence.Query{Signer: "rare"}, "record_signers_pkey"},
		{"time range", evidence.Query{Since: recs[1000].RecordedAt, Until: recs[1003].RecordedAt}, "records_recorded_at"},
		{"with envelopes", evidence.Query{SubjectName: "rare", WithEnvelopes: true}, "blobs_pkey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args, ok := postgres.BuildQuery(tt.q)
			require.True(t, ok)
			rows, err := db.Query(ctx, "EXPLAIN "+sql, args...)
			require.NoError(t, err)
			var plan []string
			for rows.Next() {
				var line string
				require.NoError(t, rows.Scan(&line))
				plan = append(plan, line)
			}
			require.NoError(t, rows.Err())
			text := strings.Join(plan, "\n")
			t.Log("\n" + text)
			assert.Contains(t, text, tt.uses, text)
			assert.NotContains(t, text, "Seq Scan", text)
			got := all(t, b.Query(ctx, tt.q))
			require.NotEmpty(t, got)
		})
	}
}

func TestCheckpoints(t *testing.T) {
	ctx := context.Background()
	b, _ := open(t)
	for _, c := range []evidence.Checkpoint{
		{Origin: "o", Size: 2, Root: []byte("r2"), Note: []byte("first note at 2")},
		{Origin: "o", Size: 1, Root: []byte("r1"), Note: []byte("note at 1")},
		{Origin: "o", Size: 2, Root: []byte("other"), Note: []byte("second note at 2")},
		{Origin: "o", Size: 0, Root: []byte("r0"), Note: []byte("note at 0")},
	} {
		require.NoError(t, b.AddCheckpoint(ctx, c))
	}
	got := all(t, b.Checkpoints(ctx))
	require.Len(t, got, 3)
	assert.Equal(t, evidence.Checkpoint{Origin: "o", Size: 0, Root: []byte("r0"), Note: []byte("note at 0")}, got[0])
	assert.Equal(t, uint64(1), got[1].Size)
	assert.Equal(t, evidence.Checkpoint{Origin: "o", Size: 2, Root: []byte("r2"), Note: []byte("first note at 2")}, got[2], "the first checkpoint of a size is kept")
}

func TestIteratorsReleaseConnections(t *testing.T) {
	ctx := context.Background()
	conn := freshSchema(t, "pool_max_conns", "2")
	b, err := postgres.Open(ctx, conn)
	require.NoError(t, err)
	defer b.Close(ctx)
	var recs []evidence.Record
	for i := range 300 {
		recs = append(recs, record(fmt.Sprint("r", i)))
	}
	_, err = b.Append(ctx, recs, leafGrow)
	require.NoError(t, err)
	require.NoError(t, b.AddCheckpoint(ctx, evidence.Checkpoint{Size: 1}))
	require.NoError(t, b.AddCheckpoint(ctx, evidence.Checkpoint{Size: 2}))

	// With two connections, a loop that kept its connection would block
	// the third loop for good.
	bounded, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for range 5 {
		for range b.Query(bounded, evidence.Query{}) {
			break
		}
		for range b.Query(bounded, evidence.Query{WithEnvelopes: true, Limit: 300}) {
			break
		}
		n := 0
		for range b.Scan(bounded, 0) {
			if n++; n == 260 { // in the second fetch
				break
			}
		}
		for range b.Checkpoints(bounded) {
			break
		}
		for r, err := range b.Scan(bounded, 0) { // nodes read while scanning, as Audit does
			require.NoError(t, err)
			_, err := b.Nodes(bounded, []evidence.NodeID{{Index: r.Index}})
			require.NoError(t, err)
			if r.Index == 3 {
				break
			}
		}
	}
	_, err = b.Size(bounded)
	require.NoError(t, err)
	assert.Zero(t, b.AcquiredConns(), "connections still in use")
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	b, _ := open(t)
	_, err := b.Append(ctx, []evidence.Record{record("a")}, leafGrow)
	require.NoError(t, err)
	require.NoError(t, b.Close(ctx))

	check := func(what string, err error) {
		t.Helper()
		assert.ErrorIs(t, err, evidence.ErrClosed, what)
		assert.True(t, strings.HasPrefix(fmt.Sprint(err), "postgres: "), "%s: %v", what, err)
	}
	_, err = b.Append(ctx, []evidence.Record{record("b")}, leafGrow)
	check("Append", err)
	_, err = b.Get(ctx, record("a").ID)
	check("Get", err)
	_, err = b.Size(ctx)
	check("Size", err)
	_, err = b.Nodes(ctx, []evidence.NodeID{{}})
	check("Nodes", err)
	check("AddCheckpoint", b.AddCheckpoint(ctx, evidence.Checkpoint{Size: 1}))
	for _, err := range b.Query(ctx, evidence.Query{}) {
		check("Query", err)
	}
	for _, err := range b.Scan(ctx, 0) {
		check("Scan", err)
	}
	for _, err := range b.Checkpoints(ctx) {
		check("Checkpoints", err)
	}
	check("second Close", b.Close(ctx))
}

func TestCloseWaitsForLoops(t *testing.T) {
	ctx := context.Background()
	b, _ := open(t)
	_, err := b.Append(ctx, []evidence.Record{record("a"), record("b")}, leafGrow)
	require.NoError(t, err)
	for range b.Query(ctx, evidence.Query{}) {
		// Close while a loop holds a connection: Close gives up with ctx.
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		err := b.Close(short)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		break
	}
	// The loop ended; the pool finishes closing in the background.
	assert.Eventually(t, func() bool { return b.AcquiredConns() == 0 }, 5*time.Second, 10*time.Millisecond)
	_, err = b.Size(ctx)
	require.ErrorIs(t, err, evidence.ErrClosed)
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	base := serverURL(t)
	tests := []struct {
		name string
		conn string
		opts []postgres.Option
		is   error
		not  string
	}{
		{"nil logger", base, []postgres.Option{postgres.WithLogger(nil)}, postgres.ErrInvalidOption, ""},
		{"logger twice", base, []postgres.Option{postgres.WithLogger(slog.Default()), postgres.WithLogger(slog.Default())}, postgres.ErrInvalidOption, ""},
		{"nil option", base, []postgres.Option{nil}, postgres.ErrInvalidOption, ""},
		{"malformed connection string", "postgres://paved:hunter2@host:notaport/db", nil, postgres.ErrInvalidOption, "hunter2"},
		{"a pool of one", withParams(t, base, "pool_max_conns", "1"), nil, postgres.ErrInvalidOption, ""},
		{"no server", "postgres://paved:hunter2@127.0.0.1:1/db?connect_timeout=2", nil, nil, "hunter2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := postgres.Open(ctx, tt.conn, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, b)
			assert.True(t, strings.HasPrefix(err.Error(), "postgres: open"), err.Error())
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			if tt.not != "" {
				assert.NotContains(t, err.Error(), tt.not)
			}
		})
	}
}

func TestSchemaVersion(t *testing.T) {
	ctx := context.Background()
	require.Equal(t, postgres.SchemaVersion, postgres.Migrations())
	conn := freshSchema(t)

	// Concurrent first opens of an empty schema: one migrates, the others
	// find it migrated.
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			b, err := postgres.Open(ctx, conn)
			if err == nil {
				err = b.Close(ctx)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	db := connect(t, conn)
	versions := func() []int {
		rows, err := db.Query(ctx, "SELECT version FROM schema_version ORDER BY version")
		require.NoError(t, err)
		v, err := pgx.CollectRows(rows, pgx.RowTo[int])
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, []int{1, 2}, versions())

	// Reopening changes nothing.
	b, err := postgres.Open(ctx, conn)
	require.NoError(t, err)
	require.NoError(t, b.Close(ctx))
	assert.Equal(t, []int{1, 2}, versions())

	// A newer schema is refused.
	_, err = db.Exec(ctx, "INSERT INTO schema_version (version) VALUES ($1)", postgres.SchemaVersion+1)
	require.NoError(t, err)
	_, err = postgres.Open(ctx, conn)
	require.ErrorIs(t, err, postgres.ErrSchemaTooNew)
	assert.ErrorContains(t, err, fmt.Sprintf("the database has schema version %d, this code knows up to %d", postgres.SchemaVersion+1, postgres.SchemaVersion))
}

func TestLogger(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	b, _ := open(t, postgres.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, err := b.Append(ctx, []evidence.Record{record("a")}, leafGrow)
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "postgres: schema migrated")
	assert.Contains(t, logs.String(), "postgres: appended")
}

// TestLeastPrivilege opens a migrated schema as a role that may read and
// append but create nothing.
func TestLeastPrivilege(t *testing.T) {
	ctx := context.Background()
	b, conn := open(t)
	_, err := b.Append(ctx, []evidence.Record{record("a")}, leafGrow)
	require.NoError(t, err)
	require.NoError(t, b.Close(ctx))

	db := connect(t, conn)
	var schema string
	require.NoError(t, db.QueryRow(ctx, "SELECT current_schema()").Scan(&schema))
	role := schema + "_app"
	if _, err := db.Exec(ctx, "CREATE ROLE "+role+" LOGIN"); err != nil {
		// A developer's own server may deny CREATE ROLE; the server .ci/run
		// starts is a superuser's, so in CI this fails instead.
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot create a role on the CI server: %v", err)
		}
		t.Skipf("cannot create a role on this server: %v", err)
	}
	t.Cleanup(func() {
		for _, stmt := range []string{"DROP OWNED BY " + role, "DROP ROLE " + role} {
			if _, err := db.Exec(ctx, stmt); err != nil {
				t.Errorf("%s: %v", stmt, err)
			}
		}
	})
	for _, stmt := range []string{
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA " + schema + " TO " + role,
	} {
		_, err := db.Exec(ctx, stmt)
		require.NoError(t, err)
	}
	appConn := withParams(t, conn, "user", role)
	var user string
	require.NoError(t, connect(t, appConn).QueryRow(ctx, "SELECT current_user").Scan(&user))
	require.Equal(t, role, user)
	_, err = connect(t, appConn).Exec(ctx, "CREATE TABLE t (x int)")
	require.Error(t, err, "the role may create tables")
	app, err := postgres.Open(ctx, appConn)
	require.NoError(t, err)
	defer app.Close(ctx)
	out, err := app.Append(ctx, []evidence.Record{record("a"), record("b")}, leafGrow)
	require.NoError(t, err)
	assert.Equal(t, []uint64{0, 1}, indexes(out))
	require.NoError(t, app.AddCheckpoint(ctx, evidence.Checkpoint{Size: 2, Root: []byte("r"), Note: []byte("n")}))
	assert.Len(t, all(t, app.Scan(ctx, 0)), 2)
}
