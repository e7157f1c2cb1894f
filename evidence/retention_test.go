package evidence_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// retentionStore opens a store over a fresh SQLite file whose clock the
// caller moves, with a CI key trusted for every predicate type.
func retentionStore(t testing.TB, now *time.Time) (*evidence.Store, *sign.Signer, *sign.Trust, string) {
	t.Helper()
	ci, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: ci.Verifier}}, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci"}}})
	require.NoError(t, err)
	skey, vkey, err := note.GenerateKey(nil, "example.com/retention")
	require.NoError(t, err)
	s, err := evidence.Open(context.Background(), backend(t), evidence.WithTrust(trust), evidence.WithCheckpointKey(skey),
		evidence.WithClock(func() time.Time { return *now }))
	require.NoError(t, err)
	return s, ci, trust, vkey
}

func signedEntry(t testing.TB, signer *sign.Signer, p attest.Predicate) evidence.Entry {
	t.Helper()
	st, err := attest.Build(p, attesttest.Subject())
	require.NoError(t, err)
	env, err := sign.Sign(context.Background(), signer, st)
	require.NoError(t, err)
	raw, err := json.Marshal(env)
	require.NoError(t, err)
	return evidence.Entry{Envelope: raw, Stage: "test"}
}

func TestPackOfPrunedRecords(t *testing.T) {
	ctx := context.Background()
	now := attesttest.When
	s, ci, trust, vkey := retentionStore(t, &now)
	samples := attesttest.Samples()
	recs, err := s.Append(ctx, signedEntry(t, ci, samples[1]), signedEntry(t, ci, samples[7])) // a test result, an approval
	require.NoError(t, err)

	now = now.Add(48 * time.Hour)
	report, err := s.Prune(ctx, evidence.Retention{Rules: []evidence.RetentionRule{{PredicateType: attest.PredicateTestResult, MaxAge: 24 * time.Hour}}}, ci)
	require.NoError(t, err)
	require.Equal(t, []string{recs[0].ID}, report.Pruned)

	cp, err := s.Checkpoint(ctx)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, s.Export(ctx, &buf, evidence.Query{}, cp))
	pack, err := evidence.VerifyPack(bytes.NewReader(buf.Bytes()), vkey)
	require.NoError(t, err, "a pack with a pruned record verifies by its proof")
	require.Len(t, pack.Records, 3, "the two records and the prune record")
	assert.Nil(t, pack.Records[0].Envelope)
	assert.Equal(t, now, pack.Records[0].PrunedAt)
	assert.NotNil(t, pack.Records[1].Envelope)
	assert.True(t, pack.Records[1].PrunedAt.IsZero())

	// Import leaves out what it cannot append: the pruned record.
	other, err := evidence.Open(ctx, backend(t), evidence.WithTrust(trust))
	require.NoError(t, err)
	imported, err := other.Import(ctx, bytes.NewReader(buf.Bytes()), vkey)
	require.NoError(t, err)
	require.Len(t, imported, 2)
	assert.Equal(t, recs[1].ID, imported[0].ID)
	assert.Equal(t, attest.PredicatePrune, imported[1].PredicateType)
}

func TestPruneNeedsATrustedSigner(t *testing.T) {
	ctx := context.Background()
	now := attesttest.When
	s, ci, _, _ := retentionStore(t, &now)
	recs, err := s.Append(ctx, signedEntry(t, ci, attesttest.Samples()[1]))
	require.NoError(t, err)
	now = now.Add(48 * time.Hour)
	stranger, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	policy := evidence.Retention{Rules: []evidence.RetentionRule{{MaxAge: time.Hour}}}

	_, err = s.Prune(ctx, policy, stranger)
	require.ErrorIs(t, err, evidence.ErrInvalidEntry, "the prune record must pass the trust policy")
	got, err := s.Get(ctx, recs[0].ID)
	require.NoError(t, err)
	assert.NotNil(t, got.Envelope, "nothing is pruned unless the prune is recorded")
	size, err := s.Size(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), size)

	_, err = s.Prune(ctx, policy, nil)
	require.ErrorIs(t, err, evidence.ErrInvalidRetention)
}

// Prune applies a retention policy: test results older than 90 days lose
// their envelopes unless a legal hold covers them; their records and leaf
// hashes stay, so the log still audits clean.
func ExampleStore_Prune() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "evidence")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ci, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		fmt.Println(err)
		return
	}
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: ci.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{attest.PredicateTestResult, attest.PredicatePrune}, Signers: []string{"ci"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	backend, err := sqlite.Open(ctx, filepath.Join(dir, "evidence.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust), evidence.WithClock(func() time.Time { return now }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)

	for i, labels := range []map[string]string{nil, {"legal-hold": "case-7"}} {
		artifact := attesttest.Subject()
		artifact.Name = fmt.Sprintf("app-%d", i)
		st, err := attest.Build(attesttest.Samples()[1], artifact) // a test result
		if err != nil {
			fmt.Println(err)
			return
		}
		env, err := sign.Sign(ctx, ci, st)
		if err != nil {
			fmt.Println(err)
			return
		}
		raw, err := json.Marshal(env)
		if err != nil {
			fmt.Println(err)
			return
		}
		if _, err := store.Append(ctx, evidence.Entry{Envelope: raw, Stage: "test", Labels: labels}); err != nil {
			fmt.Println(err)
			return
		}
		now = now.Add(time.Hour)
	}

	now = now.AddDate(0, 6, 0)
	report, err := store.Prune(ctx, evidence.Retention{
		Rules: []evidence.RetentionRule{{PredicateType: attest.PredicateTestResult, MaxAge: 90 * 24 * time.Hour}},
		Holds: []attest.LegalHold{{Label: "legal-hold", Reason: "litigation"}},
	}, ci)
	if err != nil {
		fmt.Println(err)
		return
	}
	audit, err := store.Audit(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("pruned %d, held %d, prune recorded at index %d\n", len(report.Pruned), report.Held, report.PruneRecords[0].Index)
	fmt.Printf("audit: %d records verify\n", audit.Size)
	// Output:
	// pruned 1, held 1, prune recorded at index 2
	// audit: 3 records verify
}

func TestQueryAllPagesAndAbout(t *testing.T) {
	ctx := context.Background()
	now := attesttest.When
	s, ci, _, _ := retentionStore(t, &now)
	var want []string
	for i := range 5 {
		recs, err := s.Append(ctx, signedEntry(t, ci, attest.Generic{Type: "https://example.com/n/v1", JSON: []byte(fmt.Sprintf(`{"n":%d}`, i))}))
		require.NoError(t, err)
		want = append(want, recs[0].ID)
		assert.True(t, recs[0].About(attesttest.Subject().Digest))
		assert.False(t, recs[0].About(supplychain.DigestSet{"sha256": strings.Repeat("0", 64)}))
	}
	var got []string
	for r, err := range s.QueryAll(ctx, evidence.Query{Limit: 2}) { // three pages
		require.NoError(t, err)
		got = append(got, r.ID)
	}
	assert.Equal(t, want, got)
	for r, err := range s.QueryAll(ctx, evidence.Query{Limit: -1}) {
		assert.Empty(t, r.ID)
		require.ErrorIs(t, err, evidence.ErrInvalidQuery)
	}
}
