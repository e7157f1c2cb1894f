package paved_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sign"
)

// open opens a Program in dir and closes it when the test ends.
func open(t *testing.T, dir string, opts ...paved.Option) *paved.Program {
	t.Helper()
	p, err := paved.Open(t.Context(), dir, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

// runBuild runs a one-step build in dir (the step runs `true` and
// declares dir/app as its product) through the Program's runner.
func runBuild(t *testing.T, p *paved.Program, dir string) *pipeline.Run {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app"), []byte("binary"), 0o644))
	pl, err := pipeline.New("build", pipeline.In(pipeline.Build, step.Command{Args: []string{"true"}, Products: []string{"app"}}))
	require.NoError(t, err)
	run, err := p.Runner().Run(t.Context(), pl, pipeline.InDir(dir))
	require.ErrorIs(t, err, pipeline.ErrBlocked, "the default map blocks a build with no provenance, SBOM or scans")
	require.Len(t, run.Steps, 1)
	require.False(t, run.Steps[0].Failed, run.Steps[0].Message)
	require.Len(t, run.Gates, 1)
	return run
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

// TestKeysCreatedThenReused: the first Open generates the signing and
// checkpoint keys under dir/keys, private halves with mode 0600; the
// second Open loads the same keys and finds the first one's evidence.
func TestKeysCreatedThenReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	p, err := paved.Open(t.Context(), dir)
	require.NoError(t, err)
	first := runBuild(t, p, t.TempDir())

	assert.Equal(t, os.FileMode(0o700), mode(t, dir))
	assert.Equal(t, os.FileMode(0o700), mode(t, filepath.Join(dir, "keys")))
	assert.Equal(t, os.FileMode(0o600), mode(t, filepath.Join(dir, paved.SignerKeyFile)))
	assert.Equal(t, os.FileMode(0o644), mode(t, filepath.Join(dir, paved.SignerKeyFile+".pub")))
	assert.Equal(t, os.FileMode(0o600), mode(t, filepath.Join(dir, paved.CheckpointKeyFile)))
	assert.Equal(t, os.FileMode(0o644), mode(t, filepath.Join(dir, paved.CheckpointVerifierFile)))

	pub, err := sign.LoadVerifier(filepath.Join(dir, paved.SignerKeyFile+".pub"))
	require.NoError(t, err)
	assert.Equal(t, pub.KeyID(), p.Signer().KeyID())
	vkey, err := os.ReadFile(filepath.Join(dir, paved.CheckpointVerifierFile))
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(vkey)), p.CheckpointVerifierKey())
	require.Len(t, first.Steps[0].Record.Signers, 1)
	assert.Equal(t, p.Signer().KeyID(), first.Steps[0].Record.Signers[0].KeyID)
	keyID, verifier := p.Signer().KeyID(), p.CheckpointVerifierKey()
	require.NoError(t, p.Close(t.Context()))

	again := open(t, dir)
	assert.Equal(t, keyID, again.Signer().KeyID(), "the signing key is reused")
	assert.Equal(t, verifier, again.CheckpointVerifierKey(), "the checkpoint key is reused")
	rec, err := again.Store().Get(t.Context(), first.Steps[0].Record.ID)
	require.NoError(t, err)
	assert.Equal(t, first.Steps[0].Record.Index, rec.Index)
	second := runBuild(t, again, t.TempDir())
	assert.Equal(t, keyID, second.Steps[0].Record.Signers[0].KeyID)
	size, err := again.Store().Size(t.Context())
	require.NoError(t, err)
	assert.Equal(t, uint64(6), size, "two runs of a step, a gate decision and a summary")
}

// TestKeyReadableByOthersRefused: a key file whose mode lets others read
// it is refused with a message that says how to fix it, not used.
func TestKeyReadableByOthersRefused(t *testing.T) {
	for _, file := range []string{paved.SignerKeyFile, paved.CheckpointKeyFile} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, open(t, dir).Close(t.Context()))
			path := filepath.Join(dir, file)
			require.NoError(t, os.Chmod(path, 0o644))
			_, err := paved.Open(t.Context(), dir)
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), "chmod 600")
		})
	}
}

