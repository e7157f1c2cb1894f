package drift_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/platform/drift"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sign"
)

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

type fixture struct {
	store    *evidence.Store
	ledger   *ledger.Ledger
	detector *drift.Detector
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	bot, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ops-bot", Key: bot.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ops-bot"}}})
	require.NoError(t, err)
	backend, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "evidence.db"))
	require.NoError(t, err)
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(ctx) })
	l, err := ledger.New(store, bot, ledger.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	d, err := drift.New(store, bot, drift.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	return &fixture{store: store, ledger: l, detector: d}
}

func digest(s string) supplychain.DigestSet {
	sum := sha256.Sum256([]byte(s))
	return supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}
}

// ship releases service@version and deploys it to prod.
func (f *fixture) ship(t *testing.T, service, version string) string {
	t.Helper()
	ctx := context.Background()
	art := supplychain.Subject{Name: service + ".tar.gz", Digest: digest(service + "@" + version)}
	_, err := f.ledger.RecordRelease(ctx, ledger.Release{Service: service, Version: version, ReleasedBy: "release-bot", Artifacts: []supplychain.Subject{art}})
	require.NoError(t, err)
	_, err = f.ledger.RecordDeployment(ctx, attest.Deployment{ID: "D-" + service + "-" + version, Service: service, Environment: "prod", Version: version,
		Deployer: "deploy-bot", Kind: "normal", Outcome: "succeeded", StartedAt: now.Add(-time.Hour), FinishedAt: now.Add(-time.Hour)})
	require.NoError(t, err)
	return "sha256:" + art.Digest["sha256"]
}

func TestLedgerDriftRecordedAsEvidence(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	api := f.ship(t, "api", "1.0.0")
	web := f.ship(t, "web", "2.0.0")

	clean, err := f.detector.Ledger(ctx, f.ledger, "prod", map[string]string{"api": api, "web": web})
	require.NoError(t, err)
	assert.False(t, clean.Drifted())
	assert.Equal(t, []string{"api", "web"}, clean.Drift.Checked)

	rogue := "sha256:" + digest("web built on a laptop")["sha256"]
	worker := "sha256:" + digest("worker")["sha256"]
	got, err := f.detector.Ledger(ctx, f.ledger, "prod", map[string]string{"web": rogue, "worker": worker})
	require.NoError(t, err)
	require.True(t, got.Drifted())
	assert.Equal(t, []attest.Drift{
		{Service: "api", ExpectedVersion: "1.0.0", Expected: []string{api}, Reason: "not observed running"},
		{Service: "web", ExpectedVersion: "2.0.0", Expected: []string{web}, Observed: rogue, Reason: "runs " + rogue + ", not release web@2.0.0"},
		{Service: "worker", Observed: worker, Reason: "runs, but the ledger records no deployment of it in prod"},
	}, got.Drift.Drifts)

	// The check is signed evidence about the observed digests.
	rec, err := f.store.Get(ctx, got.Record.ID)
	require.NoError(t, err)
	assert.Equal(t, attest.PredicateDeploymentDrift, rec.PredicateType)
	assert.Equal(t, "operate", rec.Stage)
	assert.Equal(t, "ops-bot", rec.Signers[0].Name)
	assert.Equal(t, map[string]string{"paved.drift": "ledger", "paved.environment": "prod"}, rec.Labels)
	var names []string
	for _, s := range rec.Subjects {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"web", "worker"}, names)
	var back attest.DeploymentDrift
	require.NoError(t, decode(t, rec, &back))
	assert.Equal(t, got.Drift, back)
}

func TestLedgerRejectsBadObservations(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.ship(t, "api", "1.0.0")
	size := count(t, f.store)
	_, err := f.detector.Ledger(ctx, f.ledger, "prod", map[string]string{"api": "latest", "web": "md5:abc"})
	require.ErrorIs(t, err, drift.ErrInvalidInput)
	assert.ErrorContains(t, err, `observed["api"]`)
	assert.ErrorContains(t, err, `observed["web"]`)
	_, err = f.detector.Ledger(ctx, f.ledger, "", nil)
	require.ErrorIs(t, err, drift.ErrInvalidInput)
	_, err = f.detector.Ledger(ctx, f.ledger, "staging", nil)
	require.ErrorIs(t, err, drift.ErrInvalidInput, "nothing observed and nothing deployed")
	assert.Equal(t, size, count(t, f.store), "nothing recorded")

	_, err = drift.New(f.store, nil, drift.WithStage("deploy"), drift.WithClock(nil))
	assert.ErrorContains(t, err, "nil store or signer")
	assert.ErrorContains(t, err, "WithStage")
	assert.ErrorContains(t, err, "WithClock")
}

func count(t *testing.T, s *evidence.Store) int {
	t.Helper()
	n := 0
	for _, err := range s.Query(context.Background(), evidence.Query{Limit: evidence.MaxQueryLimit}) {
		require.NoError(t, err)
		n++
	}
	return n
}

func decode(t *testing.T, rec evidence.Record, p attest.Predicate) error {
	t.Helper()
	env, err := sign.ParseEnvelope(rec.Envelope)
	require.NoError(t, err)
	payload, err := env.DecodeB64Payload()
	require.NoError(t, err)
	st, err := attest.Parse(payload)
	require.NoError(t, err)
	return st.Decode(p)
}
