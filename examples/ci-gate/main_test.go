package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// binary is ci-gate built by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ci-gate")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "ci-gate")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	commit   = "2f4a3c1e9b8d7f6a5e4d3c2b1a0f9e8d7c6b5a49"
	builder  = "https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main"
	runURL   = "https://github.com/acme/shop/actions/runs/4242/attempts/2"
	changeID = "PR-7"
)

// job is a workspace as a CI job sees it: an artifact, and a store that
// the job's earlier steps filled with the artifact's change record and its
// approval.
type job struct {
	dir, store, artifact string
	subject              supplychain.Subject
}

func newJob(t *testing.T) job {
	t.Helper()
	ctx := context.Background()
	j := job{dir: t.TempDir()}
	j.store, j.artifact = filepath.Join(j.dir, ".paved"), filepath.Join(j.dir, "app")
	require.NoError(t, os.WriteFile(j.artifact, []byte("the app's binary"), 0o755))
	var err error
	j.subject, err = supplychain.SubjectFromFile("app", j.artifact)
	require.NoError(t, err)

	prog, err := paved.Open(ctx, j.store)
	require.NoError(t, err)
	defer prog.Close(ctx)
	now := time.Now()
	for _, p := range []attest.Predicate{
		attest.Change{ID: changeID, Title: "add the cart", Author: "dev@example.com", Owner: "@acme/shop", Services: []string{"shop"}, Risk: "low", CreatedAt: now},
		attest.Approval{Approver: "rm@example.com", Decision: "approved", ChangeID: changeID, DecidedAt: now},
	} {
		st, err := attest.Build(p, j.subject)
		require.NoError(t, err)
		env, err := sign.Sign(ctx, prog.Signer(), st)
		require.NoError(t, err)
		raw, err := json.Marshal(env)
		require.NoError(t, err)
		_, err = prog.Store().Append(ctx, evidence.Entry{Envelope: raw, Stage: "plan"})
		require.NoError(t, err)
	}
	return j
}

// guardrails writes the platform team's settings: the workflow's builder
// signs with the Program's key, and who is on the owning team.
func (j job) guardrails(t *testing.T) string {
	t.Helper()
	path := filepath.Join(j.dir, "guardrails.json")
	settings := fmt.Sprintf(`{"trusted_builders": {%q: ["paved"]}, "teams": {"@acme/shop": ["dev@example.com", "rm@example.com"]}}`, builder)
	require.NoError(t, os.WriteFile(path, []byte(settings), 0o644))
	return path
}

// run runs ci-gate in the job's directory with a GitHub Actions
// environment and nothing else of the test's.
func (j job) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = j.dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + j.dir,
		"GITHUB_ACTIONS=true", "GITHUB_SERVER_URL=https://github.com", "GITHUB_REPOSITORY=acme/shop",
		"GITHUB_RUN_ID=4242", "GITHUB_RUN_ATTEMPT=2", "GITHUB_SHA=" + commit, "GITHUB_REF=refs/heads/main",
		"GITHUB_ACTOR=octocat", "GITHUB_EVENT_NAME=push", "GITHUB_WORKFLOW_REF=acme/shop/.github/workflows/release.yml@refs/heads/main",
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String(), errOut.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errOut.String()
}

// TestAllowed: the plan gate allows an artifact whose change is recorded,
// approved by its team and gated by the trusted workflow; exit 0.
func TestAllowed(t *testing.T) {
	j := newJob(t)
	code, out, stderr := j.run(t, "--stage", "plan", "--artifact", "app", "--guardrails", j.guardrails(t))
	require.Equal(t, exitAllowed, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "ci github-actions, builder "+builder+", run "+runURL+", commit "+commit+", by octocat\n")
	assert.Contains(t, out, "gate plan for app sha256:"+j.subject.Digest["sha256"]+": allowed\n")
	assert.Regexp(t, `decision [0-9a-f]{32} recorded as sha256:[0-9a-f]{64}\n`, out)
	assert.Empty(t, stderr)
}

// TestBlocked: without the guardrail settings (who is on the team, which
// key signs for the workflow) the plan gate blocks, and says which
// controls failed; exit 1.
func TestBlocked(t *testing.T) {
	j := newJob(t)
	code, out, _ := j.run(t, "--dir", ".paved", "--stage", "plan", "--artifact", "app")
	require.Equal(t, exitBlocked, code, out)
	assert.Contains(t, out, "gate plan for app sha256:"+j.subject.Digest["sha256"]+": blocked\n")
	assert.Regexp(t, `\n  DSO-[A-Z]+-\d+ mandatory (fail|error): `, out)
}