// TestCallerBackendSignerAndTrust: the caller's backend, signer, trust
// policy and checkpoint key are the ones used; Open writes no key and no
// database of its own.
func TestCallerBackendSignerAndTrust(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	backend, err := sqlite.Open(t.Context(), filepath.Join(elsewhere, "mine.db"))
	require.NoError(t, err)
	signer, err := sign.GenerateKey(sign.ECDSAP256)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci-bot", Key: signer.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci-bot"}}})
	require.NoError(t, err)
	skey, vkey, err := note.GenerateKey(nil, "example.com/log")
	require.NoError(t, err)

	p := open(t, dir, paved.WithBackend(backend), paved.WithSigner(signer), paved.WithTrust(trust), paved.WithCheckpointKey(skey, vkey))
	assert.Same(t, signer, p.Signer())
	assert.Same(t, trust, p.Trust())
	assert.Equal(t, vkey, p.CheckpointVerifierKey())
	run := runBuild(t, p, t.TempDir())
	require.Len(t, run.Steps[0].Record.Signers, 1)
	assert.Equal(t, sign.Identity{KeyID: signer.KeyID(), Name: "ci-bot"}, run.Steps[0].Record.Signers[0])

	size, err := backend.Size(t.Context())
	require.NoError(t, err)
	assert.Equal(t, uint64(3), size, "the records are in the caller's backend")
	cp, err := p.Store().Checkpoint(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "example.com/log", cp.Origin)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no key and no database under dir")
}

// TestTrustMustAcceptSigner: a trust policy that does not know the
// signer makes the store refuse the run's evidence: the run cannot record
// and fails.
func TestTrustMustAcceptSigner(t *testing.T) {
	other, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "other", Key: other.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"other"}}})
	require.NoError(t, err)
	p := open(t, t.TempDir(), paved.WithTrust(trust))

	pl, err := pipeline.New("build", pipeline.In(pipeline.Build, step.Command{Args: []string{"true"}}))
	require.NoError(t, err)
	run, err := p.Runner().Run(t.Context(), pl, pipeline.InDir(t.TempDir()))
	require.Error(t, err)
	assert.ErrorIs(t, err, sign.ErrUntrustedKey)
	assert.NotEqual(t, pipeline.Succeeded, run.Outcome)
	size, err := p.Store().Size(t.Context())
	require.NoError(t, err)
	assert.Zero(t, size)
}

// TestCallerPoliciesAndGuardrails: the caller's modules join the built-in
// library and read the caller's settings under data.guardrails.
func TestCallerPoliciesAndGuardrails(t *testing.T) {
	module := policy.FS(fstest.MapFS{"platform.rego": {Data: []byte(`package paved.acme_platform

# METADATA
# custom:
#   control: ACME-01
deny contains v if {
	data.guardrails.acme.frozen
	v := {"control": "ACME-01", "msg": "builds are frozen"}
}
`)}})
	status := func(t *testing.T, opts ...paved.Option) policy.ControlResult {
		p := open(t, t.TempDir(), opts...)
		run := runBuild(t, p, t.TempDir())
		c, ok := run.Gates[0].Decision.Control("ACME-01")
		require.True(t, ok, "the decision judges the caller's control")
		return c
	}
	plain := runBuild(t, open(t, t.TempDir()), t.TempDir())
	_, ok := plain.Gates[0].Decision.Control("ACME-01")
	assert.False(t, ok, "without WithPolicies the engine has only the built-in guardrails")
	assert.Equal(t, policy.StatusPass, status(t, paved.WithPolicies(module)).Status)
	frozen := status(t, paved.WithPolicies(module), paved.WithGuardrails(map[string]any{"acme": map[string]any{"frozen": true}}))
	assert.Equal(t, policy.StatusFail, frozen.Status)
	require.Len(t, frozen.Violations, 1)
	assert.Equal(t, "builds are frozen", frozen.Violations[0].Msg)
}

// TestMapFromFile: WithMapFile loads the map the engine is bound to.
func TestMapFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "map.yaml")
	require.NoError(t, os.WriteFile(path, capability.DefaultDocument(), 0o644))
	p := open(t, t.TempDir(), paved.WithMapFile(path))
	assert.Equal(t, capability.Default().Summarize(), p.Map().Summarize())

	m := capability.Default()
	assert.Same(t, m, open(t, t.TempDir(), paved.WithMap(m)).Map())
}

