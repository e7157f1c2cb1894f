package step

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
)

// ControlReleasedOnly is the control that only artifacts the ledger
// released ship (the policy library's supply-chain control); a waiver of
// it lets Deploy ship an unreleased digest.
const ControlReleasedOnly = "DSO-SUP-05"

// ErrUnreleased: a deployment of a digest the ledger never released, with
// no waiver that covers it.
var ErrUnreleased = errors.New("step: digest never released")

// Deploy deploys an artifact to an environment and records the deployment
// in the ledger. It first looks the artifact's digest up among the
// service's releases in the ledger, and refuses (ErrUnreleased, without
// running anything) a digest the ledger never released, unless one of
// Waivers (a valid, unexpired policy.Exception of ControlReleasedOnly
// naming the digest, in scope for the environment and the operate stage)
// covers it. It then runs Command, if any, and records the deployment
// with its outcome: a released digest through ledger.RecordDeployment; a
// waived, unreleased one, which the ledger cannot record, as the step's
// attest.Deployment evidence about the digest.
type Deploy struct {
	// StepName names the step; the default is "deploy".
	StepName string
	// Ledger says what was released, and records the deployment.
	Ledger *ledger.Ledger
	// Service is the deployed service.
	Service string
	// Environment is where; the default is the run's environment.
	Environment string
	// Artifact is the deployed file, relative to the pipeline's directory,
	// or Digest its digest ("sha256:<hex>"); the default is the run's
	// subject.
	Artifact, Digest string
	// Command deploys, such as ["kubectl", "apply", "-f", "deploy.yaml"];
	// its exit code is the outcome. Empty records a deployment done
	// elsewhere as succeeded.
	Command []string
	// ID identifies the deployment; the default is the run's ID.
	ID string
	// Deployer is who deploys; the default is the run's deployer (the
	// identity the gates checked: AsDeployer, else the CI context's
	// actor), else the CI context's builder ID.
	Deployer string
	// Kind is "normal" (the default), "rollback", "hotfix" or "unplanned".
	Kind string
	// Version names an unreleased, waived deployment; the default is
	// "unreleased".
	Version string
	// Waivers are the exceptions offered; MaxWaiver bounds how long one may
	// last (the default is policy.DefaultMaxExceptionDuration).
	Waivers   []policy.Exception
	MaxWaiver time.Duration
}

// Name returns the step's name.
func (s Deploy) Name() string { return cmp.Or(s.StepName, "deploy") }

