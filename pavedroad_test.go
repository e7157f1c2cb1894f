package paved_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/internal/testenv"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
	"github.com/paved-dev/paved/supplychain/vuln"
)

// roadGuardrails are the settings the default map's paved road needs
// beside its environments: the Program's own signer is the local
// builder and the release signer, and the greeters team (the service's
// CODEOWNERS owner) approves its changes.
var roadGuardrails = map[string]any{
	"trusted_builders": map[string]any{"https://paved.dev/builders/local/v1": []any{"paved"}},
	"release_signers":  []any{"paved"},
	"teams":            map[string]any{"@acme/greeters": []any{"release-manager@example.com", "dev@example.com"}},
	"package_sources":  []any{"pkg:golang/"},
}

// greeter writes a small Go service, owned by @acme/greeters, into a new
// git repository and returns its directory and head commit.
func greeter(t *testing.T) (dir, head string) {
	t.Helper()
	testenv.Tool(t, "git", "the test works in a git repository")
	dir = t.TempDir()
	for name, content := range map[string]string{
		"go.mod":        "module example.com/greeter\n\ngo 1.26\n",
		"CODEOWNERS":    "* @acme/greeters\n",
		"main.go":       "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(Greet(\"\")) }\n",
		"greet.go":      "package main\n\n// Greet says hello.\nfunc Greet(name string) string {\n\tif name == \"\" {\n\t\tname = \"world\"\n\t}\n\treturn \"hello, \" + name\n}\n",
		"greet_test.go": "package main\n\nimport \"testing\"\n\nfunc TestGreet(t *testing.T) {\n\tif Greet(\"\") != \"hello, world\" {\n\t\tt.Fatal(Greet(\"\"))\n\t}\n}\n",
		".gitignore":    "bin/\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "greeter service")
	return dir, git(t, dir, "rev-parse", "HEAD")
}

// git runs git in dir as author dev@example.com.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com",
		"GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

// approve records approver's approval of change for release, signed by
// the Program, as an approval tool would before the pipeline runs.
func approve(t *testing.T, p *paved.Program, change, approver string) {
	t.Helper()
	st, err := attest.Build(attest.Approval{Approver: approver, Decision: "approved", ChangeID: change, Stage: "release",
		Comment: "ship it", DecidedAt: time.Now().UTC()}, supplychain.Subject{Name: "change", Digest: supplychain.DigestSet{"gitCommit": change}})
	require.NoError(t, err)
	env, err := sign.Sign(t.Context(), p.Signer(), st)
	require.NoError(t, err)
	raw, err := json.Marshal(env)
	require.NoError(t, err)
	_, err = p.Store().Append(t.Context(), evidence.Entry{Envelope: raw, Stage: "release"})
	require.NoError(t, err)
}

// onRoad opens a Program for the greeter with roadGuardrails and makes
// the service, whose head commit a greeter (release-manager) approved.
// It skips in -short mode: the road builds and tests the service.
func onRoad(t *testing.T) (p *paved.Program, dir, head string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and tests a Go service")
	}
	p = open(t, t.TempDir(), paved.WithService("greeter"), paved.WithGuardrails(roadGuardrails))
	dir, head = greeter(t)
	approve(t, p, head, "release-manager@example.com")
	return p, dir, head
}

// road runs the paved-road template for the greeter in dir through the
// Program's runner, deploying version to env as deploy-bot.
func road(t *testing.T, p *paved.Program, dir, env, version string) (*pipeline.Run, error) {
	t.Helper()
	pl, err := step.GoService(step.Env{Ledger: p.Ledger(), Signer: p.Signer(), Vulns: vuln.NewDB(nil), Trust: p.Trust()},
		map[string]string{"service": "greeter", "version": version, "environment": env, "approvers": "release-manager@example.com", "base": ""})
	require.NoError(t, err)
	return p.Runner().Run(t.Context(), pl, pipeline.InDir(dir), pipeline.ToEnvironment(env), pipeline.AsDeployer("deploy-bot@example.com"))
}

// failing lists the controls of a decision that failed or erred.
func failing(d *policy.Decision) []string {
	var out []string
	for _, c := range d.Controls {
		if c.Status == policy.StatusFail || c.Status == policy.StatusError {
			out = append(out, c.Control+": "+c.Message)
		}
	}
	return out
}

