package step_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openvex/go-vex/pkg/vex"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/vuln"
)

func TestCommandRecordsMaterialsAndProducts(t *testing.T) {
	e := newStepEnv(t)
	dir := t.TempDir()
	write(t, dir, map[string]string{"src/in.txt": "hello"})
	run, err := e.run(t, dir, pipeline.Build, step.Command{StepName: "package", Args: []string{"sh", "-c", "mkdir -p out && cp src/in.txt out/app.bin && echo done"},
		Materials: []string{"src/*.txt"}, Products: []string{"out/app.bin"}})
	require.NoError(t, err)
	want, err := supplychain.DigestFile(filepath.Join(dir, "src/in.txt"))
	require.NoError(t, err)
	assert.Equal(t, want, run.Subject.Digest, "the product (a copy of the material) is the run's subject")
	assert.Equal(t, "out/app.bin", run.Subject.Name)

	st := e.predicate(t, run.Steps[0].Record, nil)
	assert.Equal(t, "out/app.bin", st.Subjects()[0].Name)
	js := string(st.PredicateJSON())
	assert.Contains(t, js, `"name":"src/in.txt"`)
	assert.Contains(t, js, want["sha256"])
	assert.Contains(t, js, `"command":["sh","-c"`)

	run, err = e.run(t, dir, pipeline.Build, step.Command{Args: []string{"sh", "-c", "echo broken >&2; exit 3"}})
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Equal(t, 3, run.Steps[0].ExitCode)
	assert.Equal(t, "exit 3: broken", run.Steps[0].Message)
	assert.Equal(t, "sh", run.Steps[0].Name)

	run, err = e.run(t, dir, pipeline.Build, step.Command{Args: []string{"true"}, Products: []string{"missing.bin"}})
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Contains(t, run.Steps[0].Message, "missing.bin: no such file")
}

// awsKey builds an AWS-style access key ID at run time, so that the
// repository holds no literal key.
func awsKey() string { return "AKIA" + strings.ToUpper("j5tw2zq7hx3mr6vd") }

func TestSecretScanCountsWithoutTheSecret(t *testing.T) {
	e := newStepEnv(t)
	dir := t.TempDir()
	key := awsKey()
	write(t, dir, map[string]string{"config/prod.env": "AWS_ACCESS_KEY_ID=" + key + "\n", "main.go": "package main\n"})
	run, err := e.run(t, dir, pipeline.Build, step.SecretScan{SARIF: "secrets.sarif"})
	require.NoError(t, err, "the step records; the gate decides")
	var s policy.SecretScan
	st := e.predicate(t, run.Steps[0].Evidence[0], nil)
	require.Equal(t, policy.PredicateSecretScan, st.PredicateType())
	require.NoError(t, jsonUnmarshal(st.PredicateJSON(), &s))
	assert.Equal(t, 1, s.Findings)
	assert.Equal(t, []string{"aws-access-token"}, s.Rules)
	assert.NotContains(t, string(st.Bytes()), key)
	sarif, err := os.ReadFile(filepath.Join(dir, "secrets.sarif"))
	require.NoError(t, err)
	assert.NotContains(t, string(sarif), key)
	assert.Contains(t, string(sarif), "config/prod.env")
}

func TestSBOMAndVulnScan(t *testing.T) {
	e := newStepEnv(t)
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"go.mod":         "module example.com/svc\n\ngo 1.26\n\nrequire example.com/greet v1.0.0\n\nreplace example.com/greet => ./greet\n",
		"main.go":        "package main\n\nimport \"example.com/greet\"\n\nfunc main() { greet.Hello() }\n",
		"greet/go.mod":   "module example.com/greet\n\ngo 1.26\n",
		"greet/greet.go": "package greet\n\nfunc Hello() {}\n",
	})
	osv := `{"id": "PAVED-TEST-1", "modified": "2026-11-01T00:00:00Z", "published": "2026-11-01T00:00:00Z",
		"affected": [{"package": {"ecosystem": "Go", "name": "example.com/greet"},
		"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.1.0"}]}]}],
		"database_specific": {"severity": "HIGH"}}`
	rec, err := vuln.ParseRecord([]byte(osv))
	require.NoError(t, err)
	bin := supplychain.Subject{Name: "svc", Digest: supplychain.DigestSet{"sha256": strings.Repeat("5e", 32)}}
	run, err := e.run(t, dir, pipeline.Build,
		step.Command{StepName: "declare", Args: []string{"true"}, Products: []string{"go.mod"}},
		step.SBOM{}, step.VulnScan{DB: vuln.NewDB([]*vuln.Record{rec}), SARIF: "vulns.sarif"})
	require.NoError(t, err)
	_ = bin

	f, err := os.Open(filepath.Join(dir, "sbom.cdx.json"))
	require.NoError(t, err)
	defer f.Close()
	doc, err := sbom.Decode(f)
	require.NoError(t, err)
	var names []string
	for _, c := range doc.Components {
		names = append(names, c.Name+"@"+c.Version)
	}
	assert.Contains(t, names, "example.com/greet@v1.0.0")

	sbomSt := e.predicate(t, run.Steps[1].Evidence[0], nil)
	assert.True(t, strings.HasPrefix(sbomSt.PredicateType(), sbom.PredicateCycloneDX))
	assert.Equal(t, run.Subject.Digest, sbomSt.Subjects()[0].Digest, "about the run's subject")

	var v attest.Vulns
	e.predicate(t, run.Steps[2].Evidence[0], &v)
	require.Len(t, v.Message().GetScanner().GetResult(), 1)
	assert.Equal(t, "PAVED-TEST-1", v.Message().GetScanner().GetResult()[0].GetId())
	assert.Contains(t, run.Steps[2].Message, "1 active findings of 1")
	_, err = os.Stat(filepath.Join(dir, "vulns.sarif"))
	assert.NoError(t, err)

	// The template kind applies the Env's VEX statements: the team says
	// the service is not affected, so the finding is suppressed.
	statements, err := vex.Parse([]byte(`{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/svc-1",
		"author": "Security", "timestamp": "2026-11-02T00:00:00Z", "version": 1,
		"statements": [{"vulnerability": {"name": "PAVED-TEST-1"}, "products": [{"@id": "pkg:golang/example.com/greet"}],
		"status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}`))
	require.NoError(t, err)
	kind := step.Kinds(step.Env{Vulns: vuln.NewDB([]*vuln.Record{rec}), VulnOptions: []vuln.Option{vuln.WithVEX(statements)}})["vuln-scan"]
	scan, err := kind("vex-scan", pipeline.Params{With: map[string]string{"sbom": "sbom.cdx.json"}})
	require.NoError(t, err)
	run, err = e.run(t, dir, pipeline.Build, step.Command{StepName: "declare", Args: []string{"true"}, Products: []string{"go.mod"}}, scan)
	require.NoError(t, err)
	assert.Contains(t, run.Steps[1].Message, "0 active findings of 1")
}

