package step_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sign"
	"github.com/paved-dev/paved/supplychain/vuln"
)

// mainGo is the greeter's main package.
const mainGo = `package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, Greet(r.URL.Query().Get("name"))) })
	_ = http.ListenAndServe("127.0.0.1:8080", nil)
}
`

// service writes a small Go service into a new git repository.
func service(t *testing.T) string {
	t.Helper()
	dir := gitRepo(t)
	commit(t, dir, "greeter service", map[string]string{
		"go.mod":        "module example.com/greeter\n\ngo 1.26\n",
		"CODEOWNERS":    "* @acme/greeters\n",
		"main.go":       mainGo,
		"greet.go":      "package main\n\n// Greet says hello.\nfunc Greet(name string) string {\n\tif name == \"\" {\n\t\tname = \"world\"\n\t}\n\treturn \"hello, \" + name\n}\n",
		"greet_test.go": "package main\n\nimport \"testing\"\n\nfunc TestGreet(t *testing.T) {\n\tif Greet(\"\") != \"hello, world\" {\n\t\tt.Fatal(Greet(\"\"))\n\t}\n}\n",
		".gitignore":    "bin/\n",
	})
	return dir
}

// e2e is everything a paved-road run needs: store, ledger, policy, runner.
type e2e struct {
	*stepEnv
	ledger *ledger.Ledger
	runner *pipeline.Runner
	env    step.Env
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	ctx := context.Background()
	e := newStepEnv(t)
	l, err := ledger.New(e.store, e.signer)
	require.NoError(t, err)
	engine, err := policy.New(ctx, policy.Builtin(), policy.WithData(map[string]any{"guardrails": map[string]any{
		"trusted_builders": map[string]any{"https://paved.dev/builders/local/v1": []any{"ci"}},
		"release_signers":  []any{"ci"},
		"teams":            map[string]any{"@acme/greeters": []any{"lead@example.com", "sec@example.com"}},
	}}))
	require.NoError(t, err)
	r, err := pipeline.NewRunner(e.store, e.signer, pipeline.WithPolicy(engine),
		pipeline.WithReleased(func(ctx context.Context) ([]string, error) { return l.Released(ctx, "greeter") }))
	require.NoError(t, err)
	return &e2e{stepEnv: e, ledger: l, runner: r, env: step.Env{Ledger: l, Signer: e.signer, Vulns: vuln.NewDB(nil), Trust: e.trust}}
}

// approve records a team member's approval of a change for release, as
// an approval tool would before the pipeline reaches its Release stage.
func (e *e2e) approve(t *testing.T, change, approver string) {
	t.Helper()
	st, err := attest.Build(attest.Approval{Approver: approver, Decision: "approved", ChangeID: change, Stage: "release",
		Comment: "ship it", DecidedAt: time.Now().UTC()}, supplychain.Subject{Name: "change", Digest: supplychain.DigestSet{"gitCommit": change}})
	require.NoError(t, err)
	env, err := sign.Sign(context.Background(), e.signer, st)
	require.NoError(t, err)
	raw, err := json.Marshal(env)
	require.NoError(t, err)
	_, err = e.store.Append(context.Background(), evidence.Entry{Envelope: raw, Stage: "release"})
	require.NoError(t, err)
}

// goService loads the default template for the greeter.
func (e *e2e) goService(t *testing.T, version string) *pipeline.Pipeline {
	t.Helper()
	p, err := step.GoService(e.env, map[string]string{"service": "greeter", "version": version, "environment": "staging",
		"approvers": "lead@example.com, sec@example.com, dev@example.com", "base": ""})
	require.NoError(t, err)
	return p
}