// TestBadOptions: every bad or conflicting option is refused with an
// error that names it, all of them at once, and nothing is written.
func TestBadOptions(t *testing.T) {
	signer, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	skey, _, err := note.GenerateKey(nil, "a.example/log")
	require.NoError(t, err)
	_, otherVkey, err := note.GenerateKey(nil, "a.example/log")
	require.NoError(t, err)
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	badMap := filepath.Join(t.TempDir(), "map.yaml")
	require.NoError(t, os.WriteFile(badMap, []byte("version: 1\nowner: {}\nbogus: true\n"), 0o644))
	badRego := policy.FS(fstest.MapFS{"bad.rego": {Data: []byte("package paved.bad\n\ndeny contains v if {\n")}})

	for _, tc := range []struct {
		name string
		dir  string
		opts []paved.Option
		want []string
	}{
		{"empty dir", "", nil, []string{"empty directory"}},
		{"nil option", "x", []paved.Option{paved.WithService("shop"), nil}, []string{"option 1 is nil"}},
		{"nil map", "x", []paved.Option{paved.WithMap(nil)}, []string{"WithMap: nil map"}},
		{"map twice", "x", []paved.Option{paved.WithMap(capability.Default()), paved.WithMapFile("m.yaml")}, []string{"WithMap and WithMapFile conflict"}},
		{"signer twice", "x", []paved.Option{paved.WithSigner(signer), paved.WithSigner(signer)}, []string{"WithSigner given twice"}},
		{"nil things", "x", []paved.Option{paved.WithSigner(nil), paved.WithTrust(nil), paved.WithBackend(nil), paved.WithClock(nil), paved.WithLogger(nil)},
			[]string{"WithSigner: nil signer", "WithTrust: nil trust policy", "WithBackend: nil backend", "WithClock: nil clock", "WithLogger: nil logger"}},
		{"empty values", "x", []paved.Option{paved.WithMapFile(""), paved.WithService(""), paved.WithPolicies()},
			[]string{"WithMapFile: empty path", "WithService: empty service name", "WithPolicies: no sources"}},
		{"CI context without provider", "x", []paved.Option{paved.WithCI(ci.Context{BuilderID: "https://ci.example/builder"})}, []string{"WithCI: CI context without a provider"}},
		{"checkpoint key halves differ", "x", []paved.Option{paved.WithCheckpointKey(skey, otherVkey)}, []string{"WithCheckpointKey: verifier key a.example/log+", "is not the public half"}},
		{"checkpoint key malformed", "x", []paved.Option{paved.WithCheckpointKey("nonsense", "")}, []string{"WithCheckpointKey: signer key:"}},
		{"environments in guardrails", "x", []paved.Option{paved.WithGuardrails(map[string]any{"environments": nil})}, []string{`WithGuardrails: "environments" comes from the capability map`}},
		{"map file missing", "x", []paved.Option{paved.WithMapFile(missing)}, []string{missing}},
		{"map file invalid", "x", []paved.Option{paved.WithMapFile(badMap)}, []string{badMap + ":3"}},
		{"policy does not compile", "x", []paved.Option{paved.WithPolicies(badRego)}, []string{"bad.rego"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir
			if dir != "" {
				dir = filepath.Join(t.TempDir(), dir)
			}
			p, err := paved.Open(t.Context(), dir, tc.opts...)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.True(t, strings.HasPrefix(err.Error(), "paved: open"), err.Error())
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			if dir != "" {
				_, err := os.Stat(dir)
				assert.ErrorIs(t, err, os.ErrNotExist, "a failed Open writes nothing")
			}
		})
	}
}

// TestFailedOpenClosesCallerBackend: the Program owns a WithBackend
// backend from Open on, so a failed Open closes it.
func TestFailedOpenClosesCallerBackend(t *testing.T) {
	backend, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "mine.db"))
	require.NoError(t, err)
	_, err = paved.Open(t.Context(), t.TempDir(), paved.WithBackend(backend), paved.WithService(""))
	require.Error(t, err)
	_, err = backend.Size(t.Context())
	assert.ErrorIs(t, err, evidence.ErrClosed)
}

