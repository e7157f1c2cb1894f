package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
)

// runResult is what run reports: the run, its step and its gate.
type runResult struct {
	RunID   string               `json:"runId"`
	Outcome string               `json:"outcome"`
	Error   string               `json:"error,omitempty"`
	Subject *supplychain.Subject `json:"subject,omitempty"`
	Steps   []runStep            `json:"steps"`
	Gates   []runGate            `json:"gates"`
	Summary string               `json:"summary"`
}

type runStep struct {
	Stage    string `json:"stage"`
	Name     string `json:"name"`
	Failed   bool   `json:"failed"`
	Message  string `json:"message,omitempty"`
	ExitCode int    `json:"exitCode"`
	Record   string `json:"record"`
}

type runGate struct {
	Stage   string           `json:"stage"`
	Outcome string           `json:"outcome"`
	Record  string           `json:"record"`
	Failing []failingControl `json:"failing,omitempty"`
}

// failingControl is a control that made a gate block, and why.
type failingControl struct {
	Control string `json:"control"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
}

func (a *app) runCmd() *cobra.Command {
	var (
		stage, name, env    string
		materials, products []string
		inDir, subject      string
	)
	cmd := &cobra.Command{
		Use:   "run --stage STAGE --step NAME [flags] -- COMMAND [ARG...]",
		Short: "Run one CI command as a gated pipeline step and record it",
		Long: "run wraps COMMAND as the step NAME of stage STAGE: it runs it, records it as signed evidence " +
			"(with the digests of --material files before and --product files after) with the CI job's context read from the environment " +
			"(GitHub Actions, GitLab CI, Buildkite, CircleCI, Azure Pipelines, Jenkins, or local), then gates the stage with policy.\n\n" +
			"Exit 0 when the step succeeded and the gate allowed, 1 when the step failed or the gate blocked.",
		Args: cobra.MinimumNArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			var st pipeline.Stage
			if err := st.UnmarshalText([]byte(stage)); err != nil {
				return usage(fmt.Errorf("--stage %q: %w", stage, err), "stages are "+stageList())
			}
			if cmd.ArgsLenAtDash() != 0 {
				return usage(errors.New("the command must follow --"), "write: run --stage build --step compile -- go build ./...")
			}
			// The command's output goes to stderr, so that stdout holds
			// only the run's report (the JSON one included).
			wrapped := shownStep{Command: step.Command{StepName: name, Args: args, Materials: materials, Products: products}, out: cmd.ErrOrStderr()}
			p, err := pipeline.New(name, pipeline.In(st, wrapped))
			if err != nil {
				return usage(err, "")
			}
			prog, ropts, err := a.openRun(cmd, inDir)
			if err != nil {
				return err
			}
			defer prog.Close(cmd.Context())
			if subject != "" {
				sub, err := supplychain.SubjectFromFile(filepath.Base(subject), subject)
				if err != nil {
					return usage(fmt.Errorf("--subject: %w", err), "pass the artifact file the gate decides on")
				}
				ropts = append(ropts, pipeline.ForSubject(sub))
			}
			if env != "" {
				ropts = append(ropts, pipeline.ToEnvironment(env))
			}
			return a.report(cmd, prog, p, ropts)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&stage, "stage", "", "the pipeline stage: "+stageList())
	f.StringVar(&name, "step", "", "the step's name")
	f.StringVar(&env, "environment", "", "the environment the run targets, for the gate")
	f.StringVar(&inDir, "workdir", "", "the directory to run the command in (default: the current directory)")
	f.StringArrayVar(&materials, "material", nil, "a file or glob the command reads (repeatable), digested before")
	f.StringArrayVar(&products, "product", nil, "a file or glob the command makes (repeatable), digested after; the first is the run's subject")
	f.StringVar(&subject, "subject", "", "the artifact file the gate decides on (default: the first --product)")
	_ = cmd.MarkFlagRequired("stage")
	_ = cmd.MarkFlagRequired("step")
	return cmd
}

// shownStep runs a command step and then shows its output, redacted of
// the pipeline's secrets as the record is.
type shownStep struct {
	step.Command
	out io.Writer
}

func (s shownStep) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	res, err := s.Command.Run(ctx, sc)
	if res != nil {
		_, _ = s.out.Write(sc.Redact(res.Stdout))
		_, _ = s.out.Write(sc.Redact(res.Stderr))
	}
	return res, err
}

func stageList() string {
	var s []string
	for _, st := range pipeline.Stages() {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
}

func summarize(run *pipeline.Run) runResult {
	r := runResult{RunID: run.ID, Outcome: string(run.Outcome), Subject: run.Subject, Summary: run.Summary.ID, Steps: []runStep{}, Gates: []runGate{}}
	if run.Err != nil {
		r.Error = run.Err.Error()
	}
	for _, s := range run.Steps {
		r.Steps = append(r.Steps, runStep{Stage: string(s.Stage), Name: s.Name, Failed: s.Failed, Message: s.Message, ExitCode: s.ExitCode, Record: s.Record.ID})
	}
	for _, g := range run.Gates {
		rg := runGate{Stage: string(g.Stage), Record: g.Record.ID}
		if g.Decision != nil {
			rg.Outcome = string(g.Decision.Outcome)
			for _, c := range g.Decision.Controls {
				if c.Status == policy.StatusFail || c.Status == policy.StatusError {
					fc := failingControl{Control: c.Control, Status: string(c.Status), Reason: c.Message}
					if len(c.Violations) > 0 {
						fc.Reason = c.Violations[0].Msg
					}
					rg.Failing = append(rg.Failing, fc)
				}
			}
		}
		r.Gates = append(r.Gates, rg)
	}
	return r
}

func lastGate(r runResult) string {
	if len(r.Gates) == 0 {
		return ""
	}
	return r.Gates[len(r.Gates)-1].Record
}

func (r runResult) text(w io.Writer) {
	for _, s := range r.Steps {
		status := "ok"
		if s.Failed {
			status = "FAILED: " + s.Message
		}
		fmt.Fprintf(w, "step %s/%s: %s (exit %d, record %s)\n", s.Stage, s.Name, status, s.ExitCode, s.Record)
	}
	for _, g := range r.Gates {
		fmt.Fprintf(w, "gate %s: %s (record %s)\n", g.Stage, g.Outcome, g.Record)
		for _, c := range g.Failing {
			fmt.Fprintf(w, "  %s %s: %s\n", c.Control, c.Status, c.Reason)
		}
	}
	fmt.Fprintf(w, "run %s: %s\n", r.RunID, r.Outcome)
}