// Run checks the digest, deploys and records the deployment.
func (s Deploy) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	env := cmp.Or(s.Environment, sc.Environment)
	switch {
	case s.Ledger == nil:
		return nil, errors.New("deploy: no ledger")
	case s.Service == "":
		return nil, errors.New("deploy: no service")
	case env == "":
		return nil, errors.New("deploy: no environment: set Environment, or run with pipeline.ToEnvironment")
	}
	subj, err := s.artifact(sc)
	if err != nil {
		return nil, err
	}
	digest := supplychain.Digest{Algorithm: "sha256", Hex: subj.Digest["sha256"]}
	hist, err := s.Ledger.History(ctx, s.Service)
	if err != nil {
		return nil, err
	}
	var rel *ledger.Release
	for i, r := range hist.Releases {
		if slices.ContainsFunc(r.Artifacts, func(a supplychain.Subject) bool { return a.Digest["sha256"] == digest.Hex }) {
			rel = &hist.Releases[i]
		}
	}
	res := &pipeline.Result{Materials: []supplychain.Subject{subj}}
	var waiver *policy.Exception
	if rel == nil {
		var why []string
		waiver, why = s.waiver(sc, env, digest)
		if waiver == nil {
			msg := fmt.Sprintf("%v: %s of %s was never released by the ledger; deploying it to %s needs a waiver of %s", ErrUnreleased, digest, s.Service, env, ControlReleasedOnly)
			if len(why) > 0 {
				msg += " (" + strings.Join(why, "; ") + ")"
			}
			res.Failed, res.Message = true, msg
			return res, nil
		}
	}
	dep := attest.Deployment{ID: cmp.Or(s.ID, sc.RunID), Service: s.Service, Environment: env, Deployer: cmp.Or(s.Deployer, sc.Deployer, sc.CI.BuilderID),
		Kind: cmp.Or(s.Kind, "normal"), Outcome: "succeeded", StartedAt: sc.Now().UTC()}
	for _, d := range hist.Deployments {
		if d.Environment == env && d.Outcome == "succeeded" {
			dep.Previous = d.ID
		}
	}
	if len(s.Command) > 0 {
		cmd := exec.CommandContext(ctx, s.Command[0], s.Command[1:]...)
		out, err := sc.Exec(ctx, cmd)
		if err != nil {
			return nil, err
		}
		res.Command, res.ExitCode, res.Stdout, res.Stderr = s.Command, out.ExitCode, out.Stdout, out.Stderr
		if out.ExitCode != 0 {
			dep.Outcome = "failed"
		}
	}
	dep.FinishedAt = sc.Now().UTC()
	if rel != nil {
		dep.Version = rel.Version
		// The deployment carries the change the release was built from,
		// for lead time.
		if _, change, err := capability.CommitChange(ctx, sc.Store, rel.Commit); err != nil {
			return nil, err
		} else if change != nil {
			dep.Changes = []string{change.ID}
		}
		rec, err := s.Ledger.RecordDeployment(ctx, dep)
		if err != nil {
			return nil, err
		}
		res.Message = fmt.Sprintf("deployed %s to %s: %s (ledger record %s)", rel.ID(), env, dep.Outcome, rec.ID)
	} else {
		dep.Version = cmp.Or(s.Version, "unreleased")
		res.Evidence = []pipeline.Evidence{{Predicate: dep, Subjects: []supplychain.Subject{subj}}}
		res.Message = fmt.Sprintf("deployed unreleased %s of %s to %s under waiver %s (%s, approved by %s): %s",
			digest, s.Service, env, waiver.ID, waiver.Justification, waiver.ApprovedBy, dep.Outcome)
	}
	if dep.Outcome != "succeeded" {
		res.Failed = true
		res.Message = fmt.Sprintf("deployment of %s to %s failed: %s exited %d", s.Service, env, s.Command[0], res.ExitCode)
	}
	return res, nil
}

// artifact returns the deployed artifact's subject, with a SHA-256 digest.
func (s Deploy) artifact(sc *pipeline.StepContext) (supplychain.Subject, error) {
	var subj supplychain.Subject
	switch {
	case s.Digest != "":
		d, err := supplychain.ParseDigest(s.Digest)
		if err != nil {
			return subj, fmt.Errorf("deploy: digest: %w", err)
		}
		subj = supplychain.Subject{Name: s.Service, Digest: supplychain.DigestSet{d.Algorithm: d.Hex}}
	default:
		subjects, err := stepArtifacts(sc, nonEmpty(s.Artifact))
		if err != nil {
			return subj, fmt.Errorf("deploy: %w", err)
		}
		subj = subjects[0]
	}
	if subj.Digest["sha256"] == "" {
		return subj, fmt.Errorf("deploy: %s has no sha256 digest", subj.Name)
	}
	return subj, nil
}

// nonEmpty returns s as a list of one, or nil when it is empty.
func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// waiver returns the first of the waivers that covers deploying digest to
// env now, or nil and why each one that names the digest does not.
func (s Deploy) waiver(sc *pipeline.StepContext, env string, digest supplychain.Digest) (*policy.Exception, []string) {
	var why []string
	for i := range s.Waivers {
		x := &s.Waivers[i]
		if !slices.Contains(x.Controls, ControlReleasedOnly) || !slices.Contains(x.Digests, digest.String()) {
			continue
		}
		var problems []string
		if err := x.Check(sc.Now(), cmp.Or(s.MaxWaiver, policy.DefaultMaxExceptionDuration)); err != nil {
			problems = append(problems, strings.ReplaceAll(err.Error(), "\n", ", "))
		}
		if len(x.Environments) > 0 && !slices.Contains(x.Environments, env) {
			problems = append(problems, "not for "+env)
		}
		if len(x.Stages) > 0 && !slices.Contains(x.Stages, string(pipeline.Operate)) {
			problems = append(problems, "not for the operate stage")
		}
		if len(problems) == 0 {
			return x, nil
		}
		why = append(why, "waiver "+x.ID+": "+strings.Join(problems, ", "))
	}
	return nil, why
}

