package step

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	cdx "github.com/CycloneDX/cyclonedx-go"
	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	ita "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/internal/sarif"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/secret"
	"github.com/paved-dev/paved/supplychain/vuln"
)

// Command runs a command, recording the digests of its declared materials
// (before) and products (after). A non-zero exit fails the step.
type Command struct {
	// StepName names the step; the default is the command's name.
	StepName string
	// Args is the command line.
	Args []string
	// Env adds "KEY=value" variables to the process's environment.
	Env []string
	// Materials and Products are files, relative to the pipeline's
	// directory or absolute, or glob patterns of them.
	Materials, Products []string
}

// Name returns the step's name.
func (s Command) Name() string {
	if s.StepName == "" && len(s.Args) > 0 {
		return filepath.Base(s.Args[0])
	}
	return s.StepName
}

// Run runs the command.
func (s Command) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	if len(s.Args) == 0 {
		return nil, errors.New("no command")
	}
	materials, err := digestFiles(sc.Dir, s.Materials)
	if err != nil {
		return nil, fmt.Errorf("materials: %w", err)
	}
	cmd := exec.CommandContext(ctx, s.Args[0], s.Args[1:]...)
	cmd.Env = append(os.Environ(), s.Env...)
	out, err := sc.Exec(ctx, cmd)
	if err != nil {
		return nil, err
	}
	res := &pipeline.Result{Command: s.Args, ExitCode: out.ExitCode, Stdout: out.Stdout, Stderr: out.Stderr, Materials: materials}
	if out.ExitCode != 0 {
		res.Failed = true
		res.Message = fmt.Sprintf("exit %d: %s", out.ExitCode, lastLine(out.Stderr, out.Stdout))
		return res, nil
	}
	if res.Products, err = digestFiles(sc.Dir, s.Products); err != nil {
		return nil, fmt.Errorf("products: %w", err)
	}
	return res, nil
}

// lastLine returns the last non-empty line of the first output that has
// one, for a failure message.
func lastLine(outs ...[]byte) string {
	for _, o := range outs {
		lines := bytes.Split(bytes.TrimSpace(o), []byte("\n"))
		if l := bytes.TrimSpace(lines[len(lines)-1]); len(l) > 0 {
			return string(l)
		}
	}
	return "no output"
}

// digestFiles digests the files that patterns name, relative to dir, as
// subjects named by their slash-separated path relative to dir. A pattern
// that matches nothing is an error.
func digestFiles(dir string, patterns []string) ([]supplychain.Subject, error) {
	var out []supplychain.Subject
	for _, p := range patterns {
		abs := p
		if !filepath.IsAbs(p) {
			abs = filepath.Join(dir, p)
		}
		matches, err := filepath.Glob(abs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("%s: no such file", p)
		}
		for _, m := range matches {
			d, err := supplychain.DigestFile(m, supplychain.SHA256)
			if err != nil {
				return nil, err
			}
			name, err := filepath.Rel(dir, m)
			if err != nil || filepath.IsAbs(p) {
				name = m
			}
			out = append(out, supplychain.Subject{Name: filepath.ToSlash(name), Digest: d})
		}
	}
	return out, nil
}

// SBOM generates a CycloneDX 1.6 SBOM of the Go module in the pipeline's
// directory (or of a compiled binary), writes it to a file and records it
// as an SBOM statement about the run's subject (the binary, for a binary
// SBOM). It never downloads modules unless told to.
type SBOM struct {
	// StepName names the step; the default is "sbom".
	StepName string
	// Module is the module directory, relative to the pipeline's; the
	// default is the pipeline's directory.
	Module string
	// Binary, when set, is a compiled Go binary to describe instead.
	Binary string
	// Output is the file the SBOM is written to; the default is
	// "sbom.cdx.json".
	Output string
	// FullGraph lists every module of the graph, not only those that
	// provide packages to the build.
	FullGraph bool
	// AllowDownloads lets the go command fetch missing modules.
	AllowDownloads bool
}

// Name returns the step's name.
func (s SBOM) Name() string { return cmp.Or(s.StepName, "sbom") }

