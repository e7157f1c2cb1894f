package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/supplychain/attest"
)

// PredicateVet is the predicate type of VetReport: a team's own type, under
// its own domain and versioned.
const PredicateVet = "https://example.com/attestation/go-vet/v1"

// VetReport is the evidence the Vet step records: what go vet found.
type VetReport struct {
	// Packages are the patterns vetted, such as "./...".
	Packages []string `json:"packages"`
	// Findings are vet's diagnostics, sorted by position.
	Findings []VetFinding `json:"findings"`
}

// VetFinding is one diagnostic of one analyzer.
type VetFinding struct {
	Package  string `json:"package"`
	Analyzer string `json:"analyzer"`
	// Position is "file:line:column", the file relative to the module.
	Position string `json:"position"`
	Message  string `json:"message"`
}

// PredicateType returns PredicateVet.
func (VetReport) PredicateType() string { return PredicateVet }

// Validate checks that every finding says where and what.
func (r VetReport) Validate() error {
	var errs []error
	for i, f := range r.Findings {
		if f.Position == "" || f.Message == "" {
			errs = append(errs, &attest.PredicateError{Type: PredicateVet, Field: fmt.Sprintf("findings[%d]", i), Err: errors.New("position and message required")})
		}
	}
	return errors.Join(errs...)
}

// Vet is a pipeline step that runs `go vet -json` and records its findings
// as a VetReport. Findings do not fail the step: the stage's gate judges
// them (see policy/vet.rego). Code that does not build does.
type Vet struct {
	// Packages are the package patterns; the default is "./...".
	Packages []string
}

// Name returns "go-vet".
func (Vet) Name() string { return "go-vet" }

// Run vets the packages and returns the report as the step's evidence.
func (s Vet) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	pkgs := s.Packages
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	args := append([]string{"go", "vet", "-json"}, pkgs...)
	out, err := sc.Exec(ctx, exec.CommandContext(ctx, args[0], args[1:]...))
	if err != nil {
		return nil, err
	}
	res := &pipeline.Result{Command: args, ExitCode: out.ExitCode, Stdout: out.Stdout, Stderr: out.Stderr}
	if out.ExitCode != 0 {
		res.Failed, res.Message = true, "go vet: "+strings.TrimSpace(string(out.Stderr))
		return res, nil
	}
	report, err := parseVet(out.Stdout, sc.Dir)
	if err != nil {
		return nil, err
	}
	report.Packages = pkgs
	res.Evidence = []pipeline.Evidence{{Predicate: report}}
	res.Message = fmt.Sprintf("%d finding(s)", len(report.Findings))
	return res, nil
}

// parseVet reads go vet's JSON: a stream of objects, one per package,
// mapping package to analyzer to diagnostics.
func parseVet(data []byte, dir string) (VetReport, error) {
	r := VetReport{Findings: []VetFinding{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var pkgs map[string]map[string][]struct{ Posn, Message string }
		if err := dec.Decode(&pkgs); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return r, fmt.Errorf("go vet -json: %w", err)
		}
		for pkg, analyzers := range pkgs {
			for analyzer, diags := range analyzers {
				for _, d := range diags {
					if rel, err := filepath.Rel(dir, d.Posn); err == nil && !strings.HasPrefix(rel, "..") {
						d.Posn = rel
					}
					r.Findings = append(r.Findings, VetFinding{Package: pkg, Analyzer: analyzer, Position: d.Posn, Message: d.Message})
				}
			}
		}
	}
	slices.SortFunc(r.Findings, func(a, b VetFinding) int { return strings.Compare(a.Position, b.Position) })
	return r, nil
}