// Incident records an incident of a service in an environment (opened,
// or resolved when ResolvedAt is set), linked to the deployment that
// caused it. The link is checked against the ledger: CausedBy must be a
// recorded deployment of the service, and defaults to the latest one in
// the environment. The attest.Incident evidence is about the artifacts
// of that deployment's release, so that an incident traces back through
// the release to its commits.
type Incident struct {
	// StepName names the step; the default is "incident".
	StepName string
	// Ledger links the incident to its deployment.
	Ledger *ledger.Ledger
	// ID, Service, Environment (default: the run's), Severity ("sev1" to
	// "sev4"), Owner and Summary describe the incident.
	ID, Service, Environment, Severity, Owner, Summary string
	// CausedBy is the ID of the deployment that caused it; the default is
	// the latest deployment of the service in the environment.
	CausedBy string
	// DetectedAt is when it was detected (the default is now); ResolvedAt
	// when it was resolved, nil while it is open.
	DetectedAt time.Time
	ResolvedAt *time.Time
}

// Name returns the step's name.
func (s Incident) Name() string { return cmp.Or(s.StepName, "incident") }

// Run links and records the incident.
func (s Incident) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	if s.Ledger == nil {
		return nil, errors.New("incident: no ledger")
	}
	in := attest.Incident{ID: s.ID, Service: s.Service, Environment: cmp.Or(s.Environment, sc.Environment), Severity: s.Severity,
		Owner: s.Owner, Summary: s.Summary, CausedBy: s.CausedBy, DetectedAt: s.DetectedAt.UTC(), ResolvedAt: s.ResolvedAt}
	if s.DetectedAt.IsZero() {
		in.DetectedAt = sc.Now().UTC()
	}
	if in.ResolvedAt != nil {
		t := in.ResolvedAt.UTC()
		in.ResolvedAt = &t
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	hist, err := s.Ledger.History(ctx, s.Service)
	if err != nil {
		return nil, err
	}
	var dep *ledger.Deployment
	for i, d := range hist.Deployments {
		if (in.CausedBy == "" && d.Environment == in.Environment) || (in.CausedBy != "" && d.ID == in.CausedBy) {
			dep = &hist.Deployments[i]
		}
	}
	if dep == nil {
		if in.CausedBy != "" {
			return nil, fmt.Errorf("incident %s: caused by %s, which is not a deployment of %s in the ledger", in.ID, in.CausedBy, in.Service)
		}
		return nil, fmt.Errorf("incident %s: no deployment of %s in %s in the ledger to link it to", in.ID, in.Service, in.Environment)
	}
	in.CausedBy = dep.ID
	var arts []supplychain.Subject
	for _, r := range hist.Releases {
		if r.Version == dep.Version {
			arts = r.Artifacts
		}
	}
	state := "opened"
	if in.ResolvedAt != nil {
		state = fmt.Sprintf("resolved after %v", in.ResolvedAt.Sub(in.DetectedAt).Round(time.Second))
	}
	return &pipeline.Result{
		Evidence: []pipeline.Evidence{{Predicate: in, Subjects: arts}},
		Message:  fmt.Sprintf("incident %s (%s) %s: caused by deployment %s of %s@%s", in.ID, in.Severity, state, dep.ID, in.Service, dep.Version),
	}, nil
}