// TestJSON: --output json prints the CI context, the artifact and the
// whole decision, and the records it names hold the CI context.
func TestJSON(t *testing.T) {
	ctx := context.Background()
	j := newJob(t)
	code, out, stderr := j.run(t, "--stage", "release", "--artifact", "app", "--environment", "production", "--output", "json")
	require.Equal(t, exitBlocked, code, "a release needs far more evidence than a change record: %s", stderr)
	var res struct {
		CI struct {
			Provider, BuilderID, RunURL, Commit, Actor, Trigger string
		}
		Stage, Outcome, Error, Run, Summary, DecisionRecord string
		Subject                                             supplychain.Subject
		Decision                                            struct {
			ID, Stage, Environment, Outcome string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.Equal(t, "github-actions", res.CI.Provider)
	assert.Equal(t, builder, res.CI.BuilderID)
	assert.Equal(t, runURL, res.CI.RunURL)
	assert.Equal(t, commit, res.CI.Commit)
	assert.Equal(t, "octocat", res.CI.Actor)
	assert.Equal(t, "push", res.CI.Trigger)
	assert.Equal(t, "release", res.Stage)
	assert.Equal(t, "blocked", res.Outcome)
	assert.Contains(t, res.Error, "blocked by policy: release gate: ")
	assert.Equal(t, j.subject, res.Subject)
	assert.Equal(t, "blocked", res.Decision.Outcome)
	assert.Equal(t, "production", res.Decision.Environment)

	// What the gate recorded carries the CI context: the step's link
	// record, the run's summary, and the decision, all about the artifact.
	prog, err := paved.Open(ctx, j.store)
	require.NoError(t, err)
	defer prog.Close(ctx)
	var steps []evidence.Record
	for r, err := range prog.Store().QueryAll(ctx, evidence.Query{Labels: map[string]string{"paved.run": res.Run, "paved.step": "declare-artifact"}, WithEnvelopes: true}) {
		require.NoError(t, err)
		steps = append(steps, r)
	}
	require.Len(t, steps, 1)
	assert.True(t, steps[0].About(j.subject.Digest))
	var link struct {
		Predicate struct {
			Materials  []struct{ Digest map[string]string }
			Byproducts map[string]any
		}
	}
	decode(t, steps[0], &link)
	assert.Equal(t, builder, link.Predicate.Byproducts["builderId"])
	assert.Equal(t, runURL, link.Predicate.Byproducts["runUrl"])
	require.Len(t, link.Predicate.Materials, 1)
	assert.Equal(t, j.subject.Digest["sha256"], link.Predicate.Materials[0].Digest["sha256"])

	summary, err := prog.Store().Get(ctx, res.Summary)
	require.NoError(t, err)
	var run struct{ Predicate attest.PipelineRun }
	decode(t, summary, &run)
	assert.Equal(t, builder, run.Predicate.BuilderID)
	assert.Equal(t, runURL, run.Predicate.RunURL)
	assert.Equal(t, commit, run.Predicate.Commit)
	assert.Equal(t, "blocked", run.Predicate.Outcome)

	decision, err := prog.Store().Get(ctx, res.DecisionRecord)
	require.NoError(t, err)
	assert.Equal(t, attest.PredicatePolicyDecision, decision.PredicateType)
	assert.True(t, decision.About(j.subject.Digest))
}

// decode decodes the statement of rec into v.
func decode(t *testing.T, rec evidence.Record, v any) {
	t.Helper()
	env, err := sign.ParseEnvelope(rec.Envelope)
	require.NoError(t, err)
	payload, err := env.DecodeB64Payload()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(payload, v))
}

// TestUsageErrors: bad flags and inputs exit 2, saying what is wrong, and
// record nothing.
func TestUsageErrors(t *testing.T) {
	j := newJob(t)
	require.NoError(t, os.WriteFile(filepath.Join(j.dir, "bad.json"), []byte("[1"), 0o644))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--stag", "plan"}, "flag provided but not defined: -stag"},
		{"no stage", []string{"--artifact", "app"}, "--stage is required"},
		{"unknown stage", []string{"--stage", "deploy", "--artifact", "app"}, `--stage: unknown stage "deploy"`},
		{"no artifact", []string{"--stage", "plan"}, "--artifact is required"},
		{"missing artifact", []string{"--stage", "plan", "--artifact", "nope"}, "--artifact: "},
		{"extra arguments", []string{"--stage", "plan", "--artifact", "app", "extra"}, "unexpected arguments: [extra]"},
		{"bad output", []string{"--stage", "plan", "--artifact", "app", "--output", "yaml"}, `--output "yaml": want text or json`},
		{"no store", []string{"--dir", "elsewhere", "--stage", "plan", "--artifact", "app"}, "no evidence store in elsewhere"},
		{"bad guardrails", []string{"--stage", "plan", "--artifact", "app", "--guardrails", "bad.json"}, "--guardrails: bad.json: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := j.run(t, tc.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, out)
			assert.Contains(t, stderr, tc.want)
		})
	}
	ctx := context.Background()
	prog, err := paved.Open(ctx, j.store)
	require.NoError(t, err)
	defer prog.Close(ctx)
	n, err := prog.Store().Size(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n, "only the job's change and approval")
}

// TestInternalError: a store that cannot be opened exits 3.
func TestInternalError(t *testing.T) {
	j := newJob(t)
	require.NoError(t, os.WriteFile(filepath.Join(j.store, paved.StoreFile), []byte("not a database, not at all"), 0o600))
	code, out, stderr := j.run(t, "--stage", "plan", "--artifact", "app")
	assert.Equal(t, exitInternal, code)
	assert.Empty(t, out)
	assert.True(t, strings.HasPrefix(stderr, "ci-gate: paved: open .paved: "), stderr)
}