// The default capability map gates a paved-road run end to end: with the
// evidence the template records and an approval by the owning team, all
// five gates allow the change through dev and then staging.
func TestPavedRoadPassesEveryGate(t *testing.T) {
	p, dir, _ := onRoad(t)
	approved := time.Now() // the change's approval is recorded before this

	// Staging takes only what ran in dev: the same commit goes through dev
	// as a release candidate, then through staging as the release.
	for _, leg := range []struct{ env, version string }{{"dev", "v1.0.0-rc.1"}, {"staging", "v1.0.0"}} {
		env := leg.env
		run, err := road(t, p, dir, env, leg.version)
		for _, s := range run.Steps {
			t.Logf("%s: %s/%s: %s", env, s.Stage, s.Name, s.Message)
		}
		require.NoError(t, err, env)
		assert.Equal(t, pipeline.Succeeded, run.Outcome, env)
		var stages []pipeline.Stage
		for _, g := range run.Gates {
			stages = append(stages, g.Stage)
			assert.Equal(t, policy.Allowed, g.Decision.Outcome, "%s %s gate: %v", env, g.Stage, failing(g.Decision))
		}
		assert.Equal(t, []pipeline.Stage{pipeline.Plan, pipeline.Build, pipeline.Test, pipeline.Release, pipeline.Operate}, stages, env)
		require.Len(t, run.Gates, 5)
		build, release, operate := run.Gates[1].Decision, run.Gates[3].Decision, run.Gates[4].Decision
		for _, c := range []struct {
			d  *policy.Decision
			id string
		}{{build, "DSO-PLT-01"}, {build, "DSO-SUP-03"}, {release, "DSO-REL-04"}, {release, "DSO-XCT-01"}, {release, "DSO-XCT-05"}, {release, "DSO-CMP-02"},
			{operate, "DSO-OPS-01"}, {operate, "DSO-OPS-03"}, {operate, "DSO-CMP-03"}, {operate, "DSO-XCT-05"}, {operate, "DSO-PLT-02"}} {
			r, ok := c.d.Control(c.id)
			require.True(t, ok, c.id)
			assert.Equal(t, policy.StatusPass, r.Status, "%s at %s: %s", c.id, c.d.Stage, r.Message)
		}
		// The template's go vet step is the static analysis.
		bld06, ok := build.Control("DSO-BLD-06")
		require.True(t, ok)
		assert.Equal(t, policy.StatusPass, bld06.Status, bld06.Message)
	}
	running, err := p.Ledger().Current(t.Context(), "staging")
	require.NoError(t, err)
	require.Len(t, running, 1)
	assert.Equal(t, "v1.0.0", running[0].Release.Version)

	// The assessment of the release agrees with its gates: it reads what
	// they read (the runs' step records, the change the artifact was
	// released from and its approvals, who deployed it to staging), so no
	// mandatory control is a gap.
	released, err := p.Ledger().Released(t.Context(), "greeter")
	require.NoError(t, err)
	as, err := capability.Assess(t.Context(), p.Map(), p.Store(), p.Engine(), capability.AssessmentScope{Service: "greeter", Release: "v1.0.0",
		Subjects: running[0].Release.Artifacts, Environment: "staging", Released: released})
	require.NoError(t, err)
	for _, c := range as.Controls {
		if c.Enforcement == capability.Mandatory {
			assert.Contains(t, []capability.Status{capability.StatusPass, capability.StatusManual, capability.StatusNotApplicable}, c.Status, "%s: %s", c.Control, c.Message)
		}
	}
	var types []string
	for _, r := range as.Records {
		types = append(types, r.PredicateType)
	}
	assert.Contains(t, types, attest.PredicateApproval, "the change's approval, though it is about the commit")

	// A time range bounds those records too: the approval, recorded
	// before it, is left out.
	as, err = capability.Assess(t.Context(), p.Map(), p.Store(), p.Engine(), capability.AssessmentScope{Service: "greeter", Release: "v1.0.0",
		Subjects: running[0].Release.Artifacts, Environment: "staging", Released: released, Since: approved})
	require.NoError(t, err)
	types = nil
	for _, r := range as.Records {
		types = append(types, r.PredicateType)
	}
	assert.Contains(t, types, attest.PredicateChange)
	assert.NotContains(t, types, attest.PredicateApproval)
}

// An approval by someone outside the change's owning team stops the run
// at its first gate, on DSO-XCT-01, before anything is built.
func TestPavedRoadBlocksApproverOutsideOwningTeam(t *testing.T) {
	p, dir, head := onRoad(t)
	approve(t, p, head, "appsec@example.com") // security engineering, not a greeter

	run, err := road(t, p, dir, "dev", "v1.0.0")
	require.ErrorIs(t, err, pipeline.ErrBlocked)
	assert.ErrorContains(t, err, "plan gate: DSO-XCT-01")
	assert.Equal(t, pipeline.Blocked, run.Outcome)
	require.Len(t, run.Gates, 1)
	c, ok := run.Gates[0].Decision.Control("DSO-XCT-01")
	require.True(t, ok)
	assert.Equal(t, policy.StatusFail, c.Status)
	require.Len(t, c.Violations, 1)
	assert.Contains(t, c.Violations[0].Msg, "appsec@example.com approved change "+head+" but is not a member of its owning team @acme/greeters")
	for _, s := range run.Steps {
		assert.Equal(t, pipeline.Plan, s.Stage, "nothing runs past the blocked gate")
	}
}
