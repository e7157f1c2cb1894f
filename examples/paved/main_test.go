package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/report"
	"github.com/paved-dev/paved/internal/testenv"
	"github.com/paved-dev/paved/supplychain/sign/sigstore"
)

// bin is the CLI, built once for the package's tests by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "paved-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	bin = filepath.Join(dir, "paved")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(3)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

// paved runs the built CLI in dir with args.
func paved(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return pavedIn(t, dir, nil, args...)
}

// pavedIn runs the built CLI in dir with args and, beside the test's
// environment, the variables env ("NAME=value").
func pavedIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code, out.String(), errOut.String()}
}

// ok runs the CLI and requires exit 0.
func ok(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := paved(t, dir, args...)
	require.Equal(t, 0, r.code, "paved %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	return r.stdout
}

// decode decodes the JSON the CLI wrote.
func decode[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}

// doraJSON is what 'paved dora -o json' says, as far as the tests read it.
type doraJSON struct {
	Groups []struct {
		Service     string `json:"service"`
		Environment string `json:"environment"`
		Metrics     struct {
			DeploymentFrequency struct {
				N int `json:"n"`
			} `json:"deploymentFrequency"`
		} `json:"metrics"`
	} `json:"groups"`
}

type record struct {
	ID            string `json:"id"`
	Index         uint64 `json:"index"`
	PredicateType string `json:"predicateType"`
	Stage         string `json:"stage"`
	Subjects      []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subjects"`
	Signers []struct {
		Name string `json:"name"`
	} `json:"signers"`
}

func TestPipelineThroughCLI(t *testing.T) {
	dir := t.TempDir()

	// init creates the directory with private keys, and is idempotent.
	first := decode[map[string]any](t, ok(t, dir, "init", "--output", "json"))
	assert.Equal(t, ".paved", first["dir"])
	assert.EqualValues(t, 0, first["records"])
	fi, err := os.Stat(filepath.Join(dir, ".paved", "keys", "signer.pem"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	again := decode[map[string]any](t, ok(t, dir, "init", "-o", "json"))
	assert.Equal(t, first, again, "a second init keeps the keys")
	assert.Contains(t, ok(t, dir, "init"), "paved directory .paved ready: 0 records")

	// A build step that makes an artifact: recorded, then blocked by the
	// build gate, which finds no SBOM, provenance or scans for it.
	r := paved(t, dir, "run", "--stage", "build", "--step", "compile", "--product", "app.bin", "-o", "json", "--", "sh", "-c", "echo binary > app.bin")
	require.Equal(t, 1, r.code, r.stderr)
	run := decode[struct {
		RunID   string `json:"runId"`
		Outcome string `json:"outcome"`
		Subject struct {
			Name string `json:"name"`
		} `json:"subject"`
		Steps []struct {
			Name     string `json:"name"`
			Failed   bool   `json:"failed"`
			ExitCode int    `json:"exitCode"`
			Record   string `json:"record"`
		} `json:"steps"`
		Gates []struct {
			Stage   string `json:"stage"`
			Outcome string `json:"outcome"`
			Record  string `json:"record"`
			Failing []struct {
				Control string `json:"control"`
				Reason  string `json:"reason"`
			} `json:"failing"`
		} `json:"gates"`
	}](t, r.stdout)
	assert.Equal(t, "blocked", run.Outcome)
	assert.Equal(t, "app.bin", run.Subject.Name)
	require.Len(t, run.Steps, 1)
	assert.Equal(t, "compile", run.Steps[0].Name)
	assert.False(t, run.Steps[0].Failed)
	require.Len(t, run.Gates, 1)
	assert.Equal(t, "blocked", run.Gates[0].Outcome)
	require.NotEmpty(t, run.Gates[0].Failing)
	var reasons []string
	for _, f := range run.Gates[0].Failing {
		reasons = append(reasons, f.Control+": "+f.Reason)
	}
	assert.Contains(t, strings.Join(reasons, "\n"), "no SBOM for app.bin")
	assert.Contains(t, r.stderr, "stage build blocked by policy")
	assert.Contains(t, r.stderr, "paved evidence get "+run.Gates[0].Record, "the error says where to look next")
	data, err := os.ReadFile(filepath.Join(dir, "app.bin"))
	require.NoError(t, err)
	assert.Equal(t, "binary\n", string(data), "the command ran in the working directory")

	// A failing command fails its step: exit 1, in text.
	r = paved(t, dir, "run", "--stage", "test", "--step", "unit", "--subject", "app.bin", "--", "sh", "-c", "echo 2 tests failed >&2; exit 4")
	require.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stdout, "step test/unit: FAILED: exit 4: 2 tests failed (exit 4, record sha256:")
	assert.Contains(t, r.stderr, "step unit failed")
	assert.True(t, strings.HasPrefix(r.stderr, "2 tests failed\n"), "the command's output is shown, on stderr: %q", r.stderr)

	// The evidence log holds the step, the gate decision and the runs.
	records := decode[[]record](t, ok(t, dir, "evidence", "query", "--stage", "build", "-o", "json"))
	ids := map[string]record{}
	for _, rec := range records {
		ids[rec.ID] = rec
		assert.Equal(t, "build", rec.Stage)
		require.NotEmpty(t, rec.Signers)
		assert.Equal(t, "paved", rec.Signers[0].Name)
	}
	require.Contains(t, ids, run.Steps[0].Record)
	require.Contains(t, ids, run.Gates[0].Record)
	assert.Equal(t, "https://in-toto.io/attestation/link/v0.3", ids[run.Steps[0].Record].PredicateType)
	testRecords := decode[[]record](t, ok(t, dir, "evidence", "query", "--stage", "test", "-o", "json"))
	require.NotEmpty(t, testRecords)
	assert.Empty(t, decode[[]record](t, ok(t, dir, "evidence", "query", "--stage", "release", "-o", "json")), "stable JSON: an empty list, not null")
	text := ok(t, dir, "evidence", "query", "--stage", "build")
	assert.Contains(t, text, run.Steps[0].Record+" https://in-toto.io/attestation/link/v0.3 stage=build subject=app.bin@sha256:")

	// get, as JSON and as the exact envelope, which verify accepts offline.
	step := run.Steps[0].Record
	got := decode[record](t, ok(t, dir, "evidence", "get", step, "-o", "json"))
	assert.Equal(t, ids[step], got)
	env := filepath.Join(dir, "step.intoto.json")
	require.NoError(t, os.WriteFile(env, []byte(ok(t, dir, "evidence", "get", "--envelope", step)), 0o600))
	verified := decode[map[string]any](t, ok(t, dir, "verify", env, "-o", "json"))
	assert.Equal(t, true, verified["verified"])
	assert.Equal(t, "https://in-toto.io/attestation/link/v0.3", verified["predicateType"])
	assert.Contains(t, ok(t, dir, "verify", env), "verified: "+env)

	// A tampered envelope fails verification: exit 1.
	raw, err := os.ReadFile(env)
	require.NoError(t, err)
	var e map[string]any
	require.NoError(t, json.Unmarshal(raw, &e))
	payload := []byte(e["payload"].(string))
	payload[10] ^= 1
	e["payload"] = string(payload)
	raw, err = json.Marshal(e)
	require.NoError(t, err)
	bad := filepath.Join(dir, "bad.intoto.json")
	require.NoError(t, os.WriteFile(bad, raw, 0o600))
	r = paved(t, dir, "verify", bad)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "bad.intoto.json")
	assert.Empty(t, r.stdout)

	// checkpoint, prove and audit agree on the log.
	cp := decode[struct {
		Origin string `json:"origin"`
		Size   uint64 `json:"size"`
		Root   string `json:"root"`
		Note   string `json:"note"`
	}](t, ok(t, dir, "evidence", "checkpoint", "-o", "json"))
	assert.Greater(t, cp.Size, uint64(len(records)))
	assert.True(t, strings.HasPrefix(cp.Note, cp.Origin+"\n"))
	proof := decode[struct {
		Record   record `json:"record"`
		Verified bool   `json:"verified"`
		Size     uint64 `json:"size"`
		Index    uint64 `json:"index"`
		Hashes   []string
	}](t, ok(t, dir, "evidence", "prove", step, "-o", "json"))
	assert.True(t, proof.Verified)
	assert.Equal(t, cp.Size, proof.Size)
	assert.Equal(t, ids[step].Index, proof.Index)
	assert.NotEmpty(t, proof.Hashes)
	audit := decode[map[string]any](t, ok(t, dir, "evidence", "audit", "-o", "json"))
	assert.Equal(t, true, audit["ok"])
	assert.EqualValues(t, cp.Size, audit["size"])
	assert.Equal(t, cp.Root, audit["root"])

	// export writes a pack that verifies with nothing but the verifier key.
	exported := decode[map[string]any](t, ok(t, dir, "evidence", "export", "--stage", "build", "--out", "build.pack", "-o", "json"))
	f, err := os.Open(filepath.Join(dir, "build.pack"))
	require.NoError(t, err)
	defer f.Close()
	pack, err := evidence.VerifyPack(f, exported["verifierKey"].(string))
	require.NoError(t, err)
	assert.Len(t, pack.Records, len(records))
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	ok(t, dir, "init")
	for _, tc := range []struct {
		name string
		args []string
		code int
		say  string
	}{
		{"unknown flag", []string{"--bogus"}, 2, "unknown flag: --bogus"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"missing argument", []string{"evidence", "get"}, 2, "accepts 1 arg(s), received 0"},
		{"bad output", []string{"-o", "yaml", "init"}, 2, `--output "yaml": must be text, json or sarif`},
		{"unsupported output", []string{"-o", "sarif", "init"}, 2, "paved init supports text, json"},
		{"bad stage", []string{"run", "--stage", "ship", "--step", "x", "--", "true"}, 2, "stages are plan, build, test, release, operate"},
		{"missing step flag", []string{"run", "--stage", "build", "--", "true"}, 2, `required flag(s) "step" not set`},
		{"no dir", []string{"--dir", "elsewhere", "evidence", "audit"}, 2, "run 'paved init --dir elsewhere' first"},
		{"unknown record", []string{"evidence", "get", "sha256:" + strings.Repeat("0", 64)}, 2, "list record IDs with 'paved evidence query'"},
		{"missing envelope", []string{"verify", "nope.json"}, 2, "nope.json"},
		{"bad map", []string{"--map", "nope.yaml", "evidence", "audit"}, 2, "check the --map file"},
		{"no subject", []string{"run", "--stage", "build", "--step", "x", "--", "true"}, 1, "give the run its artifact with --product FILE or --subject FILE"},
		{"not an envelope", []string{"verify", ".paved/keys/signer.pem.pub"}, 1, "not a well-formed DSSE envelope"},
		{"no workdir", []string{"run", "--stage", "build", "--step", "x", "--workdir", "nowhere", "--", "true"}, 2, "--workdir nowhere: not a directory"},
		{"pipeline without its variables", []string{"pipeline", "--osv", "."}, 2, "give every variable the template declares with --var"},
		{"pipeline without OSV records", []string{"pipeline", "--var", "service=a", "--var", "version=v1", "--var", "approvers=x", "--var", "base="}, 2, "--osv DIR"},
		{"bad var", []string{"pipeline", "--var", "service"}, 2, `--var "service": want name=value`},
		{"pipeline in no workdir", []string{"pipeline", "--workdir", "nowhere"}, 2, "--workdir nowhere: not a directory"},
		{"missing guardrails", []string{"--guardrails", "nope.json", "evidence", "audit"}, 2, "pass a readable --guardrails file"},
		{"bad guardrails", []string{"--guardrails", ".paved/keys/signer.pem.pub", "evidence", "audit"}, 2, "want a JSON object of settings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := paved(t, dir, tc.args...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.say)
		})
	}
	_, err := os.Stat(filepath.Join(dir, "elsewhere"))
	assert.ErrorIs(t, err, os.ErrNotExist, "a mistyped --dir creates nothing")
}

