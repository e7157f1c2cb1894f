package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
)

func openWriter(t *testing.T) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.db")
	require.NoError(t, create(path))
	db, err := sql.Open("sqlite", dsn(path, DefaultBusyTimeout, "_journal_mode", "WAL", "_txlock", "immediate"))
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// schemaNames returns the names of the file's tables or indexes (kind)
// that a schema statement created, not SQLite's automatic indexes.
func schemaNames(t *testing.T, db *sql.DB, kind string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE type = ? AND sql IS NOT NULL ORDER BY name`, kind)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		out = append(out, n)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	one := migration{1, `CREATE TABLE a (x INTEGER)`}
	two := migration{2, `CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (1)`}
	broken := migration{3, `CREATE TABLE c (x INTEGER); INSERT INTO nowhere VALUES (1)`}

	t.Run("applies in order, once", func(t *testing.T) {
		db := openWriter(t)
		v, applied, err := migrate(ctx, db, []migration{one})
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		assert.Equal(t, []int{1}, applied)
		v, applied, err = migrate(ctx, db, []migration{one, two})
		require.NoError(t, err)
		assert.Equal(t, 2, v)
		assert.Equal(t, []int{2}, applied)
		v, applied, err = migrate(ctx, db, []migration{one, two})
		require.NoError(t, err)
		assert.Equal(t, 2, v)
		assert.Empty(t, applied)
		assert.Equal(t, []string{"a", "b", "schema_version"}, schemaNames(t, db, "table"))
	})
	t.Run("a failing migration applies nothing", func(t *testing.T) {
		db := openWriter(t)
		_, _, err := migrate(ctx, db, []migration{one})
		require.NoError(t, err)
		_, _, err = migrate(ctx, db, []migration{one, two, broken})
		require.ErrorContains(t, err, "schema migration 3")
		assert.Equal(t, []string{"a", "schema_version"}, schemaNames(t, db, "table"), "migration 2 is rolled back with 3")
		var v int
		require.NoError(t, db.QueryRow(`SELECT max(version) FROM schema_version`).Scan(&v))
		assert.Equal(t, 1, v)
	})
	t.Run("a migration that breaks a reference applies nothing", func(t *testing.T) {
		db := openWriter(t)
		_, err := db.Exec(`PRAGMA foreign_keys = ON`)
		require.NoError(t, err)
		parent := migration{1, `CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INTEGER REFERENCES p (id))`}
		orphan := migration{2, `INSERT INTO c VALUES (5)`}
		_, _, err = migrate(ctx, db, []migration{parent})
		require.NoError(t, err)
		_, _, err = migrate(ctx, db, []migration{parent, orphan})
		require.ErrorContains(t, err, "foreign key check: a row of c")
		var n int
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM c`).Scan(&n))
		assert.Zero(t, n)
		var enforced bool
		require.NoError(t, db.QueryRow(`PRAGMA foreign_keys`).Scan(&enforced))
		assert.True(t, enforced, "foreign keys are enforced again")
	})
	t.Run("newer than known", func(t *testing.T) {
		db := openWriter(t)
		_, _, err := migrate(ctx, db, []migration{one, two})
		require.NoError(t, err)
		_, _, err = migrate(ctx, db, []migration{one})
		require.ErrorIs(t, err, ErrSchemaTooNew)
	})
	t.Run("versions must count from one", func(t *testing.T) {
		db := openWriter(t)
		_, _, err := migrate(ctx, db, []migration{two})
		require.Error(t, err)
	})
	t.Run("the real list", func(t *testing.T) {
		for i, m := range migrations {
			assert.Equal(t, i+1, m.version)
		}
	})
}

// TestIteratorsReleaseConnections checks that a loop that stops early, or
// runs to the end, gives its connection back.
func TestIteratorsReleaseConnections(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, filepath.Join(t.TempDir(), "e.db"))
	require.NoError(t, err)
	defer b.Close(ctx)
	var recs []evidence.Record
	for _, s := range []string{"a", "b", "c"} {
		recs = append(recs, evidence.Record{ID: "sha256:" + s, Envelope: []byte(s), LeafHash: []byte(s)})
	}
	leaves := func(size uint64, fresh []evidence.Record, _ evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
		m := map[evidence.NodeID][]byte{}
		for _, r := range fresh {
			m[evidence.NodeID{Index: r.Index}] = r.LeafHash
		}
		return m, nil
	}
	_, err = b.Append(ctx, recs, leaves)
	require.NoError(t, err)
	require.NoError(t, b.AddCheckpoint(ctx, evidence.Checkpoint{Size: 1}))
	require.NoError(t, b.AddCheckpoint(ctx, evidence.Checkpoint{Size: 2}))

	for range 10 {
		for range b.Query(ctx, evidence.Query{}) {
			break
		}
		for range b.Scan(ctx, 0) {
			break
		}
		for range b.Checkpoints(ctx) {
			break
		}
		for range b.Query(ctx, evidence.Query{}) {
		}
	}
	assert.Zero(t, b.read.Stats().InUse, "reading connections in use")
	assert.Zero(t, b.write.Stats().InUse, "writing connections in use")
}

func TestBuildQueryUsesIndexes(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, filepath.Join(t.TempDir(), "e.db"))
	require.NoError(t, err)
	defer b.Close(ctx)
	tests := []struct {
		name string
		q    evidence.Query
		uses string
	}{
		{"digest", evidence.Query{SubjectDigest: "sha256:00", Stage: "x", Labels: map[string]string{"a": "b"}}, "SEARCH x USING PRIMARY KEY (digest=?)"},
		{"name", evidence.Query{SubjectName: "n", Descending: true, After: "5"}, "SEARCH x USING PRIMARY KEY (name=? AND idx<?)"},
		{"signer", evidence.Query{Signer: "k"}, "SEARCH x USING PRIMARY KEY (key_id=?)"},
		{"label", evidence.Query{Labels: map[string]string{"a": "b"}}, "SEARCH x USING PRIMARY KEY (key=? AND value=?)"},
		{"predicate type", evidence.Query{PredicateType: "p"}, "records_predicate_type"},
		{"stage", evidence.Query{Stage: "s", After: "3"}, "records_stage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			query, args, ok := buildQuery(tt.q)
			require.True(t, ok)
			rows, err := b.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
			require.NoError(t, err)
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
				plan = append(plan, detail)
			}
			require.NoError(t, rows.Err())
			t.Log(plan)
			require.NotEmpty(t, plan)
			assert.Contains(t, plan[0], tt.uses)
			for _, step := range plan {
				assert.NotContains(t, step, "TEMP B-TREE", "the query sorts")
				assert.NotRegexp(t, `^SCAN [a-z_]+ [a-z]$|^SCAN (record_|records r$)`, step, "the query scans a table")
			}
		})
	}
}
