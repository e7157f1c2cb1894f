package iac_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/platform/iac"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// found reports whether s occurs in data in clear or base64-encoded at any
// alignment (a DSSE envelope carries its statement in base64).
func found(data []byte, s string) bool {
	if bytes.Contains(data, []byte(s)) {
		return true
	}
	for k := range 3 {
		padded := append(make([]byte, k), s...)
		enc := base64.StdEncoding.EncodeToString(padded)
		start := (k*4 + 2) / 3
		full := len(padded) / 3 * 4
		if bytes.Contains(data, []byte(enc[start:full])) {
			return true
		}
	}
	return false
}

// TestNoSecretReachesTheEvidenceStore signs the change sets (and the drift)
// of the fixture plans, appends them to a real SQLite evidence store, and
// searches every file of the database for the fixtures' secrets, in clear
// and in base64. Values that are not secret are found the same way, so the
// search is known to see the evidence.
func TestNoSecretReachesTheEvidenceStore(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	ci, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: ci.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{attest.PredicateIaCPlan}, Signers: []string{"ci"}}})
	require.NoError(t, err)
	skey, _, err := note.GenerateKey(nil, "example.com/evidence")
	require.NoError(t, err)
	backend, err := sqlite.Open(ctx, filepath.Join(dir, "evidence.db"))
	require.NoError(t, err)
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust), evidence.WithCheckpointKey(skey))
	require.NoError(t, err)

	var entries []evidence.Entry
	add := func(p attest.Predicate, subject supplychain.Subject) {
		st, err := attest.Build(p, subject)
		require.NoError(t, err)
		env, err := sign.Sign(ctx, ci, st)
		require.NoError(t, err)
		raw, err := json.Marshal(env)
		require.NoError(t, err)
		entries = append(entries, evidence.Entry{Envelope: raw, Stage: "plan", Labels: map[string]string{"fixture": subject.Name}})
	}
	for _, name := range []string{"sensitive.json", "clean.json", "protected-replace.json", "drift.json"} {
		p := parseFile(t, name)
		add(p.Predicate(), p.Subject(name))
		if d, ok := p.Drift(); ok {
			add(d.Predicate(), d.Subject(name))
		}
	}
	recs, err := store.Append(ctx, entries...)
	require.NoError(t, err)
	require.Len(t, recs, len(entries))
	_, err = store.Checkpoint(ctx)
	require.NoError(t, err)
	require.NoError(t, store.Close(ctx))

	var db []byte
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		require.NoError(t, err)
		db = append(db, b...)
	}
	for _, visible := range []string{"aws_ecs_task_definition.api", "acme-logs", "LOG_LEVEL", "kubernetes_secret.api", iac.Redacted} {
		assert.True(t, found(db, visible), "the search cannot see %q in the store: it would miss a leak", visible)
	}
	for _, s := range secrets {
		assert.False(t, found(db, s), "secret %q is in the evidence store", s)
	}
}