func TestEndToEndThroughAllFiveStages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a Go service")
	}
	ctx := context.Background()
	e := newE2E(t)
	dir := service(t)
	e.approve(t, git(t, dir, "rev-parse", "HEAD"), "lead@example.com")
	run, err := e.runner.Run(ctx, e.goService(t, "v1.0.0"), pipeline.InDir(dir))
	for _, s := range run.Steps {
		t.Logf("%s/%s: %v %s", s.Stage, s.Name, s.FinishedAt.Sub(s.StartedAt), s.Message)
	}
	require.NoError(t, err)
	assert.Equal(t, pipeline.Succeeded, run.Outcome)
	var names []string
	for _, s := range run.Steps {
		names = append(names, string(s.Stage)+"/"+s.Name)
	}
	assert.Equal(t, []string{"plan/change", "build/compile", "build/vet", "build/sbom", "build/secret-scan", "build/vuln-scan", "build/provenance",
		"test/unit", "release/sign", "release/verify", "release/approval", "release/release", "operate/deploy"}, names)
	require.Len(t, run.Gates, 5)
	for _, g := range run.Gates {
		assert.Equal(t, policy.Allowed, g.Decision.Outcome, "%s gate: %+v", g.Stage, g.Decision.Controls)
	}
	assert.Equal(t, "bin/greeter", run.Subject.Name)

	running, err := e.ledger.Current(ctx, "staging")
	require.NoError(t, err)
	require.Len(t, running, 1)
	assert.Equal(t, "v1.0.0", running[0].Release.Version)
	assert.Equal(t, []string{git(t, dir, "rev-parse", "HEAD")}, running[0].Deployment.Changes, "the deployment carries the release's change, for lead time")
	_, err = e.store.Audit(ctx)
	require.NoError(t, err)

	// A secret planted in the next change stops the run at the Build
	// gate, with the decision stored.
	commit(t, dir, "add deploy config", map[string]string{"deploy/prod.env": "AWS_ACCESS_KEY_ID=" + awsKey() + "\n"})
	run, err = e.runner.Run(ctx, e.goService(t, "v1.0.1"), pipeline.InDir(dir))
	require.ErrorIs(t, err, pipeline.ErrBlocked)
	assert.ErrorContains(t, err, "build gate: DSO-BLD-02")
	assert.Equal(t, pipeline.Blocked, run.Outcome)
	require.Len(t, run.Gates, 2)
	build := run.Gates[1]
	c, ok := build.Decision.Control("DSO-BLD-02")
	require.True(t, ok)
	assert.Equal(t, policy.StatusFail, c.Status)
	stored, err := e.store.Get(ctx, build.Record.ID)
	require.NoError(t, err)
	assert.Equal(t, attest.PredicatePolicyDecision, stored.PredicateType)
	for _, s := range run.Steps {
		assert.NotEqual(t, pipeline.Test, s.Stage, "nothing runs past the blocked gate")
	}
	var everything strings.Builder
	for r, err := range e.store.Query(ctx, evidence.Query{WithEnvelopes: true, Limit: evidence.MaxQueryLimit}) {
		require.NoError(t, err)
		everything.Write(r.Envelope)
	}
	assert.NotContains(t, everything.String(), awsKey())

	// A high-risk change (authentication code, no test) stops at the Plan
	// gate until someone other than its author approves it. (It changes
	// the binary: evidence about the earlier binary, such as the scan
	// that found the key, stays with that artifact.)
	head := commit(t, dir, "remove the leaked key; check sessions", map[string]string{
		"deploy/prod.env": "AWS_REGION=eu-west-1\n",
		"auth/session.go": "package auth\n\n// Valid checks a session.\nfunc Valid(s string) bool { return s != \"\" }\n",
		"main.go": strings.NewReplacer("\"net/http\"\n", "\"net/http\"\n\n\t\"example.com/greeter/auth\"\n",
			"\t_ = http.ListenAndServe", "\t_ = auth.Valid(\"boot\")\n\t_ = http.ListenAndServe").Replace(mainGo)})
	run, err = e.runner.Run(ctx, e.goService(t, "v1.0.2"), pipeline.InDir(dir))
	require.ErrorIs(t, err, pipeline.ErrBlocked)
	assert.ErrorContains(t, err, "plan gate: DSO-PLN-02")
	require.Len(t, run.Steps, 1)
	e.approve(t, head, "lead@example.com")
	_, err = e.runner.Run(ctx, e.goService(t, "v1.0.2"), pipeline.InDir(dir))
	require.ErrorIs(t, err, pipeline.ErrBlocked, "past Plan, a high-risk release needs two approvers")
	assert.ErrorContains(t, err, "release gate: DSO-REL-01")
	e.approve(t, head, "sec@example.com")
	run, err = e.runner.Run(ctx, e.goService(t, "v1.0.3"), pipeline.InDir(dir))
	require.NoError(t, err, "approved by two, the change goes through")
	assert.Equal(t, pipeline.Succeeded, run.Outcome)
}
