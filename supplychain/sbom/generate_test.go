package sbom_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/sbom"
)

// shopDir is a module that needs yaml, a locally replaced module and, for
// its test only, testify; objx is in its module graph but provides no
// package to the build.
const shopDir = "testdata/shop"

var fixedTime = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return fixedTime }

// goList runs the go command offline in dir.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOWORK=off")
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("go %v: %v: %s", args, err, ee.Stderr)
	}
	require.NoError(t, err)
	return string(out)
}

func componentNames(bom *cdx.BOM) []string {
	var names []string
	for _, c := range *bom.Components {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	return names
}

// neededByGoList lists the modules that provide packages to the build
// of dir (and its tests' with -test), computed by go list, independently
// of go mod why.
func neededByGoList(t *testing.T, dir string, test bool) []string {
	args := []string{"list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}"}
	if test {
		args = append(args, "-test")
	}
	want := strings.Fields(goCmd(t, dir, append(args, "./...")...))
	slices.Sort(want)
	return slices.Compact(want)
}

func TestGenerateModuleListsTheNeededModules(t *testing.T) {
	bom, err := sbom.GenerateModule(context.Background(), shopDir, sbom.WithClock(fixedClock), sbom.WithMainVersion("v1.4.0"))
	require.NoError(t, err)
	assert.Equal(t, neededByGoList(t, shopDir, false), componentNames(bom))
	assert.Equal(t, []string{"example.com/vulnlib", "go.yaml.in/yaml/v3"}, componentNames(bom), "testify serves only the tests")

	bom, err = sbom.GenerateModule(context.Background(), shopDir, sbom.WithClock(fixedClock), sbom.WithMainVersion("v1.4.0"), sbom.WithTests())
	require.NoError(t, err)
	assert.Equal(t, neededByGoList(t, shopDir, true), componentNames(bom))
	assert.Equal(t, []string{"example.com/vulnlib", "github.com/stretchr/testify", "go.yaml.in/yaml/v3"}, componentNames(bom))

	md := bom.Metadata
	assert.Equal(t, "2026-03-01T10:00:00Z", md.Timestamp)
	assert.Regexp(t, `^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, bom.SerialNumber)
	require.NotNil(t, md.Tools)
	assert.Equal(t, "paved", (*md.Tools.Components)[0].Name)
	assert.Equal(t, "example.com/shop", md.Component.Name)
	assert.Equal(t, "pkg:golang/example.com/shop@v1.4.0", md.Component.PackageURL)

	byName := map[string]cdx.Component{}
	for _, c := range *bom.Components {
		byName[c.Name] = c
	}
	testify := byName["github.com/stretchr/testify"]
	assert.Equal(t, "v1.12.1", testify.Version)
	assert.Equal(t, "pkg:golang/github.com/stretchr/testify@v1.12.1", testify.PackageURL)
	require.NotNil(t, testify.Hashes)
	// go.sum: h1:EuwCh5fleGS7H32xRwO3wRGT7DxrDhLAT6FF8MpWDWE=
	assert.Equal(t, cdx.Hash{Algorithm: cdx.HashAlgoSHA256, Value: "12ec028797e57864bb1f7db14703b7c11193ec3c6b0e12c04fa145f0ca560d61"}, (*testify.Hashes)[0])
	require.NotNil(t, testify.Licenses, "testify's MIT license is in the module cache")
	assert.Equal(t, "MIT", (*(*testify.Licenses)[0].License).ID)
	yaml := byName["go.yaml.in/yaml/v3"]
	require.NotNil(t, yaml.Licenses)
	assert.Equal(t, "Apache-2.0", (*(*yaml.Licenses)[0].License).ID, "yaml's LICENSE opens with the Apache 2.0 notice")
	vuln := byName["example.com/vulnlib"]
	assert.Equal(t, []cdx.Property{{Name: sbom.PropertyReplaceDir, Value: "./vulnlib"}}, *vuln.Properties)
	assert.Nil(t, vuln.Hashes, "a directory replacement has no go.sum hash")

	s, err := sbom.FromCycloneDX(bom)
	require.NoError(t, err)
	// go.mod requires yaml too (indirect), so the main module depends on it.
	assert.Equal(t, []string{vuln.BOMRef, testify.BOMRef, yaml.BOMRef}, s.DependsOn(md.Component.BOMRef))
	assert.Equal(t, []string{yaml.BOMRef}, s.DependsOn(testify.BOMRef))
}

func TestGenerateModuleFullGraph(t *testing.T) {
	bom, err := sbom.GenerateModule(context.Background(), shopDir, sbom.WithFullGraph())
	require.NoError(t, err)
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(goCmd(t, shopDir, "list", "-m", "-f", "{{if not .Main}}{{.Path}}{{end}}", "all")), "\n") {
		if line != "" {
			want = append(want, line)
		}
	}
	slices.Sort(want)
	assert.Equal(t, want, componentNames(bom))
	assert.Contains(t, componentNames(bom), "github.com/stretchr/objx")
}

func TestGenerateModuleNeverDownloads(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/x\n\ngo 1.26.0\n\nrequire example.com/not-in-any-cache v1.0.0\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.go"), []byte("package x\n\nimport _ \"example.com/not-in-any-cache\"\n"), 0o644))
	_, err := sbom.GenerateModule(context.Background(), dir)
	require.ErrorIs(t, err, sbom.ErrGoCommand)
	assert.Contains(t, err.Error(), "GOPROXY=off")
}

func TestGenerateBinaryMatchesGoVersionM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "shop")
	goCmd(t, shopDir, "build", "-o", bin, ".")
	bom, err := sbom.GenerateBinary(bin, sbom.WithClock(fixedClock))
	require.NoError(t, err)

	// What go version -m prints: "\tdep\tpath\tversion[\tsum]" and, for a
	// replaced module, "\t=>\tpath\tversion[\tsum]" after it: the
	// replacement module, or for a directory ("./vulnlib") the module it
	// replaces, with no sum.
	type mod struct{ path, version, sum string }
	var want []mod
	var goVersion string
	sawDirReplace := false
	settings := map[string]string{}
	for i, line := range strings.Split(goCmd(t, ".", "version", "-m", bin), "\n") {
		f := strings.Split(strings.TrimSpace(line), "\t")
		switch {
		case i == 0:
			goVersion = strings.TrimSpace(line[strings.LastIndex(line, " ")+1:])
		case f[0] == "dep":
			want = append(want, mod{f[1], f[2], at(f, 3)})
		case f[0] == "=>" && strings.HasPrefix(f[1], "."):
			want[len(want)-1].sum = ""
			sawDirReplace = true
		case f[0] == "=>":
			want[len(want)-1] = mod{f[1], f[2], at(f, 3)}
		case f[0] == "build":
			k, v, _ := strings.Cut(f[1], "=")
			settings[k] = v
		}
	}
	require.NotEmpty(t, want)
	require.True(t, sawDirReplace, "the shop replaces vulnlib by a directory")
	var got []mod
	for _, c := range *bom.Components {
		m := mod{path: c.Name, version: c.Version}
		if c.Hashes != nil {
			m.sum = (*c.Hashes)[0].Value
		}
		got = append(got, m)
	}
	for i := range want {
		want[i].sum = h1ToHex(t, want[i].sum)
	}
	assert.ElementsMatch(t, want, got)

	props := map[string]string{}
	for _, p := range *bom.Metadata.Component.Properties {
		props[p.Name] = p.Value
	}
	assert.Equal(t, goVersion, props[sbom.PropertyGoVersion])
	for k, v := range settings {
		assert.Equal(t, v, props[sbom.PropertyGoBuildPrefix+k], k)
	}
	assert.Equal(t, "example.com/shop", bom.Metadata.Component.Name)

	_, err = sbom.GenerateBinary(filepath.Join(shopDir, "go.mod"))
	assert.ErrorIs(t, err, sbom.ErrNoBuildInfo)
}

func at(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

func TestEncodeRoundTrip(t *testing.T) {
	bom, err := sbom.GenerateModule(context.Background(), shopDir, sbom.WithClock(fixedClock), sbom.WithTests())
	require.NoError(t, err)
	want, err := sbom.FromCycloneDX(bom)
	require.NoError(t, err)
	for _, f := range []sbom.Format{sbom.CycloneDXJSON, sbom.CycloneDXXML} {
		var buf bytes.Buffer
		require.NoError(t, sbom.Encode(&buf, bom, f))
		got, err := sbom.Decode(&buf)
		require.NoError(t, err, f)
		assert.Equal(t, f, got.Format)
		assert.Equal(t, "1.6", got.SpecVersion)
		assert.Equal(t, fixedTime, got.Created)
		assert.Equal(t, want.Components, got.Components, f)
		assert.Equal(t, want.Dependencies, got.Dependencies, f)
	}
	assert.ErrorIs(t, sbom.Encode(&bytes.Buffer{}, bom, sbom.SPDXJSON), sbom.ErrUnsupported)
}

func h1ToHex(t *testing.T, sum string) string {
	t.Helper()
	if sum == "" {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sum, "h1:"))
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

func TestGenerateOptionConflicts(t *testing.T) {
	_, err := sbom.GenerateModule(context.Background(), shopDir, sbom.WithFullGraph(), sbom.WithTests())
	assert.ErrorContains(t, err, "conflict")
	_, err = sbom.GenerateBinary("whatever", sbom.WithFullGraph())
	assert.ErrorContains(t, err, "WithFullGraph applies only to GenerateModule")
	_, err = sbom.GenerateModule(context.Background(), shopDir, sbom.WithClock(nil))
	assert.Error(t, err)
	_, err = sbom.GenerateModule(context.Background(), shopDir, sbom.WithRand(strings.NewReader("short")))
	assert.ErrorContains(t, err, "serial number")
}

func TestGenerateModuleWithoutDependencies(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/alone\n\ngo 1.26.0\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alone.go"), []byte("package alone\n"), 0o644))
	bom, err := sbom.GenerateModule(context.Background(), dir)
	require.NoError(t, err)
	assert.Empty(t, *bom.Components)
	assert.Equal(t, "example.com/alone", bom.Metadata.Component.Name)
	assert.Equal(t, []cdx.Dependency{{Ref: "pkg:golang/example.com/alone", Dependencies: &[]string{}}}, *bom.Dependencies)
	var buf bytes.Buffer
	require.NoError(t, sbom.Encode(&buf, bom, sbom.CycloneDXJSON))
	v, err := sbom.NewValidator()
	require.NoError(t, err)
	assert.NoError(t, v.Validate(buf.Bytes()))
}

// A module the build needs through a dependency, and a test needs
// directly, is a build module: go mod why shows the build's chain.
func TestGenerateModuleKeepsBuildModulesTestsAlsoUse(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":         "module example.com/shop\n\ngo 1.26.0\n\nrequire (\n\texample.com/vulnlib v1.0.0\n\tgo.yaml.in/yaml/v3 v3.0.6\n)\n\nreplace example.com/vulnlib => ./vulnlib\n",
		"main.go":        "package main\n\nimport \"example.com/vulnlib\"\n\nfunc main() { println(vulnlib.Hello()) }\n",
		"main_test.go":   "package main\n\nimport (\n\t\"testing\"\n\n\t\"go.yaml.in/yaml/v3\"\n)\n\nfunc TestYAML(t *testing.T) { _, _ = yaml.Marshal(1) }\n",
		"vulnlib/go.mod": "module example.com/vulnlib\n\ngo 1.26.0\n\nrequire go.yaml.in/yaml/v3 v3.0.6\n",
		"vulnlib/lib.go": "package vulnlib\n\nimport \"go.yaml.in/yaml/v3\"\n\nfunc Hello() string { b, _ := yaml.Marshal(\"hello\"); return string(b) }\n",
	}
	sum, err := os.ReadFile(filepath.Join(shopDir, "go.sum"))
	require.NoError(t, err)
	files["go.sum"] = string(sum)
	for name, content := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	bom, err := sbom.GenerateModule(context.Background(), dir)
	require.NoError(t, err)
	assert.Equal(t, neededByGoList(t, dir, false), componentNames(bom))
	assert.Equal(t, []string{"example.com/vulnlib", "go.yaml.in/yaml/v3"}, componentNames(bom))
}
