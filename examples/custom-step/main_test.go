package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/policy"
)

// module writes a Go module with the given app.go and a passing test into
// a fresh git repository, and returns its directory.
func module(t *testing.T, app string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":      "module example.com/app\n\ngo 1.26\n",
		"app.go":      app,
		"app_test.go": "package app\n\nimport \"testing\"\n\nfunc TestHello(t *testing.T) {\n\tif Hello() != \"hi\" {\n\t\tt.Fatal(Hello())\n\t}\n}\n",
	}
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "-qm", "app"}} {
		out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	return dir
}

const (
	clean       = "package app\n\nfunc Hello() string { return \"hi\" }\n"
	unreachable = "package app\n\nimport \"fmt\"\n\nfunc Hello() string {\n\treturn \"hi\"\n\tfmt.Println(\"never\")\n\treturn \"\"\n}\n"
	broken      = "package app\n\nfunc Hello() string { return 42 }\n"
)

func TestChecks(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, app string
		// want are the lines of Vet's step, of TEAM-VET-01 and of the
		// evidence Vet recorded.
		want []string
	}{
		{"clean", clean, []string{"step test/go-vet: 0 finding(s)\n", "  TEAM-VET-01 pass\n", ", signed by paved, 0 finding(s)\n"}},
		{"unreachable code", unreachable, []string{"step test/go-vet: 1 finding(s)\n",
			"  TEAM-VET-01 fail: app.go:7:2: unreachable code (unreachable)\n",
			", signed by paved, 1 finding(s)\n", "  app.go:7:2: unreachable code [unreachable]\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pavedDir := t.TempDir()
			var out bytes.Buffer
			run, err := checks(ctx, &out, pavedDir, module(t, tt.app))
			require.NoError(t, err)
			got := out.String()
			assert.Contains(t, got, "step test/go-test: 1 passed, 0 failed, 0 skipped\n")
			for _, want := range tt.want {
				assert.Contains(t, got, want)
			}
			assert.Regexp(t, `evidence sha256:[0-9a-f]{64}: https://example.com/attestation/go-vet/v1, signed by paved`, got)

			// The gate judged the team's control, and its decision is in
			// the store beside the Vet report.
			require.Len(t, run.Gates, 1)
			team := controlResult(t, run.Gates[0].Decision, "TEAM-VET-01")
			assert.Equal(t, policy.Mandatory, team.Enforcement)
			prog, err := paved.Open(ctx, pavedDir)
			require.NoError(t, err)
			defer prog.Close(ctx)
			var reports []evidence.Record
			for r, err := range prog.Store().QueryAll(ctx, evidence.Query{PredicateType: PredicateVet}) {
				require.NoError(t, err)
				reports = append(reports, r)
			}
			require.Len(t, reports, 1)
			assert.Equal(t, "test", reports[0].Stage)
			assert.Equal(t, "go-vet", reports[0].Labels["paved.step"])
			_, err = prog.Store().Get(ctx, run.Gates[0].Record.ID)
			require.NoError(t, err)
		})
	}
}

// TestChecksBlockOnFindings: the team's mandatory control blocks the gate
// on its own, whatever paved's other controls say.
func TestChecksBlockOnFindings(t *testing.T) {
	ctx := context.Background()
	run, err := checks(ctx, &bytes.Buffer{}, t.TempDir(), module(t, unreachable))
	require.NoError(t, err)
	assert.Equal(t, pipeline.Blocked, run.Outcome)
	assert.ErrorIs(t, run.Err, pipeline.ErrBlocked)
	assert.Contains(t, run.Err.Error(), "TEAM-VET-01")
	team := controlResult(t, run.Gates[0].Decision, "TEAM-VET-01")
	assert.Equal(t, policy.StatusFail, team.Status)
}

// TestVetFailsOnBrokenCode: code that does not build fails the step, and
// the run stops before the gate.
func TestVetFailsOnBrokenCode(t *testing.T) {
	ctx := context.Background()
	p, err := pipeline.New("vet", pipeline.In(pipeline.Test, Vet{}))
	require.NoError(t, err)
	prog, err := paved.Open(ctx, t.TempDir())
	require.NoError(t, err)
	defer prog.Close(ctx)
	run, err := prog.Runner().Run(ctx, p, pipeline.InDir(module(t, broken)))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	require.Len(t, run.Steps, 1)
	assert.True(t, run.Steps[0].Failed)
	assert.Contains(t, run.Steps[0].Message, "go vet: ")
	assert.Contains(t, run.Steps[0].Message, "cannot use 42")
	assert.Empty(t, run.Gates)
}

func controlResult(t *testing.T, d *policy.Decision, id string) policy.ControlResult {
	t.Helper()
	for _, c := range d.Controls {
		if c.Control == id {
			return c
		}
	}
	t.Fatalf("decision %s has no control %s", d.ID, id)
	return policy.ControlResult{}
}
