package evidence_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

func backend(t testing.TB) evidence.Backend {
	t.Helper()
	b, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "evidence.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b
}

func TestOpenOptions(t *testing.T) {
	ctx := context.Background()
	s, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "k", Key: s.Verifier}}, nil)
	require.NoError(t, err)
	skey, _, err := note.GenerateKey(nil, "example.com/log")
	require.NoError(t, err)

	_, err = evidence.Open(ctx, nil, evidence.WithTrust(trust))
	assert.Error(t, err, "nil backend")
	b := backend(t)
	_, err = evidence.Open(ctx, b)
	assert.ErrorContains(t, err, "WithTrust", "verification is the default and needs a trust policy")
	_, err = evidence.Open(ctx, b, evidence.WithTrust(trust), evidence.WithoutVerificationUnsafe())
	assert.ErrorContains(t, err, "conflict")
	_, err = evidence.Open(ctx, b, evidence.WithTrust(trust), evidence.WithCheckpointKey("PRIVATE+KEY+nope"))
	assert.Error(t, err)
	_, err = evidence.Open(ctx, b, evidence.WithTrust(trust), evidence.WithMaxEnvelopeSize(0))
	assert.Error(t, err)
	_, err = evidence.Open(ctx, b, evidence.WithoutVerificationUnsafe(), evidence.WithCheckpointKey(skey), evidence.WithClock(nil))
	assert.Error(t, err)

	store, err := evidence.Open(ctx, b, evidence.WithTrust(trust))
	require.NoError(t, err)
	_, err = store.Checkpoint(ctx)
	assert.ErrorIs(t, err, evidence.ErrNoCheckpointKey)
}

func TestAppendCapsEnvelopes(t *testing.T) {
	ctx := context.Background()
	store, err := evidence.Open(ctx, backend(t), evidence.WithoutVerificationUnsafe(), evidence.WithMaxEnvelopeSize(1024))
	require.NoError(t, err)
	_, err = store.Append(ctx, evidence.Entry{Envelope: make([]byte, 1025)})
	assert.ErrorIs(t, err, evidence.ErrInvalidEntry)
	n, err := store.Size(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestAppendWithoutVerification(t *testing.T) {
	ctx := context.Background()
	stranger, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	st, err := attest.Build(attesttest.Samples()[1], attesttest.Subject())
	require.NoError(t, err)
	env, err := sign.Sign(ctx, stranger, st)
	require.NoError(t, err)
	raw, err := json.Marshal(env)
	require.NoError(t, err)

	store, err := evidence.Open(ctx, backend(t), evidence.WithoutVerificationUnsafe())
	require.NoError(t, err)
	recs, err := store.Append(ctx, evidence.Entry{Envelope: raw, Stage: "test"})
	require.NoError(t, err, "an unknown signer is accepted when verification is off")
	assert.Empty(t, recs[0].Signers, "no signer is claimed for an unverified record")
	assert.Equal(t, attest.PredicateTestResult, recs[0].PredicateType)

	_, err = store.Append(ctx, evidence.Entry{Envelope: []byte(`{"payloadType":"x","payload":"bm90IGpzb24=","signatures":[]}`)})
	assert.ErrorIs(t, err, evidence.ErrInvalidEntry, "the statement is still parsed and checked")
}

func TestLeafDataTreatsEmptyAsNil(t *testing.T) {
	r := evidence.Record{ID: "sha256:" + strings.Repeat("a", 64), PredicateType: "x"}
	empty := r
	empty.Labels = map[string]string{}
	empty.Signers = []sign.Identity{}
	assert.Equal(t, r.ComputeLeafHash(), empty.ComputeLeafHash())
	labelled := r
	labelled.Labels = map[string]string{"k": "v"}
	assert.NotEqual(t, r.ComputeLeafHash(), labelled.ComputeLeafHash())
}
