package step_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/internal/testenv"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// stepEnv is a SQLite evidence store and a CI signer it trusts.
type stepEnv struct {
	store  *evidence.Store
	signer *sign.Signer
	trust  *sign.Trust
}

func newStepEnv(t testing.TB) *stepEnv {
	t.Helper()
	ctx := context.Background()
	signer, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: signer.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci"}}})
	require.NoError(t, err)
	b, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "evidence.db"))
	require.NoError(t, err)
	store, err := evidence.Open(ctx, b, evidence.WithTrust(trust))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	return &stepEnv{store: store, signer: signer, trust: trust}
}

// run runs steps as one stage of a pipeline in dir.
func (e *stepEnv) run(t testing.TB, dir string, stage pipeline.Stage, steps ...pipeline.Step) (*pipeline.Run, error) {
	t.Helper()
	p, err := pipeline.New("test", pipeline.In(stage, steps...))
	require.NoError(t, err)
	r, err := pipeline.NewRunner(e.store, e.signer)
	require.NoError(t, err)
	return r.Run(context.Background(), p, pipeline.InDir(dir))
}

// predicate decodes the predicate of the first evidence record of the
// run's step into p.
func (e *stepEnv) predicate(t testing.TB, rec evidence.Record, p attest.Predicate) *attest.Statement {
	t.Helper()
	got, err := e.store.Get(context.Background(), rec.ID)
	require.NoError(t, err)
	env, err := sign.ParseEnvelope(got.Envelope)
	require.NoError(t, err)
	payload, err := env.DecodeB64Payload()
	require.NoError(t, err)
	st, err := attest.Parse(payload)
	require.NoError(t, err)
	if p != nil {
		require.NoError(t, st.Decode(p))
	}
	return st
}

// gitRepo makes a git repository in a temporary directory, with a
// committer identity of its own.
func gitRepo(t testing.TB) string {
	t.Helper()
	testenv.Tool(t, "git", "the test works in a git repository")
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	return dir
}

// git runs git in dir as author dev@example.com.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com",
		"GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
		"GIT_AUTHOR_DATE=2026-11-28T09:00:00Z", "GIT_COMMITTER_DATE=2026-11-28T09:00:00Z")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

// write writes files (path -> content) under dir.
func write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(c), 0o644))
	}
}

// commit writes files and commits them.
func commit(t testing.TB, dir, msg string, files map[string]string) string {
	t.Helper()
	write(t, dir, files)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", msg)
	return git(t, dir, "rev-parse", "HEAD")
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