func TestSupplyChainCommands(t *testing.T) {
	dir := t.TempDir()
	ok(t, dir, "init")
	testdata, err := filepath.Abs("testdata")
	require.NoError(t, err)
	old, cur, osv := filepath.Join(testdata, "old.cdx.json"), filepath.Join(testdata, "new.cdx.json"), filepath.Join(testdata, "osv")

	// generate: a CycloneDX SBOM of a Go module, offline.
	mod := filepath.Join(dir, "hello")
	require.NoError(t, os.MkdirAll(mod, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/hello\n\ngo 1.26\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(mod, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	gen := decode[map[string]any](t, ok(t, dir, "sbom", "generate", "hello", "--out", "hello.cdx.json", "-o", "json"))
	assert.EqualValues(t, 1, gen["components"], "the main module")
	data, err := os.ReadFile(filepath.Join(dir, "hello.cdx.json"))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"name": "example.com/hello"`)
	r0 := paved(t, dir, "sbom", "generate", "nowhere")
	assert.Equal(t, 2, r0.code)
	assert.Contains(t, r0.stderr, "sbom of nowhere")

	// ingest: recorded, signed, about the artifact.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shop"), []byte("shop binary"), 0o644))
	rec := decode[record](t, ok(t, dir, "sbom", "ingest", old, "--subject", "shop", "-o", "json"))
	assert.Equal(t, "https://cyclonedx.org/bom", rec.PredicateType)
	require.Len(t, rec.Subjects, 1)
	assert.Equal(t, "shop", rec.Subjects[0].Name)
	assert.Equal(t, "build", rec.Stage)
	found := decode[[]record](t, ok(t, dir, "evidence", "query", "--subject", "shop", "-o", "json"))
	require.Len(t, found, 1)
	assert.Equal(t, rec.ID, found[0].ID)
	// policy eval: the SBOM meets the build gate's SBOM control; the
	// missing scans and provenance block it.
	request := fmt.Sprintf(`{"stage":"build","subject":{"name":"shop","digest":{"sha256":%q}},"evidence":[%q]}`, rec.Subjects[0].Digest["sha256"], rec.ID)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "request.json"), []byte(request), 0o644))
	r := paved(t, dir, "policy", "eval", "request.json", "-o", "json")
	require.Equal(t, 1, r.code, r.stderr)
	decision := decode[struct {
		Outcome  string   `json:"outcome"`
		Evidence []string `json:"evidence"`
		Controls []struct {
			Control string `json:"control"`
			Status  string `json:"status"`
		} `json:"controls"`
	}](t, r.stdout)
	assert.Equal(t, "blocked", decision.Outcome)
	assert.Equal(t, []string{rec.ID}, decision.Evidence)
	statuses := map[string]string{}
	for _, c := range decision.Controls {
		statuses[c.Control] = c.Status
	}
	assert.Equal(t, "pass", statuses["DSO-BLD-04"], "an SBOM for the artifact")
	assert.Equal(t, "error", statuses["DSO-BLD-05"], "no vulnerability scan")
	assert.Contains(t, r.stderr, "request.json: blocked at build")
	r = paved(t, dir, "policy", "eval", "request.json")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "DSO-BLD-05 mandatory error: missing evidence")
	assert.NotContains(t, r.stdout, "DSO-BLD-04", "text lists only what needs attention")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "typo.json"), []byte(`{"stage":"build","subjct":{}}`), 0o644))
	r = paved(t, dir, "policy", "eval", "typo.json")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `typo.json: json: unknown field "subjct"`)

	r = paved(t, dir, "sbom", "ingest", filepath.Join(testdata, "osv", "PAVED-CLI-0001.json"), "--subject", "shop")
	assert.Equal(t, 2, r.code, "an OSV record is no SBOM")
	assert.Contains(t, r.stderr, "PAVED-CLI-0001.json")

	// ledger: release the shop with its SBOM, deploy it, ask what runs
	// where and which releases ship the vulnerable widget.
	rel := decode[struct {
		Service   string   `json:"service"`
		Version   string   `json:"version"`
		SBOMs     []string `json:"sboms"`
		RecordID  string   `json:"recordId"`
		Artifacts []struct {
			Name string `json:"name"`
		} `json:"artifacts"`
	}](t, ok(t, dir, "ledger", "release", "--service", "shop", "--version", "1.0.0", "--artifact", "shop", "--by", "alice", "--sbom", rec.ID, "-o", "json"))
	assert.Equal(t, []string{rec.ID}, rel.SBOMs)
	require.Len(t, rel.Artifacts, 1)
	assert.Equal(t, "shop", rel.Artifacts[0].Name)
	r = paved(t, dir, "ledger", "release", "--service", "shop", "--version", "1.0.0", "--artifact", "shop", "--by", "alice")
	assert.Equal(t, 2, r.code, "a version is released once")
	assert.Contains(t, r.stderr, "release already recorded")
	r = paved(t, dir, "ledger", "deploy", "--service", "shop", "--version", "2.0.0", "--environment", "prod", "--by", "bob")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "record the release first with 'paved ledger release --service shop --version 2.0.0")
	assert.Contains(t, ok(t, dir, "ledger", "deploy", "--service", "shop", "--version", "1.0.0", "--environment", "prod", "--by", "bob", "--id", "d-1"),
		"deployed shop 1.0.0 to prod (normal, succeeded): record sha256:")
	running := decode[[]map[string]string](t, ok(t, dir, "ledger", "where", "--environment", "prod", "-o", "json"))
	require.Len(t, running, 1)
	assert.Equal(t, "shop", running[0]["service"])
	assert.Equal(t, "1.0.0", running[0]["version"])
	assert.Equal(t, "d-1", running[0]["deployment"])
	assert.Equal(t, rel.RecordID, running[0]["releaseRecord"])
	assert.Equal(t, "nothing recorded as running in staging\n", ok(t, dir, "ledger", "where", "--environment", "staging"))
	assert.Contains(t, ok(t, dir, "ledger", "where", "--package", "pkg:golang/example.com/widget", "--range", "<1.4.0"),
		"shop 1.0.0 ships example.com/widget v1.3.0, deployed to [prod]\n1 of 1 releases ship pkg:golang/example.com/widget <1.4.0")
	assert.Contains(t, ok(t, dir, "ledger", "where", "--package", "pkg:golang/example.com/widget", "--range", ">=1.4.0"), "0 of 1 releases")
	r = paved(t, dir, "ledger", "where")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "give exactly one of --environment and --package")

	// assess the release and write its reports.
	as := decode[struct {
		Scope struct {
			Service string `json:"service"`
			Release string `json:"release"`
		} `json:"scope"`
		Controls []struct {
			Control string `json:"control"`
			Status  string `json:"status"`
		} `json:"controls"`
		Overall struct {
			Judged int `json:"judged"`
		} `json:"overall"`
	}](t, ok(t, dir, "assess", "--service", "shop", "--version", "1.0.0", "-o", "json"))
	assert.Equal(t, "shop", as.Scope.Service)
	assert.Equal(t, "1.0.0", as.Scope.Release)
	assert.NotZero(t, as.Overall.Judged)
	controls := map[string]string{}
	for _, c := range as.Controls {
		controls[c.Control] = c.Status
	}
	assert.Equal(t, "pass", controls["DSO-BLD-04"], "the release's SBOM")
	written := decode[struct {
		Assessment  string   `json:"assessment"`
		Files       []string `json:"files"`
		VerifierKey string   `json:"verifierKey"`
	}](t, ok(t, dir, "report", "--service", "shop", "--version", "1.0.0", "--out", "reports", "-o", "json"))
	assert.Equal(t, []string{"report.html", "report.json", "report.md", "report.pack"}, written.Files)
	packFile, err := os.Open(filepath.Join(dir, "reports", "report.pack"))
	require.NoError(t, err)
	defer packFile.Close()
	verifiedPack, err := report.VerifyPack(packFile, written.VerifierKey)
	require.NoError(t, err, "the pack verifies offline")
	assert.Equal(t, "shop", verifiedPack.Summary.Service)
	md, err := os.ReadFile(filepath.Join(dir, "reports", "report.md"))
	require.NoError(t, err)
	assert.Equal(t, md, verifiedPack.Files["report.md"])
	assert.Contains(t, ok(t, dir, "assess", "--service", "shop", "--version", "1.0.0"), "of shop 1.0.0: ")
	r = paved(t, dir, "assess", "--service", "shop", "--version", "9.9.9")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "unknown release")

	// dora counts the deployment; trace links the release to its artifact
	// and SBOM.
	dora := decode[doraJSON](t, ok(t, dir, "dora", "--html", "dora.html", "-o", "json"))
	require.Len(t, dora.Groups, 1)
	assert.Equal(t, "prod", dora.Groups[0].Environment)
	assert.Equal(t, 1, dora.Groups[0].Metrics.DeploymentFrequency.N)
	_, err = os.Stat(filepath.Join(dir, "dora.html"))
	require.NoError(t, err)
	graph := ok(t, dir, "trace", "release:shop@1.0.0")
	assert.True(t, strings.HasPrefix(graph, "flowchart"), graph)
	assert.Contains(t, graph, "artifact: shop")
	assert.Contains(t, ok(t, dir, "trace", "--artifact", "shop", "--dot"), "digraph")
	r = paved(t, dir, "trace", "release:shop@7")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "nothing recorded about the start")

	// diff, as text and as stable JSON.
	assert.Equal(t, "+ example.com/colour v1.0.0\n- example.com/logfmt v0.2.0\n~ example.com/shop v1.0.0 -> v1.1.0\n~ example.com/widget v1.3.0 -> v1.4.0\n",
		ok(t, dir, "sbom", "diff", old, cur))
	diff := decode[map[string][]any](t, ok(t, dir, "sbom", "diff", old, old, "-o", "json"))
	assert.Equal(t, map[string][]any{"added": {}, "removed": {}, "changed": {}}, diff)

	// vuln scan: the old widget is vulnerable, the new one fixed.
	out := ok(t, dir, "vuln", "scan", "--db", osv, old)
	assert.Contains(t, out, "PAVED-CLI-0001 HIGH example.com/widget@v1.3.0")
	assert.Contains(t, out, "fixed in 1.4.0, active")
	r = paved(t, dir, "vuln", "scan", "--fail", "--db", osv, old, "-o", "sarif")
	assert.Equal(t, 1, r.code, "--fail with an active finding")
	sarif := decode[map[string]any](t, r.stdout)
	assert.Equal(t, "2.1.0", sarif["version"])
	assert.Contains(t, r.stdout, "PAVED-CLI-0001")
	report := decode[struct {
		Components int               `json:"components"`
		Findings   []json.RawMessage `json:"findings"`
	}](t, ok(t, dir, "vuln", "scan", "--fail", "--db", osv, cur, "-o", "json"))
	assert.Equal(t, 3, report.Components)
	assert.Empty(t, report.Findings)

	// secrets scan: a token planted at run time is found, never shown.
	src := filepath.Join(dir, "src")
	require.NoError(t, os.MkdirAll(src, 0o755))
	sum := sha256.Sum256([]byte("paved-cli-test"))
	token := "ghp_" + hex.EncodeToString(sum[:])[:36]
	require.NoError(t, os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nconst token = \""+token+"\"\n"), 0o644))
	r = paved(t, dir, "secrets", "scan", "src", "-o", "json")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"fingerprint": "main.go:github-pat:3"`)
	assert.NotContains(t, r.stdout+r.stderr, token)
	assert.Contains(t, r.stderr, "--ignore FINGERPRINT")
	clean := ok(t, dir, "secrets", "scan", "src", "--ignore", "main.go:github-pat:3")
	assert.Equal(t, "1 files scanned, 0 secrets found\n", clean)
}

func TestAttestAndSign(t *testing.T) {
	dir := t.TempDir()
	ok(t, dir, "init")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app"), []byte("app binary"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "review.json"), []byte(`{"reviewer":"carol","result":"approved"}`), 0o644))

	rec := decode[record](t, ok(t, dir, "attest", "--type", "https://example.test/review/v1", "--predicate", "review.json",
		"--subject", "app", "--stage", "test", "--label", "team=shop", "--out", "review.intoto.json", "-o", "json"))
	assert.Equal(t, "https://example.test/review/v1", rec.PredicateType)
	assert.Equal(t, "test", rec.Stage)
	found := decode[[]record](t, ok(t, dir, "evidence", "query", "--label", "team=shop", "-o", "json"))
	require.Len(t, found, 1)
	assert.Equal(t, rec.ID, found[0].ID)
	assert.Contains(t, ok(t, dir, "verify", "review.intoto.json"), "predicate: https://example.test/review/v1")

	// sign: the statement inside the envelope, signed again to standard
	// output, verifies; a statement that is not one is a usage error.
	raw, err := os.ReadFile(filepath.Join(dir, "review.intoto.json"))
	require.NoError(t, err)
	var env struct {
		Payload []byte `json:"payload"`
	}
	require.NoError(t, json.Unmarshal(raw, &env))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "statement.json"), env.Payload, 0o644))
	signed := ok(t, dir, "sign", "statement.json")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "signed.json"), []byte(signed), 0o644))
	assert.Contains(t, ok(t, dir, "verify", "signed.json"), "verified: signed.json")
	r := paved(t, dir, "sign", "review.json")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "review.json")
	assert.Contains(t, r.stderr, "in-toto Statement")

	// Another paved directory's key is not trusted here: exit 1.
	other := t.TempDir()
	ok(t, other, "init")
	require.NoError(t, os.WriteFile(filepath.Join(other, "statement.json"), env.Payload, 0o644))
	foreign := ok(t, other, "sign", "statement.json")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "foreign.json"), []byte(foreign), 0o644))
	r = paved(t, dir, "verify", "foreign.json")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "foreign.json: NOT VERIFIED")

	// Sigstore bundles signed with the directory's key verify offline;
	// another artifact or another key does not.
	bundle := func(t *testing.T, keyDir string, c sigstore.Content) string {
		t.Helper()
		pemBytes, err := os.ReadFile(filepath.Join(keyDir, ".paved", "keys", "signer.pem"))
		require.NoError(t, err)
		block, _ := pem.Decode(pemBytes)
		require.NotNil(t, block)
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		require.NoError(t, err)
		kp, err := sigstore.NewKeypair(key.(crypto.Signer))
		require.NoError(t, err)
		b, err := sigstore.Sign(context.Background(), kp, c)
		require.NoError(t, err)
		f, err := os.CreateTemp(dir, "*.sigstore.json")
		require.NoError(t, err)
		_, err = f.Write(b)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		return f.Name()
	}
	dsse := bundle(t, dir, sigstore.InToto(env.Payload))
	got := decode[map[string]any](t, ok(t, dir, "verify", "--bundle", dsse, "-o", "json"))
	assert.Equal(t, "https://example.test/review/v1", got["predicateType"])
	msg := bundle(t, dir, sigstore.Message([]byte("app binary")))
	assert.Contains(t, ok(t, dir, "verify", "--bundle", msg, "--artifact", "app"), "subject: app@sha256:")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app2"), []byte("app binary, altered"), 0o644))
	r = paved(t, dir, "verify", "--bundle", msg, "--artifact", "app2")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "NOT VERIFIED")
	r = paved(t, dir, "verify", "--bundle", bundle(t, other, sigstore.InToto(env.Payload)))
	assert.Equal(t, 1, r.code, r.stderr)
	r = paved(t, dir, "verify", "--bundle", "review.intoto.json")
	assert.Equal(t, 1, r.code, "a DSSE envelope is no bundle")

	// A store that cannot be opened is an internal error: exit 3, saying
	// where to look.
	require.NoError(t, os.WriteFile(filepath.Join(other, ".paved", "evidence.db"), []byte("not a database"), 0o600))
	r = paved(t, other, "evidence", "audit")
	assert.Equal(t, 3, r.code, r.stderr)
	assert.Contains(t, r.stderr, ".paved")
}

