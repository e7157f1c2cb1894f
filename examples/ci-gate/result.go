package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
)

// declare is the gate's only step: it declares the artifact by digest as
// its material, so that the run leaves a signed record, with the CI
// context, of what was gated.
type declare struct {
	subject supplychain.Subject
	path    string
}

func (declare) Name() string { return "declare-artifact" }

// Run checks that the artifact still has the digest the run is about.
func (d declare) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	now, err := supplychain.SubjectFromFile(d.subject.Name, d.path)
	if err != nil {
		return nil, err
	}
	if !now.Digest.Matches(d.subject.Digest) {
		return &pipeline.Result{Failed: true, Message: d.path + " changed while it was gated"}, nil
	}
	return &pipeline.Result{Materials: []supplychain.Subject{now}, Message: "declared " + d.path}, nil
}

// readGuardrails reads a JSON object of guardrail settings.
func readGuardrails(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var settings map[string]any
	if err := json.Unmarshal(data, &settings); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return settings, nil
}

// result is what ci-gate prints: the CI context, the artifact, and the
// gate's decision with the records that keep it.
type result struct {
	CI       ci.Context          `json:"ci"`
	Stage    string              `json:"stage"`
	Subject  supplychain.Subject `json:"subject"`
	Outcome  string              `json:"outcome"`
	Error    string              `json:"error,omitempty"`
	Run      string              `json:"run"`
	Summary  string              `json:"summary"`
	Record   string              `json:"decisionRecord,omitempty"`
	Decision *policy.Decision    `json:"decision,omitempty"`
}

func resultOf(run *pipeline.Run, stage pipeline.Stage, c ci.Context) result {
	r := result{CI: c, Stage: string(stage), Subject: *run.Subject, Outcome: "allowed", Run: run.ID, Summary: run.Summary.ID}
	if run.Outcome != pipeline.Succeeded {
		r.Outcome, r.Error = "blocked", run.Err.Error()
	}
	if n := len(run.Gates); n > 0 {
		r.Record, r.Decision = run.Gates[n-1].Record.ID, run.Gates[n-1].Decision
	}
	return r
}

func (r result) text(w io.Writer) error {
	fmt.Fprintf(w, "ci %s, builder %s", r.CI.Provider, r.CI.BuilderID)
	for _, f := range [][2]string{{"run", r.CI.RunURL}, {"commit", r.CI.Commit}, {"by", r.CI.Actor}} {
		if f[1] != "" {
			fmt.Fprintf(w, ", %s %s", f[0], f[1])
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "gate %s for %s %s: %s\n", r.Stage, r.Subject.Name, r.Subject.Digest.Digests()[0], r.Outcome)
	if d := r.Decision; d != nil {
		for _, c := range d.Controls {
			if c.Status == policy.StatusFail || c.Status == policy.StatusError || c.Status == policy.StatusWarn {
				why := c.Message
				if len(c.Violations) > 0 {
					why = c.Violations[0].Msg
				}
				fmt.Fprintf(w, "  %s %s %s: %s\n", c.Control, c.Enforcement, c.Status, why)
			}
		}
		fmt.Fprintf(w, "decision %s recorded as %s\n", d.ID, r.Record)
	} else if r.Error != "" {
		fmt.Fprintf(w, "  %s\n", r.Error)
	}
	_, err := fmt.Fprintf(w, "run %s recorded as %s\n", r.Run, r.Summary)
	return err
}