// Run generates and records the SBOM.
func (s SBOM) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	opts := []sbom.Option{sbom.WithClock(sc.Now)}
	if s.Binary != "" && (s.FullGraph || s.AllowDownloads) {
		return nil, errors.New("a binary's SBOM is what the binary records: FullGraph and AllowDownloads apply to a module only")
	}
	if s.FullGraph {
		opts = append(opts, sbom.WithFullGraph())
	}
	if s.AllowDownloads {
		opts = append(opts, sbom.WithDownloads())
	}
	res := &pipeline.Result{}
	var (
		ev  pipeline.Evidence
		bom *cdx.BOM
		err error
	)
	if s.Binary != "" {
		path := within(sc.Dir, s.Binary)
		bin, derr := digestFiles(sc.Dir, []string{s.Binary})
		if derr != nil {
			return nil, derr
		}
		res.Materials, ev.Subjects = bin, bin
		res.Command = []string{"paved", "sbom", "binary", s.Binary}
		bom, err = sbom.GenerateBinary(path, opts...)
	} else {
		res.Command = []string{"paved", "sbom", "module", cmp.Or(s.Module, ".")}
		bom, err = sbom.GenerateModule(ctx, within(sc.Dir, s.Module), opts...)
	}
	if err != nil {
		return nil, err
	}
	var doc bytes.Buffer
	if err := sbom.Encode(&doc, bom, sbom.CycloneDXJSON); err != nil {
		return nil, err
	}
	out := within(sc.Dir, cmp.Or(s.Output, "sbom.cdx.json"))
	if err := os.WriteFile(out, doc.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if ev.Predicate, err = sbom.Predicate(doc.Bytes()); err != nil {
		return nil, err
	}
	res.Evidence = []pipeline.Evidence{ev}
	return res, nil
}

// within resolves a path relative to dir ("" is dir itself).
func within(dir, p string) string {
	if p == "" {
		return dir
	}
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// SecretScan scans the pipeline's directory (or the changes of a git
// range) for secrets with gitleaks' rules and records the count and the
// rules that matched, never the secrets. The step itself succeeds: the
// Build gate's policy decides what a finding means.
type SecretScan struct {
	// StepName names the step; the default is "secret-scan".
	StepName string
	// Scanner scans; nil uses gitleaks' default rules.
	Scanner *secret.Scanner
	// Path is what to scan, relative to the pipeline's directory; the
	// default is the whole directory.
	Path string
	// Revisions, when set (such as "origin/main..HEAD"), scans those
	// commits of the git history instead of the files.
	Revisions string
	// SARIF, when set, is a file the findings are written to as SARIF.
	SARIF string
}

// Name returns the step's name.
func (s SecretScan) Name() string { return cmp.Or(s.StepName, "secret-scan") }

// Run scans and records the result.
func (s SecretScan) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	scanner := s.Scanner
	if scanner == nil {
		var err error
		if scanner, err = secret.New(secret.WithLogger(sc.Logger)); err != nil {
			return nil, err
		}
	}
	var (
		report *secret.Report
		err    error
		cmd    = []string{"paved", "secrets", "scan", cmp.Or(s.Path, ".")}
	)
	if s.Revisions != "" {
		cmd = []string{"paved", "secrets", "scan", "--git", s.Revisions}
		report, err = scanner.ScanGitLog(ctx, sc.Dir, s.Revisions)
	} else {
		report, err = scanner.ScanPath(ctx, within(sc.Dir, s.Path))
	}
	if err != nil {
		return nil, err
	}
	if s.SARIF != "" {
		b, err := report.SARIF()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(within(sc.Dir, s.SARIF), b, 0o644); err != nil {
			return nil, err
		}
	}
	result := policy.SecretScan{Scanner: "gitleaks", Findings: len(report.Findings)}
	for _, f := range report.Findings {
		if !slices.Contains(result.Rules, f.RuleID) {
			result.Rules = append(result.Rules, f.RuleID)
		}
		sc.Logger.WarnContext(ctx, "secret found", "rule", f.RuleID, "file", f.File, "line", f.StartLine, "fingerprint", f.Fingerprint)
	}
	msg := fmt.Sprintf("%d files, %d findings", report.Files, len(report.Findings))
	return &pipeline.Result{Command: cmd, Message: msg, Evidence: []pipeline.Evidence{{Predicate: result}}}, nil
}

// VulnScan matches an SBOM's components against an offline OSV database
// and records the findings (VEX-suppressed ones marked) as an in-toto
// vulns statement. The step succeeds: the gate's policy judges findings
// against their severity's fix-by date.
type VulnScan struct {
	// StepName names the step; the default is "vuln-scan".
	StepName string
	// DB is the OSV database.
	DB *vuln.DB
	// Options configure the matcher (VEX documents, SLA, clock; the
	// default clock is the run's).
	Options []vuln.Option
	// SBOM is the SBOM file, relative to the pipeline's directory; the
	// default is "sbom.cdx.json".
	SBOM string
	// SARIF, when set, is a file the findings are written to as SARIF.
	SARIF string
}

// Name returns the step's name.
func (s VulnScan) Name() string { return cmp.Or(s.StepName, "vuln-scan") }

