package depcheck_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/depcheck"
)

// TestModuleDependencies lists every package of the module with the real go
// command and fails on each import the rules do not allow.
func TestModuleDependencies(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,Standard,Module", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		t.Fatalf("go list: %v\n%s", err, exitErr.Stderr)
	}
	require.NoError(t, err)

	pkgs := decodeList(t, out)
	require.True(t, slices.ContainsFunc(pkgs, func(p depcheck.Package) bool {
		return p.ImportPath == path("capability")
	}), "go list did not list the capability package")
	for _, v := range depcheck.Check(depcheck.Rules(), pkgs) {
		t.Errorf("dependency rule broken: %s", v)
	}
}

func decodeList(t *testing.T, out []byte) []depcheck.Package {
	t.Helper()
	var pkgs []depcheck.Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p depcheck.Package
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return pkgs
		}
		require.NoError(t, err)
		pkgs = append(pkgs, p)
	}
}

func mod(path string) *struct{ Path string } { return &struct{ Path string }{path} }

// path returns the import path of a paved package given relative to the
// module ("." for the root).
func path(rel string) string {
	if rel == "." {
		return depcheck.Module
	}
	return depcheck.Module + "/" + rel
}

func ours(rel string, imports ...string) depcheck.Package {
	return depcheck.Package{ImportPath: path(rel), Imports: imports, Module: mod(depcheck.Module)}
}

func TestCheck(t *testing.T) {
	std := depcheck.Package{ImportPath: "fmt", Standard: true}
	yaml := depcheck.Package{ImportPath: "go.yaml.in/yaml/v3", Module: mod("go.yaml.in/yaml/v3")}
	opa := depcheck.Package{ImportPath: "github.com/open-policy-agent/opa/v1/rego", Module: mod("github.com/open-policy-agent/opa")}
	sqlite := depcheck.Package{ImportPath: "modernc.org/sqlite", Module: mod("modernc.org/sqlite")}

	tests := []struct {
		name string
		pkgs []depcheck.Package
		want []string
	}{
		{
			name: "allowed edges",
			pkgs: []depcheck.Package{std, yaml, opa,
				ours("capability", "fmt", "go.yaml.in/yaml/v3", path("policy")),
				ours("policy", "github.com/open-policy-agent/opa/v1/rego", path("supplychain/attest")),
				ours("examples/quickstart", path("capability"), path(".")),
				ours(".", path("capability")),
			},
		},
		{
			name: "policy must not import capability",
			pkgs: []depcheck.Package{ours("policy", path("capability"))},
			want: []string{depcheck.Module + "/policy imports " + depcheck.Module + "/capability: policy may import only supplychain, supplychain/attest, internal/sarif"},
		},
		{
			name: "evidence must not import a backend",
			pkgs: []depcheck.Package{ours("evidence", path("evidence/sqlite"))},
			want: []string{depcheck.Module + "/evidence imports " + depcheck.Module + "/evidence/sqlite: evidence may import only supplychain, supplychain/attest, supplychain/sign"},
		},
		{
			name: "heavy module in a core package",
			pkgs: []depcheck.Package{sqlite, ours("capability", "modernc.org/sqlite")},
			want: []string{depcheck.Module + "/capability imports modernc.org/sqlite: module modernc.org/sqlite is not among the modules capability may use (go.yaml.in/yaml/v3)"},
		},
		{
			name: "nothing imports examples",
			pkgs: []depcheck.Package{ours(".", path("examples/quickstart")), ours("examples/a", path("examples/b"))},
			want: []string{
				depcheck.Module + " imports " + depcheck.Module + "/examples/quickstart: . may import only ..., !examples/...",
				depcheck.Module + "/examples/a imports " + depcheck.Module + "/examples/b: examples/... may import only ..., !examples/...",
			},
		},
		{
			name: "internal packages use the standard library only",
			pkgs: []depcheck.Package{yaml, ours("internal/x", "fmt", "go.yaml.in/yaml/v3")},
			want: []string{depcheck.Module + "/internal/x imports go.yaml.in/yaml/v3: module go.yaml.in/yaml/v3 is not among the modules internal/... may use (nothing)"},
		},
		{
			name: "a package without a rule",
			pkgs: []depcheck.Package{ours("audit")},
			want: []string{depcheck.Module + "/audit: no dependency rule governs this package; add one to depcheck.Rules"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range depcheck.Check(depcheck.Rules(), tt.pkgs) {
				got = append(got, v.String())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func ExampleCheck() {
	pkgs := []depcheck.Package{{
		ImportPath: depcheck.Module + "/policy",
		Imports:    []string{depcheck.Module + "/capability"},
		Module:     &struct{ Path string }{depcheck.Module},
	}}
	for _, v := range depcheck.Check(depcheck.Rules(), pkgs) {
		fmt.Println(v)
	}
	// Output:
	// github.com/paved-dev/paved/policy imports github.com/paved-dev/paved/capability: policy may import only supplychain, supplychain/attest, internal/sarif
}
