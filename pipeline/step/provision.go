package step

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/platform/iac"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// ErrNotGated: ProvisionApply found no recorded plan, or no gate decision
// that allowed it.
var ErrNotGated = errors.New("step: plan not allowed by a gate")

// ProvisionPlan runs the caller's IaC plan command (such as terraform plan
// -out=tfplan), then its show command (terraform show -json tfplan), and
// parses the plan JSON with iac.Parse: the change set, sensitive values
// redacted, is the step's attest.IaCPlan evidence about the plan (named
// PlanFile, with the digest of its JSON), and drift the plan's refresh
// found is a second, "drift" IaCPlan. Neither command's output is kept:
// the step record holds only their digests.
//
// Provisioning is two steps in two stages, so that the runner's gate sits
// between plan and apply: ProvisionPlan records the change set in one
// stage; that stage's gate evaluates policy (such as the IaC guardrails of
// platform/iac) over it, applies exceptions and records its decision like
// every other gate; ProvisionApply, in a later stage, applies only the
// plan this run recorded and a gate of this run allowed. (One step that
// ran a policy.Engine itself would duplicate the gate: its request, its
// exceptions, its recorded decision.)
type ProvisionPlan struct {
	// StepName names the step; the default is "provision-plan".
	StepName string
	// Plan is the plan command; empty when Show reads a plan made
	// elsewhere.
	Plan []string
	// Show prints the plan as JSON, such as ["terraform", "show",
	// "-json", "tfplan"]. Required.
	Show []string
	// PlanFile names the plan in its subject; the default is "tfplan".
	PlanFile string
}

// Name returns the step's name.
func (s ProvisionPlan) Name() string { return cmp.Or(s.StepName, "provision-plan") }

// Run plans and records the change set.
func (s ProvisionPlan) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	res := &pipeline.Result{}
	if len(s.Plan) > 0 {
		out, err := runCommand(ctx, sc, s.Plan)
		if err != nil {
			return nil, err
		}
		res.Command, res.ExitCode, res.Stdout, res.Stderr = s.Plan, out.ExitCode, out.Stdout, out.Stderr
		if out.ExitCode != 0 {
			res.Failed, res.Message = true, fmt.Sprintf("%s exited %d", s.Plan[0], out.ExitCode)
			return res, nil
		}
	}
	plan, _, err := showPlan(ctx, sc, s.Show)
	if err != nil {
		return nil, err
	}
	subj := plan.Subject(cmp.Or(s.PlanFile, "tfplan"))
	if len(s.Plan) == 0 {
		res.Command = s.Show
	}
	res.Materials = []supplychain.Subject{subj}
	res.Evidence = []pipeline.Evidence{{Predicate: plan.Predicate(), Subjects: []supplychain.Subject{subj}}}
	counts := map[iac.Action]int{}
	for _, c := range plan.Changes {
		counts[c.Action]++
	}
	res.Message = fmt.Sprintf("plan %s: %d to create, %d to update, %d to replace, %d to delete", subj.Digest["sha256"][:12],
		counts[iac.Create], counts[iac.Update], counts[iac.Replace], counts[iac.Delete])
	if d, ok := plan.Drift(); ok {
		res.Evidence = append(res.Evidence, pipeline.Evidence{Predicate: d.Predicate(), Subjects: []supplychain.Subject{subj}})
		res.Message += fmt.Sprintf("; %d resource(s) drifted outside the code", len(d.Changes))
	}
	return res, nil
}

// ProvisionApply applies a plan that ProvisionPlan recorded in an earlier
// stage of the same run and that stage's gate allowed. It runs Show again
// and requires, failing closed with ErrNotGated and without running
// Apply, that this run recorded an IaC plan with that very digest (the
// plan file did not change since) and that a gate of this run decided
// after it, with a result other than "deny". A run without policy
// (pipeline.WithPolicy) has no gate, so nothing is applied. It then runs
// Apply; the step's record holds the command, its exit code and output
// digests, with the plan as material.
type ProvisionApply struct {
	// StepName names the step; the default is "provision-apply".
	StepName string
	// Show prints the plan as JSON, as for ProvisionPlan. Required.
	Show []string
	// Apply applies the plan, such as ["terraform", "apply", "tfplan"].
	// Required.
	Apply []string
	// PlanFile names the plan in its subject; the default is "tfplan".
	PlanFile string
}

// Name returns the step's name.
func (s ProvisionApply) Name() string { return cmp.Or(s.StepName, "provision-apply") }