// Run matches and records the findings.
func (s VulnScan) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	if s.DB == nil {
		return nil, errors.New("no vulnerability database")
	}
	path := within(sc.Dir, cmp.Or(s.SBOM, "sbom.cdx.json"))
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := sbom.Decode(f)
	if err != nil {
		return nil, err
	}
	m, err := vuln.NewMatcher(s.DB, append([]vuln.Option{vuln.WithClock(sc.Now)}, s.Options...)...)
	if err != nil {
		return nil, err
	}
	report := m.Match(doc)
	if s.SARIF != "" {
		var b bytes.Buffer
		if err := report.WriteSARIF(&b); err != nil {
			return nil, err
		}
		if err := os.WriteFile(within(sc.Dir, s.SARIF), b.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	pred, err := report.Predicate()
	if err != nil {
		return nil, err
	}
	materials, err := digestFiles(sc.Dir, []string{path})
	if err != nil {
		return nil, err
	}
	return &pipeline.Result{Command: []string{"paved", "vuln", "scan", cmp.Or(s.SBOM, "sbom.cdx.json")}, Materials: materials,
		Message:  fmt.Sprintf("%d active findings of %d", len(report.Active()), len(report.Findings)),
		Evidence: []pipeline.Evidence{{Predicate: pred}}}, nil
}

// BuildTypePipeline is the SLSA build type of provenance a paved pipeline
// records.
const BuildTypePipeline = "https://paved.dev/build/pipeline/v1"

// Provenance records SLSA v1 provenance for the run's subject: the builder
// and run from the CI context, the repository and commit as resolved
// dependencies, and the records of the run's steps so far as byproducts.
type Provenance struct {
	// StepName names the step; the default is "provenance".
	StepName string
}

// Name returns the step's name.
func (s Provenance) Name() string { return cmp.Or(s.StepName, "provenance") }

// Run records the provenance.
func (s Provenance) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	subj, ok := sc.Subject()
	if !ok || subj.Digest["sha256"] == "" {
		return nil, errors.New("no artifact to attest: no earlier step declared a product")
	}
	var byproducts []*ita.ResourceDescriptor
	started := sc.Now()
	q := evidence.Query{Labels: map[string]string{"paved.run": sc.RunID}, Limit: evidence.MaxQueryLimit}
	for r, err := range sc.Store.Query(ctx, q) {
		if err != nil {
			return nil, err
		}
		if r.RecordedAt.Before(started) {
			started = r.RecordedAt
		}
		byproducts = append(byproducts, &ita.ResourceDescriptor{Name: r.PredicateType, Uri: "paved-evidence:" + r.ID,
			Digest: map[string]string{"sha256": r.ID[len("sha256:"):]}})
	}
	params, err := structpb.NewStruct(map[string]any{"run": sc.RunID, "ref": sc.CI.Ref, "repository": sc.CI.Repository, "trigger": sc.CI.Trigger})
	if err != nil {
		return nil, err
	}
	bd := &slsa.BuildDefinition{BuildType: BuildTypePipeline, ExternalParameters: params}
	if sc.CI.Commit != "" {
		bd.ResolvedDependencies = []*ita.ResourceDescriptor{{Uri: sc.CI.Repository, Digest: map[string]string{"gitCommit": sc.CI.Commit}}}
	}
	p := &slsa.Provenance{BuildDefinition: bd, RunDetails: &slsa.RunDetails{
		Builder:    &slsa.Builder{Id: sc.CI.BuilderID},
		Metadata:   &slsa.BuildMetadata{InvocationId: cmp.Or(sc.CI.RunURL, sc.RunID), StartedOn: timestamppb.New(started), FinishedOn: timestamppb.New(sc.Now())},
		Byproducts: byproducts,
	}}
	return &pipeline.Result{Evidence: []pipeline.Evidence{{Predicate: attest.NewProvenance(p)}}}, nil
}

// PredicateSARIF is the predicate type of the SARIF step's summary of a
// scanner's results.
const PredicateSARIF = "https://paved.dev/attestation/sarif-summary/v1"

// SARIFSummary summarizes one SARIF log: per tool, results by level and the
// rules that fired.
type SARIFSummary struct {
	Runs []SARIFRun `json:"runs"`
}

// SARIFRun is one tool's run in a SARIF log.
type SARIFRun struct {
	Tool     string   `json:"tool"`
	Version  string   `json:"version,omitempty"`
	Errors   int      `json:"errors"`
	Warnings int      `json:"warnings"`
	Notes    int      `json:"notes"`
	Rules    []string `json:"rules,omitempty"`
}

// ErrInvalidSARIF: a document that is not a SARIF 2.1.0 log.
var ErrInvalidSARIF = errors.New("step: invalid SARIF")

