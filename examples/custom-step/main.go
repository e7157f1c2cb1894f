package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

// policies holds the team's Rego: the guardrail that judges Vet's evidence.
//
//go:embed policy
var policies embed.FS

func main() {
	pavedDir := flag.String("paved", ".paved", "paved's directory: the evidence store and keys")
	dir := flag.String("dir", ".", "the Go module (in a git repository) to test and vet")
	flag.Parse()
	run, err := checks(context.Background(), os.Stdout, *pavedDir, *dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "custom-step:", err)
		os.Exit(3)
	}
	if run.Outcome != pipeline.Succeeded {
		os.Exit(1)
	}
}

// checks runs the built-in GoTest step and the team's Vet step in the Test
// stage, gated by paved's guardrails plus the team's, and shows what the
// gate decided and the evidence Vet recorded.
func checks(ctx context.Context, w io.Writer, pavedDir, dir string) (*pipeline.Run, error) {
	prog, err := paved.Open(ctx, pavedDir, paved.WithPolicies(policy.FS(policies)))
	if err != nil {
		return nil, err
	}
	defer prog.Close(ctx)

	commit, err := headCommit(ctx, dir)
	if err != nil {
		return nil, err
	}
	p, err := pipeline.New("checks", pipeline.In(pipeline.Test, step.GoTest{}, Vet{}))
	if err != nil {
		return nil, err
	}
	run, err := prog.Runner().Run(ctx, p, pipeline.InDir(dir), pipeline.ForSubject(commit))
	if run == nil {
		return nil, err
	}
	for _, s := range run.Steps {
		fmt.Fprintf(w, "step %s/%s: %s\n", s.Stage, s.Name, s.Message)
	}
	for _, g := range run.Gates {
		fmt.Fprintf(w, "gate %s: %s\n", g.Stage, g.Decision.Outcome)
		for _, c := range g.Decision.Controls {
			if c.Status == policy.StatusPass || c.Status == policy.StatusFail || c.Status == policy.StatusError {
				fmt.Fprintf(w, "  %s %s%s\n", c.Control, c.Status, reason(c))
			}
		}
	}
	fmt.Fprintf(w, "run %s: %s\n", run.ID, run.Outcome)

	// The evidence Vet recorded: read back from the store, its signature
	// verified, decoded as the team's own type.
	for _, s := range run.Steps {
		for _, r := range s.Evidence {
			rec, err := prog.Store().Get(ctx, r.ID)
			if err != nil {
				return nil, err
			}
			env, err := sign.ParseEnvelope(rec.Envelope)
			if err != nil {
				return nil, err
			}
			v, err := sign.Verify(ctx, env, prog.Trust())
			if err != nil {
				return nil, err
			}
			var report VetReport
			if rec.PredicateType != PredicateVet || v.Statement.Decode(&report) != nil {
				continue
			}
			fmt.Fprintf(w, "evidence %s: %s, signed by %s, %d finding(s)\n", rec.ID, rec.PredicateType, v.Signers[0].Name, len(report.Findings))
			for _, f := range report.Findings {
				fmt.Fprintf(w, "  %s: %s [%s]\n", f.Position, f.Message, f.Analyzer)
			}
		}
	}
	return run, nil
}

// reason says why a control has its status, if it says.
func reason(c policy.ControlResult) string {
	switch {
	case len(c.Violations) > 0:
		return ": " + c.Violations[0].Msg
	case c.Message != "":
		return ": " + c.Message
	}
	return ""
}

// headCommit returns the commit checked out in dir, the subject the gate
// decides on.
func headCommit(ctx context.Context, dir string) (supplychain.Subject, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return supplychain.Subject{}, fmt.Errorf("git rev-parse HEAD in %s: %w", dir, err)
	}
	return supplychain.Subject{Name: dir, Digest: supplychain.DigestSet{"gitCommit": strings.TrimSpace(string(out))}}, nil
}