func TestPolicyTest(t *testing.T) {
	dir := t.TempDir()
	assert.Regexp(t, `^\d+ tests, (\d+) passed, 0 failed\n$`, ok(t, dir, "policy", "test"), "the built-in library's tests")

	pol := filepath.Join(dir, "pol")
	require.NoError(t, os.MkdirAll(pol, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(pol, "size.rego"), []byte(`package acme.size

deny contains msg if {
	input.size > 10
	msg := sprintf("artifact too large: %d", [input.size])
}
`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(pol, "size_test.rego"), []byte(`package acme.size_test

import data.acme.size

test_small_allowed if {
	count(size.deny) == 0 with input as {"size": 3}
}

test_large_denied if {
	count(size.deny) == 1 with input as {"size": 30}
}
`), 0o644))
	results := decode[[]map[string]any](t, ok(t, dir, "policy", "test", "pol", "-o", "json"))
	require.Len(t, results, 2)
	assert.Equal(t, "data.acme.size_test.test_large_denied", results[0]["name"])
	assert.Equal(t, true, results[0]["passed"])

	require.NoError(t, os.WriteFile(filepath.Join(pol, "wrong_test.rego"), []byte(`package acme.wrong_test

import data.acme.size

test_wrong_expectation if {
	count(size.deny) == 0 with input as {"size": 30}
}
`), 0o644))
	r := paved(t, dir, "policy", "test", "pol")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stdout, "FAIL data.acme.wrong_test.test_wrong_expectation (wrong_test.rego:5)")
	assert.Contains(t, r.stdout, "3 tests, 2 passed, 1 failed")

	require.NoError(t, os.WriteFile(filepath.Join(pol, "broken.rego"), []byte("package acme.broken\n\ndeny contains msg if {\n"), 0o644))
	r = paved(t, dir, "policy", "test", "pol")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "broken.rego")
}