// VerifyDeployed checks for drift: the digests observed running in an
// environment (from a map, or a JSON file the caller's tooling wrote, such
// as {"api": "sha256:..."}) against what the ledger says runs there
// (ledger.Current). A service running another digest than its current
// release's, a service the ledger has there but that was not observed, and
// one observed that the ledger never deployed there are drift, which fails
// the step.
//
// The check is recorded as an attest.DeploymentDrift statement about the
// observed digests, drift or not.
type VerifyDeployed struct {
	// StepName names the step; the default is "verify-deployed".
	StepName string
	// Ledger says what runs.
	Ledger *ledger.Ledger
	// Environment is where; the default is the run's environment.
	Environment string
	// Observed maps services to their observed digests ("sha256:<hex>").
	Observed map[string]string
	// ObservedFile is a JSON object of the same, relative to the
	// pipeline's directory; read when Observed is nil.
	ObservedFile string
}

// Name returns the step's name.
func (s VerifyDeployed) Name() string { return cmp.Or(s.StepName, "verify-deployed") }

// Run compares what runs with the ledger.
func (s VerifyDeployed) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	env := cmp.Or(s.Environment, sc.Environment)
	switch {
	case s.Ledger == nil:
		return nil, errors.New("verify deployed: no ledger")
	case env == "":
		return nil, errors.New("verify deployed: no environment: set Environment, or run with pipeline.ToEnvironment")
	}
	observed, res, err := s.observed(sc)
	if err != nil {
		return nil, err
	}
	running, err := s.Ledger.Current(ctx, env)
	if err != nil {
		return nil, err
	}
	check := attest.DeploymentDrift{Environment: env, Checked: []string{}, Drifts: []attest.Drift{}, CheckedAt: sc.Now().UTC()}
	known := map[string]bool{}
	for _, r := range running {
		svc := r.Release.Service
		known[svc] = true
		check.Checked = append(check.Checked, svc)
		var want []string
		for _, a := range r.Release.Artifacts {
			for _, d := range a.Digest.Digests() {
				want = append(want, d.String())
			}
		}
		got, ok := observed[svc]
		switch {
		case !ok:
			check.Drifts = append(check.Drifts, attest.Drift{Service: svc, ExpectedVersion: r.Release.Version, Expected: want, Reason: "not observed running"})
		case !slices.Contains(want, got):
			check.Drifts = append(check.Drifts, attest.Drift{Service: svc, ExpectedVersion: r.Release.Version, Expected: want, Observed: got,
				Reason: fmt.Sprintf("runs %s, not release %s", got, r.Release.ID())})
		}
	}
	for _, svc := range sortedKeys(observed) {
		if !known[svc] {
			check.Checked = append(check.Checked, svc)
			check.Drifts = append(check.Drifts, attest.Drift{Service: svc, Observed: observed[svc], Reason: "runs, but the ledger records no deployment of it in " + env})
		}
	}
	res.Evidence = []pipeline.Evidence{{Predicate: check, Subjects: observedSubjects(observed)}}
	if len(check.Drifts) == 0 {
		res.Message += fmt.Sprintf("no drift in %s: %d service(s) run what the ledger says", env, len(check.Checked))
		return res, nil
	}
	msgs := make([]string, len(check.Drifts))
	for i, d := range check.Drifts {
		msgs[i] = d.Service + " " + d.Reason
	}
	res.Failed = true
	res.Message += fmt.Sprintf("drift in %s: %s", env, strings.Join(msgs, "; "))
	return res, nil
}

// observed returns the observed digests, and a Result with the file as
// material when they were read from one.
func (s VerifyDeployed) observed(sc *pipeline.StepContext) (map[string]string, *pipeline.Result, error) {
	res := &pipeline.Result{}
	obs := s.Observed
	if obs == nil {
		if s.ObservedFile == "" {
			return nil, nil, errors.New("verify deployed: nothing observed: set Observed or ObservedFile")
		}
		path := filepath.Join(sc.Dir, s.ObservedFile)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("verify deployed: %w", err)
		}
		if err := json.Unmarshal(data, &obs); err != nil {
			return nil, nil, fmt.Errorf("verify deployed: %s: want a JSON object of service to digest: %w", s.ObservedFile, err)
		}
		m, err := supplychain.SubjectFromFile(s.ObservedFile, path)
		if err != nil {
			return nil, nil, err
		}
		res.Materials = []supplychain.Subject{m}
	}
	var errs []error
	for _, svc := range sortedKeys(obs) {
		if _, err := supplychain.ParseDigest(obs[svc]); err != nil {
			errs = append(errs, fmt.Errorf("verify deployed: observed %s: %w", svc, err))
		}
	}
	return obs, res, errors.Join(errs...)
}

