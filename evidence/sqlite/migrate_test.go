package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// indexNames returns the names of the file's indexes that a schema
// statement created (not SQLite's automatic ones).
func indexNames(t *testing.T, b *Backend) []string {
	t.Helper()
	rows, err := b.read.Query(`SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)
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

// TestMigrateFromV2 writes a store of schema version 2 with this code
// (whose appends and prunes write the same rows under version 2 as under
// 3), pruned records and a checkpoint included, then opens it with every
// migration: it must audit clean to the same root, read back every record
// as it was, answer queries, and take appends.
func TestMigrateFromV2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	ci, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: ci.Verifier}}, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci"}}})
	require.NoError(t, err)
	skey, _, err := note.GenerateKey(nil, "example.com/migrate")
	require.NoError(t, err)
	now := time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)
	clock := evidence.WithClock(func() time.Time { return now })
	entry := func(i int, predicateType string) evidence.Entry {
		sub := supplychain.Subject{Name: fmt.Sprint("app-", i), Digest: supplychain.DigestSet{"sha256": fmt.Sprintf("%x", sha256.Sum256(fmt.Append(nil, "artifact-", i)))}}
		st, err := attest.Build(attest.Generic{Type: predicateType, JSON: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}, sub)
		require.NoError(t, err)
		env, err := sign.Sign(ctx, ci, st)
		require.NoError(t, err)
		raw, err := json.Marshal(env)
		require.NoError(t, err)
		return evidence.Entry{Envelope: raw, Stage: "build", Labels: map[string]string{"n": fmt.Sprint(i)}}
	}
	const oldType, keptType = "https://example.com/old/v1", "https://example.com/kept/v1"

	// A version 2 store: 30 records, 10 of them pruned (which appends a
	// prune record), and a checkpoint.
	require.NoError(t, create(path))
	v2 := &Backend{path: path, log: slog.New(slog.DiscardHandler)}
	require.NoError(t, v2.open(ctx, path, config{busyTimeout: DefaultBusyTimeout}, migrations[:2]))
	assert.Contains(t, indexNames(t, v2), "record_digests_idx", "the version 2 schema")
	store, err := evidence.Open(ctx, v2, evidence.WithTrust(trust), evidence.WithCheckpointKey(skey), clock)
	require.NoError(t, err)
	var entries []evidence.Entry
	for i := range 30 {
		entries = append(entries, entry(i, map[bool]string{true: oldType, false: keptType}[i%3 == 0]))
	}
	_, err = store.Append(ctx, entries...)
	require.NoError(t, err)
	now = now.Add(48 * time.Hour)
	report, err := store.Prune(ctx, evidence.Retention{Rules: []evidence.RetentionRule{{PredicateType: oldType, MaxAge: time.Hour}}}, ci)
	require.NoError(t, err)
	require.Len(t, report.Pruned, 10)
	cp, err := store.Checkpoint(ctx)
	require.NoError(t, err)
	var before []evidence.Record
	for r, err := range v2.Scan(ctx, 0) {
		require.NoError(t, err)
		before = append(before, r)
	}
	require.Len(t, before, 31)
	require.NoError(t, store.Close(ctx))

	b, err := Open(ctx, path)
	require.NoError(t, err)
	assert.NotContains(t, indexNames(t, b), "record_digests_idx", "migrated to the last version")
	store, err = evidence.Open(ctx, b, evidence.WithTrust(trust), evidence.WithCheckpointKey(skey), clock)
	require.NoError(t, err)
	defer store.Close(ctx)
	audit, err := store.Audit(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(31), audit.Size)
	assert.Equal(t, cp.Root, audit.Root)
	assert.Equal(t, 1, audit.Checkpoints)

	for _, r := range before {
		got, err := store.Get(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, r, got)
		if r.PredicateType == oldType {
			assert.Nil(t, got.Envelope, "record %d stays pruned", r.Index)
		} else {
			assert.NotEmpty(t, got.Envelope, "record %d keeps its envelope", r.Index)
		}
		if len(r.Subjects) != 1 {
			continue // the prune record
		}
		for _, q := range []evidence.Query{
			{SubjectDigest: "sha256:" + r.Subjects[0].Digest["sha256"]},
			{SubjectName: r.Subjects[0].Name},
			{Labels: r.Labels, Signer: r.Signers[0].KeyID},
		} {
			var idx []uint64
			for got, err := range store.Query(ctx, q) {
				require.NoError(t, err)
				idx = append(idx, got.Index)
			}
			assert.Equal(t, []uint64{r.Index}, idx, "query %+v", q)
		}
	}

	_, err = store.Append(ctx, entry(30, keptType))
	require.NoError(t, err)
	_, err = store.Checkpoint(ctx)
	require.NoError(t, err)
	audit, err = store.Audit(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(32), audit.Size)
}