func TestProvenanceListsTheRunsRecords(t *testing.T) {
	e := newStepEnv(t)
	dir := t.TempDir()
	write(t, dir, map[string]string{"app": "binary"})
	run, err := e.run(t, dir, pipeline.Build, step.Command{StepName: "declare", Args: []string{"true"}, Products: []string{"app"}}, step.Provenance{})
	require.NoError(t, err)
	var p attest.Provenance
	st := e.predicate(t, run.Steps[1].Evidence[0], &p)
	assert.Equal(t, "app", st.Subjects()[0].Name)
	m := p.Message()
	assert.Equal(t, step.BuildTypePipeline, m.GetBuildDefinition().GetBuildType())
	assert.Equal(t, "https://paved.dev/builders/local/v1", m.GetRunDetails().GetBuilder().GetId())
	require.Len(t, m.GetRunDetails().GetByproducts(), 1, "the declare step's record: the provenance step's own comes after")
	assert.Equal(t, "paved-evidence:"+run.Steps[0].Record.ID, m.GetRunDetails().GetByproducts()[0].GetUri())

	// Without an artifact there is nothing to attest.
	run, err = e.run(t, dir, pipeline.Build, step.Provenance{})
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Contains(t, run.Steps[0].Message, "no artifact")
}

func TestSARIF(t *testing.T) {
	e := newStepEnv(t)
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"reports/lint.sarif": `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "staticcheck", "version": "0.8.2"}},
			"results": [{"ruleId": "SA4006", "level": "warning"}, {"ruleId": "SA5011", "level": "error"}, {"ruleId": "ST1000"}]}]}`,
	})
	run, err := e.run(t, dir, pipeline.Build, step.SARIF{Files: []string{"reports/*.sarif"}})
	require.NoError(t, err)
	assert.Equal(t, "1 errors, 2 warnings", run.Steps[0].Message)
	st := e.predicate(t, run.Steps[0].Evidence[0], nil)
	assert.Equal(t, step.PredicateSARIF, st.PredicateType())
	assert.JSONEq(t, `{"runs":[{"tool":"staticcheck","version":"0.8.2","errors":1,"warnings":2,"notes":0,"rules":["SA4006","SA5011","ST1000"]}]}`, string(st.PredicateJSON()))

	run, err = e.run(t, dir, pipeline.Build, step.SARIF{Files: []string{"reports/lint.sarif"}, FailOn: "error"})
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Len(t, run.Steps[0].Evidence, 1, "the summary is recorded even when it fails the step")

	for _, bad := range []string{`{"version": "2.0.0", "runs": []}`, `{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "fatal"}]}]}`, `not json`} {
		_, err := step.ParseSARIF([]byte(bad))
		assert.ErrorIs(t, err, step.ErrInvalidSARIF, bad)
	}
}

func TestKindsParseParams(t *testing.T) {
	k := step.Kinds(step.Env{})
	_, err := k["command"]("build", pipeline.Params{})
	require.ErrorIs(t, err, pipeline.ErrMissingParam)
	_, err = k["sbom"]("sbom", pipeline.Params{With: map[string]string{"modul": "."}})
	require.ErrorContains(t, err, "modul: unknown parameter")
	_, err = k["vuln-scan"]("v", pipeline.Params{})
	require.ErrorContains(t, err, "needs an OSV database")
	s, err := k["command"]("build", pipeline.Params{Run: []string{"go", "build"}, With: map[string]string{"products": "bin/a, bin/b"}})
	require.NoError(t, err)
	assert.Equal(t, step.Command{StepName: "build", Args: []string{"go", "build"}, Products: []string{"bin/a", "bin/b"}}, s)
	_ = context.Background
}