// observedSubjects returns the observed digests as subjects named by
// service.
func observedSubjects(obs map[string]string) []supplychain.Subject {
	var out []supplychain.Subject
	for _, svc := range sortedKeys(obs) {
		if d, err := supplychain.ParseDigest(obs[svc]); err == nil {
			out = append(out, supplychain.Subject{Name: svc, Digest: supplychain.DigestSet{d.Algorithm: d.Hex}})
		}
	}
	return out
}

// sortedKeys returns a map's keys in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// operateKinds adds the Operate stage's kinds: deploy, incident,
// verify-deployed, and provision.
func operateKinds(env Env, k pipeline.Kinds) {
	k["deploy"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("run", "service", "environment", "artifact", "digest", "id", "deployer", "kind"); err != nil {
			return nil, err
		}
		s := Deploy{StepName: name, Ledger: env.Ledger, Command: p.Run, Environment: p.Get("environment", ""), Artifact: p.Get("artifact", ""),
			Digest: p.Get("digest", ""), ID: p.Get("id", ""), Deployer: p.Get("deployer", ""), Kind: p.Get("kind", "")}
		var errs []error
		s.Service = require(p, &errs, "service")
		if s.Digest != "" {
			if _, err := supplychain.ParseDigest(s.Digest); err != nil {
				errs = append(errs, &pipeline.ParamError{Param: "digest", Err: err})
			}
		}
		if s.Artifact != "" && s.Digest != "" {
			errs = append(errs, &pipeline.ParamError{Param: "digest", Err: errors.New("give artifact or digest, not both")})
		}
		errs = append(errs, oneOf(p, "kind", "normal", "rollback", "hotfix", "unplanned"))
		return s, errors.Join(append(errs, needLedger(env))...)
	}
	k["incident"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("id", "service", "environment", "severity", "owner", "summary", "caused-by", "detected-at", "resolved-at"); err != nil {
			return nil, err
		}
		s := Incident{StepName: name, Ledger: env.Ledger, Environment: p.Get("environment", ""), Summary: p.Get("summary", ""), CausedBy: p.Get("caused-by", "")}
		var errs []error
		s.ID, s.Service, s.Severity, s.Owner = require(p, &errs, "id"), require(p, &errs, "service"), require(p, &errs, "severity"), require(p, &errs, "owner")
		errs = append(errs, oneOf(p, "severity", "sev1", "sev2", "sev3", "sev4"))
		for _, f := range []struct {
			param string
			set   func(time.Time)
		}{{"detected-at", func(t time.Time) { s.DetectedAt = t }}, {"resolved-at", func(t time.Time) { s.ResolvedAt = &t }}} {
			if v := p.Get(f.param, ""); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					errs = append(errs, &pipeline.ParamError{Param: f.param, Err: fmt.Errorf("%q is not an RFC 3339 time", v)})
				}
				f.set(t)
			}
		}
		return s, errors.Join(append(errs, needLedger(env))...)
	}
	k["verify-deployed"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("environment", "observed"); err != nil {
			return nil, err
		}
		s := VerifyDeployed{StepName: name, Ledger: env.Ledger, Environment: p.Get("environment", "")}
		var errs []error
		s.ObservedFile = require(p, &errs, "observed")
		return s, errors.Join(append(errs, needLedger(env))...)
	}
	k["provision"] = provisionKind
}

// oneOf returns a *pipeline.ParamError when a parameter is set to none of
// the allowed values.
func oneOf(p pipeline.Params, name string, allowed ...string) error {
	if v := p.Get(name, ""); v != "" && !slices.Contains(allowed, v) {
		return &pipeline.ParamError{Param: name, Err: fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))}
	}
	return nil
}