// Run checks the plan's gate and applies it.
func (s ProvisionApply) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	if len(s.Apply) == 0 {
		return nil, errors.New("provision apply: no apply command")
	}
	plan, _, err := showPlan(ctx, sc, s.Show)
	if err != nil {
		return nil, err
	}
	subj := plan.Subject(cmp.Or(s.PlanFile, "tfplan"))
	res := &pipeline.Result{Materials: []supplychain.Subject{subj}}
	if why := planGate(ctx, sc, subj); why != "" {
		res.Failed, res.Message = true, fmt.Sprintf("%v: %s", ErrNotGated, why)
		return res, nil
	}
	out, err := runCommand(ctx, sc, s.Apply)
	if err != nil {
		return nil, err
	}
	res.Command, res.ExitCode, res.Stdout, res.Stderr = s.Apply, out.ExitCode, out.Stdout, out.Stderr
	if out.ExitCode != 0 {
		res.Failed, res.Message = true, fmt.Sprintf("apply of plan %s: %s exited %d", subj.Digest["sha256"][:12], s.Apply[0], out.ExitCode)
		return res, nil
	}
	res.Message = fmt.Sprintf("applied plan %s (%d change(s))", subj.Digest["sha256"][:12], len(plan.Changes))
	return res, nil
}

// planGate returns why the plan may not be applied, or "" when this run
// recorded it and a later gate of the run allowed it.
func planGate(ctx context.Context, sc *pipeline.StepContext, plan supplychain.Subject) string {
	run := map[string]string{"paved.run": sc.RunID}
	recs, err := findRecords(ctx, sc.Store, evidence.Query{SubjectDigest: "sha256:" + plan.Digest["sha256"], PredicateType: attest.PredicateIaCPlan, Labels: run})
	if err != nil {
		return "reading the plan's records: " + err.Error()
	}
	if len(recs) == 0 {
		return fmt.Sprintf("this run recorded no plan with digest sha256:%s (run ProvisionPlan in an earlier stage; a plan changed since is not applied)", plan.Digest["sha256"])
	}
	planned := recs[0]
	decisions, err := findRecords(ctx, sc.Store, evidence.Query{PredicateType: attest.PredicatePolicyDecision, Stage: planned.Stage, Labels: run})
	if err != nil {
		return "reading the gate's decision: " + err.Error()
	}
	for _, d := range decisions {
		if d.Index < planned.Index || d.Labels["paved.gate"] == "" {
			continue
		}
		st, err := readStatement(d)
		if err != nil {
			return err.Error()
		}
		var pd attest.PolicyDecision
		if err := st.Decode(&pd); err != nil {
			return fmt.Sprintf("decision %s: %v", d.ID, err)
		}
		if pd.Result == "deny" {
			return fmt.Sprintf("the %s gate denied it (decision %s)", planned.Stage, d.ID)
		}
		return ""
	}
	return fmt.Sprintf("no gate decided on the plan after the %s stage (run ProvisionApply in a later stage, with pipeline.WithPolicy)", planned.Stage)
}

// showPlan runs the show command and parses the plan it prints.
func showPlan(ctx context.Context, sc *pipeline.StepContext, show []string) (*iac.Plan, *pipeline.Output, error) {
	if len(show) == 0 {
		return nil, nil, errors.New("provision: no show command (such as terraform show -json tfplan)")
	}
	out, err := runCommand(ctx, sc, show)
	if err != nil {
		return nil, nil, err
	}
	if out.ExitCode != 0 {
		return nil, out, fmt.Errorf("provision: %s exited %d: %s", strings.Join(show, " "), out.ExitCode, bytes.TrimSpace(out.Stderr))
	}
	plan, err := iac.Parse(bytes.NewReader(out.Stdout))
	if err != nil {
		return nil, out, fmt.Errorf("provision: %s: %w", strings.Join(show, " "), err)
	}
	return plan, out, nil
}

// runCommand runs a command line through the step context.
func runCommand(ctx context.Context, sc *pipeline.StepContext, argv []string) (*pipeline.Output, error) {
	return sc.Exec(ctx, exec.CommandContext(ctx, argv[0], argv[1:]...))
}

// provisionKind makes a provision step from a template: phase "plan"
// (run: the plan command; show: the show command line) or "apply" (run:
// the apply command; show).
func provisionKind(name string, p pipeline.Params) (pipeline.Step, error) {
	if err := p.Only("run", "phase", "show", "plan-file"); err != nil {
		return nil, err
	}
	var errs []error
	phase := require(p, &errs, "phase")
	show := strings.Fields(require(p, &errs, "show"))
	file := p.Get("plan-file", "")
	switch phase {
	case "plan":
		return ProvisionPlan{StepName: name, Plan: p.Run, Show: show, PlanFile: file}, errors.Join(errs...)
	case "apply":
		if len(p.Run) == 0 {
			errs = append(errs, &pipeline.ParamError{Param: "run", Err: fmt.Errorf("%w: the apply command", pipeline.ErrMissingParam)})
		}
		return ProvisionApply{StepName: name, Apply: p.Run, Show: show, PlanFile: file}, errors.Join(errs...)
	case "":
		return nil, errors.Join(errs...)
	}
	return nil, errors.Join(append(errs, &pipeline.ParamError{Param: "phase", Err: fmt.Errorf("%q is not plan or apply", phase)})...)
}