// TestClose: Close closes the store; a second Close, and the store's
// methods, return ErrClosed.
func TestClose(t *testing.T) {
	p, err := paved.Open(t.Context(), t.TempDir())
	require.NoError(t, err)
	require.NoError(t, p.Close(t.Context()))
	assert.ErrorIs(t, p.Close(t.Context()), paved.ErrClosed)
	_, err = p.Store().Size(t.Context())
	assert.ErrorIs(t, err, paved.ErrClosed)
	_, err = p.Store().Audit(t.Context())
	assert.ErrorIs(t, err, paved.ErrClosed)
}

// TestStoreUnderDirAuditsClean: after a run and a checkpoint, the SQLite
// file under dir, opened afresh with the verifier key kept beside it,
// audits clean, and the checkpoint proves the run's records.
func TestStoreUnderDirAuditsClean(t *testing.T) {
	dir := t.TempDir()
	p, err := paved.Open(t.Context(), dir)
	require.NoError(t, err)
	run := runBuild(t, p, t.TempDir())
	cp, err := p.Store().Checkpoint(t.Context())
	require.NoError(t, err)
	require.NoError(t, p.Close(t.Context()))

	vkey, err := os.ReadFile(filepath.Join(dir, paved.CheckpointVerifierFile))
	require.NoError(t, err)
	backend, err := sqlite.Open(t.Context(), filepath.Join(dir, paved.StoreFile))
	require.NoError(t, err)
	store, err := evidence.Open(t.Context(), backend, evidence.WithoutVerificationUnsafe(),
		evidence.WithCheckpointVerifier(strings.TrimSpace(string(vkey))))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	report, err := store.Audit(t.Context())
	require.NoError(t, err)
	assert.Equal(t, uint64(3), report.Size)
	assert.Equal(t, 1, report.Checkpoints)
	assert.Equal(t, cp.Root, report.Root)

	for _, rec := range []evidence.Record{run.Steps[0].Record, run.Gates[0].Record, run.Summary} {
		proof, err := store.InclusionProof(t.Context(), rec.ID, cp)
		require.NoError(t, err)
		assert.NoError(t, evidence.VerifyInclusion(strings.TrimSpace(string(vkey)), cp.Note, rec, proof))
	}
}

// TestConcurrentFirstOpens: Opens racing on a fresh directory agree on
// one signing key and one checkpoint key.
func TestConcurrentFirstOpens(t *testing.T) {
	dir := t.TempDir()
	const n = 4
	progs := make([]*paved.Program, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { progs[i], errs[i] = paved.Open(t.Context(), dir) })
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		t.Cleanup(func() { _ = progs[i].Close(context.Background()) })
	}
	for _, p := range progs[1:] {
		assert.Equal(t, progs[0].Signer().KeyID(), p.Signer().KeyID())
		assert.Equal(t, progs[0].CheckpointVerifierKey(), p.CheckpointVerifierKey())
	}
	pub, err := sign.LoadVerifier(filepath.Join(dir, paved.SignerKeyFile+".pub"))
	require.NoError(t, err)
	assert.Equal(t, progs[0].Signer().KeyID(), pub.KeyID())
	entries, err := os.ReadDir(filepath.Join(dir, "keys"))
	require.NoError(t, err)
	assert.Len(t, entries, 4, "two keys and their public halves, no temporary file left")
}

// TestReleaseGateReadsTheLedger: the runner's release gate admits only
// digests the ledger records as released, for the service WithService
// names (every service's by default): DSO-SUP-05 reports a digest the
// ledger has not released.
func TestReleaseGateReadsTheLedger(t *testing.T) {
	artifact := func(name string) supplychain.Subject {
		sum := sha256.Sum256([]byte(name))
		return supplychain.Subject{Name: name, Digest: supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}}
	}
	shop, other := artifact("bin/shop"), artifact("bin/other")
	unreleased := func(t *testing.T, p *paved.Program, subject supplychain.Subject) bool {
		pl, err := pipeline.New("ship", pipeline.In(pipeline.Release, step.Command{Args: []string{"true"}}))
		require.NoError(t, err)
		run, err := p.Runner().Run(t.Context(), pl, pipeline.InDir(t.TempDir()), pipeline.ForSubject(subject))
		require.ErrorIs(t, err, pipeline.ErrBlocked, "the default map blocks a release with no evidence")
		c, ok := run.Gates[0].Decision.Control("DSO-SUP-05")
		require.True(t, ok)
		for _, v := range c.Violations {
			if strings.Contains(v.Msg, "is not released in the ledger") {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name        string
		opts        []paved.Option
		shop, other bool
	}{
		{"every service", nil, false, false},
		{"shop only", []paved.Option{paved.WithService("shop")}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := open(t, t.TempDir(), tc.opts...)
			assert.True(t, unreleased(t, p, shop), "nothing is released yet")
			for svc, a := range map[string]supplychain.Subject{"shop": shop, "other": other} {
				_, err := p.Ledger().RecordRelease(t.Context(), ledger.Release{Service: svc, Version: "1.0.0",
					ReleasedBy: "rm@example.com", Artifacts: []supplychain.Subject{a}})
				require.NoError(t, err)
			}
			assert.Equal(t, tc.shop, unreleased(t, p, shop))
			assert.Equal(t, tc.other, unreleased(t, p, other))
		})
	}
}