// ParseSARIF summarizes a SARIF 2.1.0 log. A result without a level counts
// as a warning, SARIF's default.
func ParseSARIF(data []byte) (*SARIFSummary, error) {
	log, err := sarif.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSARIF, err)
	}
	out := &SARIFSummary{Runs: []SARIFRun{}}
	for i, r := range log.Runs {
		if r.Tool.Driver.Name == "" {
			return nil, fmt.Errorf("%w: runs[%d].tool.driver.name: required", ErrInvalidSARIF, i)
		}
		run := SARIFRun{Tool: r.Tool.Driver.Name, Version: r.Tool.Driver.Version}
		for j, res := range r.Results {
			switch res.Level {
			case sarif.Error:
				run.Errors++
			case "", sarif.Warning:
				run.Warnings++
			case sarif.Note, sarif.None:
				run.Notes++
			default:
				return nil, fmt.Errorf("%w: runs[%d].results[%d].level: %q", ErrInvalidSARIF, i, j, res.Level)
			}
			if res.RuleID != "" && !slices.Contains(run.Rules, res.RuleID) {
				run.Rules = append(run.Rules, res.RuleID)
			}
		}
		out.Runs = append(out.Runs, run)
	}
	return out, nil
}

// SARIF ingests the SARIF logs of any scanner (quality, SAST) and records
// their summary. With FailOn "error" (or "warning"), results at that level
// or worse fail the step.
type SARIF struct {
	// StepName names the step; the default is "sarif".
	StepName string
	// Files are SARIF files or glob patterns, relative to the pipeline's
	// directory.
	Files []string
	// FailOn is "", "error" or "warning".
	FailOn string
}

// Name returns the step's name.
func (s SARIF) Name() string { return cmp.Or(s.StepName, "sarif") }

// Run reads the logs and records their summary.
func (s SARIF) Run(_ context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	files, err := digestFiles(sc.Dir, s.Files)
	if err != nil {
		return nil, err
	}
	res := &pipeline.Result{Materials: files}
	errorsN, warnings := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(within(sc.Dir, f.Name))
		if err != nil {
			return nil, err
		}
		sum, err := ParseSARIF(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		for _, r := range sum.Runs {
			errorsN += r.Errors
			warnings += r.Warnings
		}
		js, err := json.Marshal(sum)
		if err != nil {
			return nil, err
		}
		res.Evidence = append(res.Evidence, pipeline.Evidence{Predicate: attest.Generic{Type: PredicateSARIF, JSON: js}})
	}
	res.Message = fmt.Sprintf("%d errors, %d warnings", errorsN, warnings)
	res.Failed = (s.FailOn == "error" && errorsN > 0) || (s.FailOn == "warning" && errorsN+warnings > 0)
	return res, nil
}

func buildKinds(env Env, k pipeline.Kinds) {
	k["command"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("run", "env", "materials", "products"); err != nil {
			return nil, err
		}
		if len(p.Run) == 0 {
			return nil, &pipeline.ParamError{Param: "run", Err: pipeline.ErrMissingParam}
		}
		return Command{StepName: name, Args: p.Run, Env: p.List("env"), Materials: p.List("materials"), Products: p.List("products")}, nil
	}
	k["sbom"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("module", "binary", "output", "full-graph", "allow-downloads"); err != nil {
			return nil, err
		}
		return SBOM{StepName: name, Module: p.Get("module", ""), Binary: p.Get("binary", ""), Output: p.Get("output", ""),
			FullGraph: p.Get("full-graph", "") == "true", AllowDownloads: p.Get("allow-downloads", "") == "true"}, nil
	}
	k["secret-scan"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("path", "revisions", "sarif"); err != nil {
			return nil, err
		}
		return SecretScan{StepName: name, Scanner: env.Secrets, Path: p.Get("path", ""), Revisions: p.Get("revisions", ""), SARIF: p.Get("sarif", "")}, nil
	}
	k["vuln-scan"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("sbom", "sarif"); err != nil {
			return nil, err
		}
		if env.Vulns == nil {
			return nil, errors.New("the vuln-scan kind needs an OSV database (step.Env.Vulns)")
		}
		return VulnScan{StepName: name, DB: env.Vulns, Options: env.VulnOptions, SBOM: p.Get("sbom", ""), SARIF: p.Get("sarif", "")}, nil
	}
	k["provenance"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only(); err != nil {
			return nil, err
		}
		return Provenance{StepName: name}, nil
	}
	k["sarif"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("files", "fail-on"); err != nil {
			return nil, err
		}
		files := p.List("files")
		if len(files) == 0 {
			return nil, &pipeline.ParamError{Param: "files", Err: pipeline.ErrMissingParam}
		}
		failOn := p.Get("fail-on", "")
		if failOn != "" && failOn != "error" && failOn != "warning" {
			return nil, &pipeline.ParamError{Param: "fail-on", Err: fmt.Errorf("%q is not error or warning", failOn)}
		}
		return SARIF{StepName: name, Files: files, FailOn: failOn}, nil
	}
}
