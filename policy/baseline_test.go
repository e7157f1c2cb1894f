package policy_test

import (
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/policy"
)

var baselineDir = flag.String("baseline-dir", "", "directory TestBaselineGate writes the release gate's input, data and policies to, for bench/opa-eval-baseline.sh (default: a temporary directory)")

// TestBaselineGate writes the release gate BenchmarkEvaluateReleaseGate
// measures in the form `opa eval` reads: input.json (the same input,
// canonical JSON), data.json (the engine's data), the built-in library's
// policies under policy/, and controls.tsv (control ID and package per
// line, for the controls that apply at the release stage). It checks
// that the input matches the schema and that every control passes, so the
// baseline does the same work.
func TestBaselineGate(t *testing.T) {
	dir := *baselineDir
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	e := newEngine(t)
	req := releaseRequest(2000, 20)
	in, err := e.Input(req)
	require.NoError(t, err)
	validate(t, policy.InputSchema(), in)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "input.json"), in, 0o644))
	data, err := json.Marshal(settings())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data.json"), data, 0o644))

	require.NoError(t, os.MkdirAll(filepath.Join(dir, "policy"), 0o755))
	err = fs.WalkDir(policy.Library(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		b, err := fs.ReadFile(policy.Library(), p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "policy", p), b, 0o644)
	})
	require.NoError(t, err)

	d := mustEvaluate(t, e, req)
	for _, c := range d.Controls {
		require.Contains(t, []policy.Status{policy.StatusPass, policy.StatusNotApplicable}, c.Status, c.Control)
	}
	// The package of each control, from the policies' METADATA.
	pkgs := map[string]string{}
	err = fs.WalkDir(policy.Library(), ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		b, err := fs.ReadFile(policy.Library(), p)
		if err != nil {
			return err
		}
		pkg := ""
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "package "); ok {
				pkg = "data." + name
			}
			if id, ok := strings.CutPrefix(line, "#   control: "); ok {
				pkgs[id] = pkg
			}
		}
		return nil
	})
	require.NoError(t, err)
	var controls strings.Builder
	for _, c := range d.Controls {
		if c.Status == policy.StatusNotApplicable {
			continue
		}
		require.NotEmpty(t, pkgs[c.Control], c.Control)
		controls.WriteString(c.Control + "\t" + pkgs[c.Control] + "\n")
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "controls.tsv"), []byte(controls.String()), 0o644))
}