// TestClockAndLogger: WithClock stamps the store's records, the runner's
// steps and the engine's decisions; WithLogger receives the runner's and
// the store's logs.
func TestClockAndLogger(t *testing.T) {
	at := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	var logs bytes.Buffer
	p := open(t, t.TempDir(), paved.WithClock(func() time.Time { return at }),
		paved.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	run := runBuild(t, p, t.TempDir())
	assert.True(t, run.Steps[0].Record.RecordedAt.Equal(at), run.Steps[0].Record.RecordedAt)
	assert.True(t, run.Steps[0].StartedAt.Equal(at), run.Steps[0].StartedAt)
	assert.True(t, run.Gates[0].Decision.Time.Equal(at), run.Gates[0].Decision.Time)
	assert.Contains(t, logs.String(), "pipeline: gate decided")
}

// TestCIContextRecorded: WithCI's context reaches the runner: a step's
// record carries the CI system's builder and run URL, the run's summary
// its commit too, and a run with no product or subject is about the CI
// commit.
func TestCIContextRecorded(t *testing.T) {
	commit := strings.Repeat("ab", 20)
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/shop",
		"GITHUB_RUN_ID": "42", "GITHUB_SHA": commit, "GITHUB_ACTOR": "octocat",
		"GITHUB_WORKFLOW_REF": "acme/shop/.github/workflows/ci.yml@refs/heads/main"}
	c := ci.FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.Equal(t, ci.GitHubActions, c.Provider)
	p := open(t, t.TempDir(), paved.WithCI(c))

	pl, err := pipeline.New("plan", pipeline.In(pipeline.Plan, step.Command{Args: []string{"true"}}))
	require.NoError(t, err)
	run, err := p.Runner().Run(t.Context(), pl, pipeline.InDir(t.TempDir()))
	require.ErrorIs(t, err, pipeline.ErrBlocked, "the default map blocks a plan with no change record")
	require.NotNil(t, run.Subject)
	assert.Equal(t, supplychain.DigestSet{"gitCommit": commit}, run.Subject.Digest)

	var link struct {
		Predicate struct{ Byproducts map[string]any } `json:"predicate"`
	}
	recordStatement(t, p, run.Steps[0].Record.ID, &link)
	assert.Equal(t, "https://github.com/acme/shop/.github/workflows/ci.yml@refs/heads/main", link.Predicate.Byproducts["builderId"])
	assert.Equal(t, "https://github.com/acme/shop/actions/runs/42", link.Predicate.Byproducts["runUrl"])
	var summary struct{ Predicate attest.PipelineRun }
	recordStatement(t, p, run.Summary.ID, &summary)
	assert.Equal(t, c.BuilderID, summary.Predicate.BuilderID)
	assert.Equal(t, c.RunURL, summary.Predicate.RunURL)
	assert.Equal(t, commit, summary.Predicate.Commit)
}

// recordStatement decodes the statement of the record id into v.
func recordStatement(t *testing.T, p *paved.Program, id string, v any) {
	t.Helper()
	rec, err := p.Store().Get(t.Context(), id)
	require.NoError(t, err)
	env, err := sign.ParseEnvelope(rec.Envelope)
	require.NoError(t, err)
	payload, err := env.DecodeB64Payload()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(payload, v))
}