func TestRunRecordsTheCIJob(t *testing.T) {
	dir := t.TempDir()
	ok(t, dir, "init")
	github := []string{"GITHUB_ACTIONS=true", "GITHUB_SERVER_URL=https://github.example.com", "GITHUB_REPOSITORY=acme/shop",
		"GITHUB_RUN_ID=4242", "GITHUB_WORKFLOW_REF=acme/shop/.github/workflows/ci.yml@refs/heads/main",
		"GITHUB_SHA=" + strings.Repeat("ab", 20), "GITHUB_ACTOR=octo"}
	r := pavedIn(t, dir, github, "run", "--stage", "build", "--step", "compile", "--product", "app.bin", "-o", "json", "--", "sh", "-c", "echo binary > app.bin")
	require.Equal(t, 1, r.code, "the build gate blocks without an SBOM: %s", r.stderr)
	run := decode[struct {
		Steps []struct {
			Record string `json:"record"`
		} `json:"steps"`
	}](t, r.stdout)
	require.Len(t, run.Steps, 1)
	raw := ok(t, dir, "evidence", "get", "--envelope", run.Steps[0].Record)
	var env struct {
		Payload []byte `json:"payload"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &env))
	var link struct {
		Predicate struct {
			Byproducts map[string]any `json:"byproducts"`
		} `json:"predicate"`
	}
	require.NoError(t, json.Unmarshal(env.Payload, &link))
	assert.Equal(t, "https://github.example.com/acme/shop/.github/workflows/ci.yml@refs/heads/main", link.Predicate.Byproducts["builderId"])
	assert.Equal(t, "https://github.example.com/acme/shop/actions/runs/4242", link.Predicate.Byproducts["runUrl"])

	// Outside CI the step records the local builder.
	r = paved(t, dir, "run", "--stage", "build", "--step", "compile", "--product", "app.bin", "-o", "json", "--", "true")
	require.Equal(t, 1, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &run))
	raw = ok(t, dir, "evidence", "get", "--envelope", run.Steps[0].Record)
	require.NoError(t, json.Unmarshal([]byte(raw), &env))
	require.NoError(t, json.Unmarshal(env.Payload, &link))
	assert.Equal(t, "https://paved.dev/builders/local/v1", link.Predicate.Byproducts["builderId"])
}

// gitIn runs git in dir as the service's developer.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com",
		"GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

// The paved road through the CLI alone: approve the change, run the
// go-service template through all five gates into dev, then ask the log
// what shipped, how it scores and how delivery goes; a secret in the
// next change stops at the Build gate.
func TestFullPipelineThroughCLI(t *testing.T) {
	testenv.Tool(t, "git", "the test works in a git repository")
	dir := t.TempDir()
	repo := filepath.Join(dir, "greeter")
	require.NoError(t, os.MkdirAll(repo, 0o755))
	for name, content := range map[string]string{
		"go.mod":        "module example.com/greeter\n\ngo 1.26\n",
		"CODEOWNERS":    "* @acme/greeters\n",
		".gitignore":    "bin/\n",
		"main.go":       "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(Greet(\"\")) }\n",
		"greet.go":      "package main\n\n// Greet says hello.\nfunc Greet(name string) string {\n\tif name == \"\" {\n\t\tname = \"world\"\n\t}\n\treturn \"hello, \" + name\n}\n",
		"greet_test.go": "package main\n\nimport \"testing\"\n\nfunc TestGreet(t *testing.T) {\n\tif Greet(\"\") != \"hello, world\" {\n\t\tt.Fatal(Greet(\"\"))\n\t}\n}\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644))
	}
	gitIn(t, repo, "init", "-q", "-b", "main")
	gitIn(t, repo, "add", "-A")
	gitIn(t, repo, "commit", "-q", "-m", "greeter")
	head := gitIn(t, repo, "rev-parse", "HEAD")

	ok(t, dir, "init")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "guardrails.json"), []byte(`{
		"trusted_builders": {"https://paved.dev/builders/local/v1": ["paved"]},
		"release_signers": ["paved"],
		"teams": {"@acme/greeters": ["lead@example.com", "dev@example.com"]}
	}`), 0o644))
	// The reviewer's approval of a commit, as a review tool would record
	// it.
	approve := func(commit string) {
		approval := fmt.Sprintf(`{"_type": "https://in-toto.io/Statement/v1",
			"subject": [{"name": "change", "digest": {"gitCommit": %q}}],
			"predicateType": "https://paved.dev/attestation/approval/v1",
			"predicate": {"approver": "lead@example.com", "decision": "approved", "changeId": %q, "stage": "release", "decidedAt": "2026-11-28T09:00:00Z"}}`, commit, commit)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "approval.json"), []byte(approval), 0o644))
		ok(t, dir, "sign", "approval.json", "--record", "release")
	}
	approve(head)

	road := func(version string) result {
		return paved(t, dir, "--guardrails", "guardrails.json", "pipeline", "--workdir", "greeter", "--environment", "dev",
			"--deployer", "deploy-bot@example.com", "--osv", filepath.Join(mustAbs(t, "testdata"), "osv"),
			"--var", "service=greeter", "--var", "version="+version, "--var", "approvers=lead@example.com", "--var", "base=", "-o", "json")
	}
	type gate struct {
		Stage   string `json:"stage"`
		Outcome string `json:"outcome"`
		Failing []struct {
			Control string `json:"control"`
		} `json:"failing"`
	}
	type runJSON struct {
		Outcome string `json:"outcome"`
		Steps   []struct {
			Stage string `json:"stage"`
			Name  string `json:"name"`
		} `json:"steps"`
		Gates []gate `json:"gates"`
	}
	r := road("v1.0.0")
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	run := decode[runJSON](t, r.stdout)
	assert.Equal(t, "succeeded", run.Outcome)
	var stages []string
	for _, g := range run.Gates {
		stages = append(stages, g.Stage)
		assert.Equal(t, "allowed", g.Outcome, "%s gate", g.Stage)
	}
	assert.Equal(t, []string{"plan", "build", "test", "release", "operate"}, stages)
	assert.Len(t, run.Steps, 13, "the go-service road's steps")

	// What shipped, how it scores, how delivery goes, where it came from.
	where := decode[[]map[string]string](t, ok(t, dir, "ledger", "where", "--environment", "dev", "-o", "json"))
	require.Len(t, where, 1)
	assert.Equal(t, "v1.0.0", where[0]["version"])
	as := decode[struct {
		Controls []struct {
			Control     string `json:"control"`
			Enforcement string `json:"enforcement"`
			Status      string `json:"status"`
			Message     string `json:"message"`
		} `json:"controls"`
	}](t, ok(t, dir, "--guardrails", "guardrails.json", "assess", "--service", "greeter", "--version", "v1.0.0", "--environment", "dev", "-o", "json"))
	require.NotEmpty(t, as.Controls)
	for _, c := range as.Controls {
		if c.Enforcement == "mandatory" {
			assert.Contains(t, []string{"pass", "manual", "not_applicable"}, c.Status, "%s: %s", c.Control, c.Message)
		}
	}
	assert.Contains(t, ok(t, dir, "--guardrails", "guardrails.json", "report", "--service", "greeter", "--version", "v1.0.0", "--environment", "dev", "--out", "reports"),
		"report.pack")
	dora := decode[doraJSON](t, ok(t, dir, "dora", "-o", "json"))
	require.Len(t, dora.Groups, 1)
	assert.Equal(t, "greeter", dora.Groups[0].Service)
	assert.Equal(t, 1, dora.Groups[0].Metrics.DeploymentFrequency.N)
	assert.Contains(t, ok(t, dir, "trace", "release:greeter@v1.0.0"), "greeter")
	assert.Equal(t, true, decode[map[string]any](t, ok(t, dir, "evidence", "audit", "-o", "json"))["ok"])

	// A key committed next: the Build gate stops the run, exit 1.
	key := "AKIA" + strings.ToUpper("q3rk7tz2wm5nx4hb") // built at run time: no key in the source
	require.NoError(t, os.WriteFile(filepath.Join(repo, "prod.env"), []byte("AWS_ACCESS_KEY_ID="+key+"\n"), 0o644))
	gitIn(t, repo, "add", "-A")
	gitIn(t, repo, "commit", "-q", "-m", "deploy config")
	approve(gitIn(t, repo, "rev-parse", "HEAD"))
	r = road("v1.0.1")
	require.Equal(t, 1, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	run = decode[runJSON](t, r.stdout)
	assert.Equal(t, "blocked", run.Outcome)
	last := run.Gates[len(run.Gates)-1]
	assert.Equal(t, "build", last.Stage)
	var failing []string
	for _, f := range last.Failing {
		failing = append(failing, f.Control)
	}
	assert.Contains(t, failing, "DSO-BLD-02")
	assert.Contains(t, r.stderr, "stage build blocked by policy")
	assert.NotContains(t, r.stdout+r.stderr, key)
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	require.NoError(t, err)
	return abs
}
