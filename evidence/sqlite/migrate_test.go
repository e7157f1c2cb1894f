package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
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

// TestMigrateFromV2 makes a store of schema version 2 and opens it with
// every migration: it must audit clean to the same root, read back every
// record as it was, answer queries, and take appends. The version 2 file
// is made with that version's schema statements and holds the rows that
// version's appends and prunes wrote (envelopes in blobs by record ID):
// they are copied from a store this code wrote, pruned records and a
// checkpoint included.
func TestMigrateFromV2(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, path := filepath.Join(dir, "src.db"), filepath.Join(dir, "v2.db")
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

	// The log: 30 records, 10 of them pruned (which appends a prune
	// record), and a checkpoint.
	written, err := Open(ctx, src)
	require.NoError(t, err)
	store, err := evidence.Open(ctx, written, evidence.WithTrust(trust), evidence.WithCheckpointKey(skey), clock)
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
	for r, err := range written.Scan(ctx, 0) {
		require.NoError(t, err)
		before = append(before, r)
	}
	require.Len(t, before, 31)
	require.NoError(t, store.Close(ctx))

	// The same log in a version 2 file.
	require.NoError(t, create(path))
	db, err := sql.Open("sqlite", dsn(path, DefaultBusyTimeout, "_foreign_keys", "1", "_txlock", "immediate"))
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	version, _, err := migrate(ctx, db, migrations[:2])
	require.NoError(t, err)
	require.Equal(t, 2, version)
	_, err = db.ExecContext(ctx, `ATTACH DATABASE ? AS src`, src)
	require.NoError(t, err)
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	for _, stmt := range []string{
		`INSERT INTO blobs (id, data) SELECT r.id, e.data FROM src.records r JOIN src.envelopes e ON e.idx = r.idx ORDER BY r.idx`,
		`INSERT INTO records (idx, id, leaf_hash, envelope_size, predicate_type, stage, recorded_at, subjects, labels, signers, pruned_at)
			SELECT idx, id, leaf_hash, envelope_size, predicate_type, stage, recorded_at, subjects, labels, signers, pruned_at FROM src.records ORDER BY idx`,
		`INSERT INTO record_digests SELECT digest, idx FROM src.record_digests`,
		`INSERT INTO record_names SELECT name, idx FROM src.record_names`,
		`INSERT INTO record_labels SELECT key, value, idx FROM src.record_labels`,
		`INSERT INTO record_signers SELECT key_id, idx FROM src.record_signers`,
		`INSERT INTO nodes SELECT level, idx, hash FROM src.nodes`,
		`INSERT INTO checkpoints SELECT size, origin, root, note FROM src.checkpoints`,
		`UPDATE log SET size = (SELECT size FROM src.log)`,
	} {
		_, err := tx.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	require.NoError(t, tx.Commit())
	var blobs int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM blobs`).Scan(&blobs))
	require.Equal(t, 31, blobs, "the version 2 layout")
	require.Contains(t, schemaNames(t, db, "index"), "record_digests_idx", "the version 2 layout")
	_, err = db.ExecContext(ctx, `DETACH DATABASE src`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	b, err := Open(ctx, path)
	require.NoError(t, err)
	assert.NotContains(t, schemaNames(t, b.read, "index"), "record_digests_idx", "migrated to the last version")
	assert.Equal(t, []string{"checkpoints", "envelopes", "log", "nodes", "record_digests", "record_labels", "record_names", "record_signers", "records", "schema_version"}, schemaNames(t, b.read, "table"))
	var check string
	require.NoError(t, b.read.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check))
	assert.Equal(t, "ok", check)
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
