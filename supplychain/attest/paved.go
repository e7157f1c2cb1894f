package attest

import (
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved/supplychain"
)

// paved's own predicate types, for records no standard predicate covers.
// Each has a JSON schema in the package (see Schema).
const (
	PredicateApproval       = "https://paved.dev/attestation/approval/v1"
	PredicateChange         = "https://paved.dev/attestation/change/v1"
	PredicatePolicyDecision = "https://paved.dev/attestation/policy-decision/v1"
	PredicateException      = "https://paved.dev/attestation/exception/v1"
	PredicateDeployment     = "https://paved.dev/attestation/deployment/v1"
	PredicateIncident       = "https://paved.dev/attestation/incident/v1"
	PredicatePrune          = "https://paved.dev/attestation/prune/v1"
	PredicatePipelineRun    = "https://paved.dev/attestation/pipeline-run/v1"
	PredicateIaCPlan        = "https://paved.dev/attestation/iac-plan/v1"
)

// Approval records that someone approved (or rejected) a change or a
// release of the statement's subjects.
type Approval struct {
	// Approver is the identity that decided, such as an e-mail address.
	Approver string `json:"approver"`
	// Decision is "approved" or "rejected".
	Decision string `json:"decision"`
	// ChangeID names the change or release decided on.
	ChangeID string `json:"changeId"`
	// Stage is the pipeline stage the approval gates, such as "release".
	Stage string `json:"stage,omitempty"`
	// Environment is the target environment, when the approval is for a
	// deployment.
	Environment string `json:"environment,omitempty"`
	// Comment says why.
	Comment string `json:"comment,omitempty"`
	// DecidedAt is when the decision was made.
	DecidedAt time.Time `json:"decidedAt"`
}

// PredicateType returns PredicateApproval.
func (Approval) PredicateType() string { return PredicateApproval }

// Validate checks the approver, decision, change ID and time.
func (a Approval) Validate() error {
	p := &problems{typ: PredicateApproval}
	p.required("approver", a.Approver)
	p.oneOf("decision", a.Decision, "approved", "rejected")
	p.required("changeId", a.ChangeID)
	p.stage("stage", a.Stage)
	p.time("decidedAt", a.DecidedAt)
	return p.err()
}

// Change is the plan record of a change: what it touches, who owns it,
// how risky it is.
type Change struct {
	// ID identifies the change, such as a pull request or ticket number.
	ID string `json:"id"`
	// Title says what the change does.
	Title string `json:"title"`
	// Author is the identity that wrote the change.
	Author string `json:"author"`
	// Owner is the team accountable for the change.
	Owner string `json:"owner"`
	// Repository and Commit locate the change's source.
	Repository string `json:"repository,omitempty"`
	Commit     string `json:"commit,omitempty"`
	// Services lists the services the change touches.
	Services []string `json:"services,omitempty"`
	// Risk is "low", "medium", "high" or "critical".
	Risk string `json:"risk"`
	// RiskScore and RiskReasons say how the risk was reached, when a
	// rule set scored it.
	RiskScore   int      `json:"riskScore,omitempty"`
	RiskReasons []string `json:"riskReasons,omitempty"`
	// Commits and Paths list the commits the change consists of and the
	// paths it touches; Owners the owners of those paths (CODEOWNERS).
	Commits []string `json:"commits,omitempty"`
	Paths   []string `json:"paths,omitempty"`
	Owners  []string `json:"owners,omitempty"`
	// RollbackPlan says how to undo the change.
	RollbackPlan string `json:"rollbackPlan,omitempty"`
	// URL links to the change's discussion.
	URL string `json:"url,omitempty"`
	// CreatedAt is when the change was planned.
	CreatedAt time.Time `json:"createdAt"`
}

// PredicateType returns PredicateChange.
func (Change) PredicateType() string { return PredicateChange }

// Validate checks the ID, title, author, owner, risk and time.
func (c Change) Validate() error {
	p := &problems{typ: PredicateChange}
	p.required("id", c.ID)
	p.required("title", c.Title)
	p.required("author", c.Author)
	p.required("owner", c.Owner)
	p.oneOf("risk", c.Risk, "low", "medium", "high", "critical")
	p.time("createdAt", c.CreatedAt)
	return p.err()
}

// Violation is one failed rule of a policy decision.
type Violation struct {
	// Control is the ID of the control the rule checks.
	Control string `json:"control"`
	// Message says what failed.
	Message string `json:"msg"`
	// Enforcement is "mandatory" or "advisory".
	Enforcement string `json:"enforcement"`
}

// PolicyDecision records a policy gate's decision, so that the decision
// itself is evidence.
type PolicyDecision struct {
	// Stage is the gated stage.
	Stage string `json:"stage"`
	// Query is the Rego query evaluated.
	Query string `json:"query"`
	// PolicyDigest and InputDigest ("sha256:<hex>") pin what was
	// evaluated.
	PolicyDigest string `json:"policyDigest"`
	InputDigest  string `json:"inputDigest"`
	// Result is "allow", "warn" or "deny".
	Result string `json:"result"`
	// Violations lists the failed rules, mandatory and advisory.
	Violations []Violation `json:"violations,omitempty"`
	// Exceptions lists the IDs of the exceptions that applied.
	Exceptions []string `json:"exceptions,omitempty"`
	// DecidedAt is when the policy was evaluated.
	DecidedAt time.Time `json:"decidedAt"`
}

// PredicateType returns PredicatePolicyDecision.
func (PolicyDecision) PredicateType() string { return PredicatePolicyDecision }

// Validate checks the stage, query, digests, result, violations and time.
func (d PolicyDecision) Validate() error {
	p := &problems{typ: PredicatePolicyDecision}
	p.stage("stage", d.Stage)
	p.required("stage", d.Stage)
	p.required("query", d.Query)
	p.digest("policyDigest", d.PolicyDigest)
	p.digest("inputDigest", d.InputDigest)
	p.oneOf("result", d.Result, "allow", "warn", "deny")
	for i, v := range d.Violations {
		f := fmt.Sprintf("violations[%d]", i)
		p.required(f+".control", v.Control)
		p.required(f+".msg", v.Message)
		p.oneOf(f+".enforcement", v.Enforcement, "mandatory", "advisory")
	}
	p.time("decidedAt", d.DecidedAt)
	return p.err()
}

// ExceptionScope limits an exception to services and environments; an
// empty list matches any.
type ExceptionScope struct {
	Services     []string `json:"services,omitempty"`
	Environments []string `json:"environments,omitempty"`
}

// Exception records a granted waiver of one control.
type Exception struct {
	// ID identifies the exception.
	ID string `json:"id"`
	// Control is the waived control's ID.
	Control string `json:"control"`
	// Scope limits where the waiver applies.
	Scope ExceptionScope `json:"scope"`
	// Reason says why, and what mitigates the risk.
	Reason string `json:"reason"`
	// RequestedBy and ApprovedBy are identities; they must differ.
	RequestedBy string `json:"requestedBy"`
	ApprovedBy  string `json:"approvedBy"`
	// Granted and Expires bound when the waiver applies.
	Granted time.Time `json:"granted"`
	Expires time.Time `json:"expires"`
}

// PredicateType returns PredicateException.
func (Exception) PredicateType() string { return PredicateException }

// Validate checks the fields, that the approver is not the requester and
// that the exception expires after it is granted.
func (e Exception) Validate() error {
	p := &problems{typ: PredicateException}
	p.required("id", e.ID)
	p.required("control", e.Control)
	p.required("reason", e.Reason)
	p.required("requestedBy", e.RequestedBy)
	p.required("approvedBy", e.ApprovedBy)
	if e.ApprovedBy != "" && e.ApprovedBy == e.RequestedBy {
		p.add("approvedBy", "approved by its requester %q", e.RequestedBy)
	}
	p.time("granted", e.Granted)
	p.time("expires", e.Expires)
	if !e.Granted.IsZero() && !e.Expires.After(e.Granted) {
		p.add("expires", "not after granted")
	}
	return p.err()
}

// Deployment records a deployment of the statement's subjects.
type Deployment struct {
	// ID identifies the deployment.
	ID string `json:"id"`
	// Service and Environment say what was deployed where.
	Service     string `json:"service"`
	Environment string `json:"environment"`
	// Version is the deployed version.
	Version string `json:"version"`
	// Deployer is the identity that deployed.
	Deployer string `json:"deployer"`
	// Kind is "normal", "rollback", "hotfix" or "unplanned".
	Kind string `json:"kind"`
	// Outcome is "succeeded", "failed" or "rolled_back".
	Outcome string `json:"outcome"`
	// Changes lists the IDs of the changes the deployment carries.
	Changes []string `json:"changes,omitempty"`
	// Previous is the ID of the deployment this one replaced.
	Previous string `json:"previous,omitempty"`
	// StartedAt and FinishedAt bound the deployment.
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
}

// PredicateType returns PredicateDeployment.
func (Deployment) PredicateType() string { return PredicateDeployment }

// Validate checks the fields and that the deployment finished after it
// started.
func (d Deployment) Validate() error {
	p := &problems{typ: PredicateDeployment}
	p.required("id", d.ID)
	p.required("service", d.Service)
	p.required("environment", d.Environment)
	p.required("version", d.Version)
	p.required("deployer", d.Deployer)
	p.oneOf("kind", d.Kind, "normal", "rollback", "hotfix", "unplanned")
	p.oneOf("outcome", d.Outcome, "succeeded", "failed", "rolled_back")
	p.time("startedAt", d.StartedAt)
	p.time("finishedAt", d.FinishedAt)
	if d.FinishedAt.Before(d.StartedAt) {
		p.add("finishedAt", "before startedAt")
	}
	return p.err()
}

// Incident records a production incident.
type Incident struct {
	// ID identifies the incident.
	ID string `json:"id"`
	// Service and Environment say where it happened.
	Service     string `json:"service"`
	Environment string `json:"environment"`
	// Severity is "sev1" (worst) to "sev4".
	Severity string `json:"severity"`
	// Owner is the team that owns the response.
	Owner string `json:"owner"`
	// Summary says what happened.
	Summary string `json:"summary,omitempty"`
	// CausedBy is the ID of the deployment that caused it, when known.
	CausedBy string `json:"causedBy,omitempty"`
	// DetectedAt is when it was detected; ResolvedAt, zero while open,
	// when it was resolved.
	DetectedAt time.Time  `json:"detectedAt"`
	ResolvedAt *time.Time `json:"resolvedAt,omitempty"`
}

// PredicateType returns PredicateIncident.
func (Incident) PredicateType() string { return PredicateIncident }

// Validate checks the fields and that a resolution follows detection.
func (in Incident) Validate() error {
	p := &problems{typ: PredicateIncident}
	p.required("id", in.ID)
	p.required("service", in.Service)
	p.required("environment", in.Environment)
	p.oneOf("severity", in.Severity, "sev1", "sev2", "sev3", "sev4")
	p.required("owner", in.Owner)
	p.time("detectedAt", in.DetectedAt)
	if in.ResolvedAt != nil && in.ResolvedAt.Before(in.DetectedAt) {
		p.add("resolvedAt", "before detectedAt")
	}
	return p.err()
}

// Prune records that an evidence store dropped the envelopes of records
// under its retention policy, keeping their leaf hashes. The statement's
// subjects are the pruned records: each named "record:<index>" with the
// digest of its envelope (the record's ID).
type Prune struct {
	// Origin names the log the records belong to, when it has a name
	// (its checkpoints' origin).
	Origin string `json:"origin,omitempty"`
	// Rules are the retention rules applied.
	Rules []RetentionRule `json:"rules"`
	// Holds are the legal holds that were in force: records carrying
	// one of these labels were kept whatever their age.
	Holds []LegalHold `json:"holds,omitempty"`
	// PrunedAt is when the prune ran; records recorded before PrunedAt
	// minus a rule's MaxAge were eligible.
	PrunedAt time.Time `json:"prunedAt"`
}

// RetentionRule keeps records of one predicate type (any type when
// PredicateType is empty) for MaxAge, a Go duration such as "8760h"; "0s"
// keeps them forever.
type RetentionRule struct {
	PredicateType string `json:"predicateType,omitempty"`
	MaxAge        string `json:"maxAge"`
}

// LegalHold keeps every record labelled Label (with Value, or any value
// when Value is empty), whatever the rules say.
type LegalHold struct {
	Label  string `json:"label"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// PredicateType returns PredicatePrune.
func (Prune) PredicateType() string { return PredicatePrune }

// Validate checks the fields: at least one rule, each with a
// non-negative duration, and each hold with a label.
func (pr Prune) Validate() error {
	p := &problems{typ: PredicatePrune}
	if len(pr.Rules) == 0 {
		p.add("rules", "required")
	}
	for i, r := range pr.Rules {
		f := fmt.Sprintf("rules[%d].maxAge", i)
		if d, err := time.ParseDuration(r.MaxAge); err != nil {
			p.add(f, "%v", err)
		} else if d < 0 {
			p.add(f, "negative")
		}
	}
	for i, h := range pr.Holds {
		p.required(fmt.Sprintf("holds[%d].label", i), h.Label)
	}
	p.time("prunedAt", pr.PrunedAt)
	return p.err()
}

// PipelineRun summarizes one run of a pipeline: what ran, how it ended,
// the gate decisions, durations, and which steps were manual (toil). Its
// subject is the artifact the run delivered.
type PipelineRun struct {
	// ID identifies the run; Pipeline and Service name what ran.
	ID       string `json:"id"`
	Pipeline string `json:"pipeline"`
	Service  string `json:"service,omitempty"`
	// Environment is the run's target environment, if any.
	Environment string `json:"environment,omitempty"`
	// Outcome is "succeeded", "failed", "blocked" (by a gate) or
	// "canceled"; Message says why a run did not succeed.
	Outcome string `json:"outcome"`
	Message string `json:"message,omitempty"`
	// BuilderID, RunURL and Commit come from the CI context.
	BuilderID string `json:"builderId"`
	RunURL    string `json:"runUrl,omitempty"`
	Commit    string `json:"commit,omitempty"`
	// StartedAt and FinishedAt bound the run.
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// Steps are the steps that ran, in the order they finished.
	Steps []RunStep `json:"steps"`
	// Gates are the gate decisions, one per gated stage.
	Gates []RunGate `json:"gates,omitempty"`
}

// RunStep is one step of a PipelineRun.
type RunStep struct {
	Stage string `json:"stage"`
	Name  string `json:"name"`
	// Outcome is "succeeded" or "failed".
	Outcome string `json:"outcome"`
	// Manual marks work a person did; Duration is how long the step took
	// (for a manual step, the person's time when the step reported it),
	// in milliseconds.
	Manual     bool  `json:"manual,omitempty"`
	DurationMs int64 `json:"durationMs"`
	// Record is the ID of the step's signed record in the evidence log.
	Record string `json:"record,omitempty"`
}

// RunGate is one gate decision of a PipelineRun.
type RunGate struct {
	Stage string `json:"stage"`
	// Decision is the policy decision's ID; Outcome is "allowed",
	// "blocked" or "bypassed".
	Decision string `json:"decision"`
	Outcome  string `json:"outcome"`
	// Record is the ID of the decision's record in the evidence log.
	Record string `json:"record,omitempty"`
}

// PredicateType returns PredicatePipelineRun.
func (PipelineRun) PredicateType() string { return PredicatePipelineRun }

// Validate checks the fields, the outcomes and the stages.
func (r PipelineRun) Validate() error {
	p := &problems{typ: PredicatePipelineRun}
	p.required("id", r.ID)
	p.required("pipeline", r.Pipeline)
	p.oneOf("outcome", r.Outcome, "succeeded", "failed", "blocked", "canceled")
	p.required("builderId", r.BuilderID)
	p.time("startedAt", r.StartedAt)
	p.time("finishedAt", r.FinishedAt)
	if r.FinishedAt.Before(r.StartedAt) {
		p.add("finishedAt", "before startedAt")
	}
	for i, s := range r.Steps {
		f := fmt.Sprintf("steps[%d]", i)
		p.oneOf(f+".stage", s.Stage, "plan", "build", "test", "release", "operate")
		p.required(f+".name", s.Name)
		p.oneOf(f+".outcome", s.Outcome, "succeeded", "failed")
		if s.DurationMs < 0 {
			p.add(f+".durationMs", "negative")
		}
	}
	for i, g := range r.Gates {
		f := fmt.Sprintf("gates[%d]", i)
		p.oneOf(f+".stage", g.Stage, "plan", "build", "test", "release", "operate")
		p.required(f+".decision", g.Decision)
		p.oneOf(f+".outcome", g.Outcome, "allowed", "blocked", "bypassed")
	}
	return p.err()
}

// IaCPlan records an infrastructure-as-code plan (Terraform or OpenTofu)
// as a normalized change set, or the drift a refresh found. Values the plan
// marks sensitive are already replaced by a redaction marker: the
// predicate never holds them. Its subject is the plan file.
type IaCPlan struct {
	// Kind is "plan" (changes to apply) or "drift" (changes made outside
	// the code, found by a refresh-only plan).
	Kind string `json:"kind"`
	// FormatVersion is the plan JSON's format_version, such as "1.2";
	// ToolVersion the terraform_version that wrote it.
	FormatVersion string `json:"formatVersion"`
	ToolVersion   string `json:"toolVersion,omitempty"`
	// Changes are the planned resource changes (Kind "plan"), or the
	// drifted resources (Kind "drift").
	Changes []IaCChange `json:"changes"`
}

// IaCChange is one resource change of an IaCPlan.
type IaCChange struct {
	// Address is the resource instance's address, such as
	// "module.db.aws_db_instance.main".
	Address string `json:"address"`
	// Mode is "managed" or "data"; Type and Name are the resource's.
	Mode string `json:"mode"`
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
	// Provider is the provider's source address, such as
	// "registry.terraform.io/hashicorp/aws".
	Provider string `json:"provider,omitempty"`
	// Module is the module that declares the resource; nil for the root
	// module.
	Module *IaCModule `json:"module,omitempty"`
	// Action is "create", "update", "delete", "replace", "read", "no-op"
	// or "forget"; Actions lists the plan's own actions, in order.
	Action  string   `json:"action"`
	Actions []string `json:"actions"`
	// Before and After are the resource's values before and after the
	// change, with sensitive values redacted and unknown ones marked.
	Before any `json:"before,omitempty"`
	After  any `json:"after,omitempty"`
	// Sensitive lists the paths of the redacted values, and Unknown those
	// known only after apply, such as "$.tags.secret" or "$.ingress[0]".
	Sensitive []string `json:"sensitive,omitempty"`
	Unknown   []string `json:"unknown,omitempty"`
}

// IaCModule is a module call: its address, source and version constraint.
type IaCModule struct {
	Address string `json:"address"`
	Source  string `json:"source"`
	Version string `json:"version,omitempty"`
}

// PredicateType returns PredicateIaCPlan.
func (IaCPlan) PredicateType() string { return PredicateIaCPlan }

// Validate checks the kind, the format version and each change's address,
// mode, type and action.
func (pl IaCPlan) Validate() error {
	p := &problems{typ: PredicateIaCPlan}
	p.oneOf("kind", pl.Kind, "plan", "drift")
	p.required("formatVersion", pl.FormatVersion)
	for i, c := range pl.Changes {
		f := fmt.Sprintf("changes[%d]", i)
		p.required(f+".address", c.Address)
		p.oneOf(f+".mode", c.Mode, "managed", "data")
		p.required(f+".type", c.Type)
		p.oneOf(f+".action", c.Action, "create", "update", "delete", "replace", "read", "no-op", "forget")
		if len(c.Actions) == 0 {
			p.add(f+".actions", "required")
		}
		if c.Module != nil {
			p.required(f+".module.address", c.Module.Address)
			p.required(f+".module.source", c.Module.Source)
		}
	}
	return p.err()
}

// stage records a problem if a non-empty value is not a pipeline stage.
func (p *problems) stage(field, value string) {
	if value != "" {
		p.oneOf(field, value, "plan", "build", "test", "release", "operate")
	}
}

// time records a problem if t is unset.
func (p *problems) time(field string, t time.Time) {
	if t.IsZero() {
		p.add(field, "required")
	}
}

// digest records a problem if value is not "sha256:<hex>" or
// "sha512:<hex>".
func (p *problems) digest(field, value string) {
	if _, err := supplychain.ParseDigest(value); err != nil {
		p.add(field, "%v", err)
	}
}

//go:embed schemas/*.json
var schemas embed.FS

// Schema returns the JSON schema (draft 2020-12) of one of paved's own
// predicate types, and false for any other type.
func Schema(predicateType string) ([]byte, bool) {
	name, ok := strings.CutPrefix(predicateType, "https://paved.dev/attestation/")
	if !ok {
		return nil, false
	}
	name, ok = strings.CutSuffix(name, "/v1")
	if !ok || strings.Contains(name, "/") {
		return nil, false
	}
	b, err := schemas.ReadFile("schemas/" + name + ".json")
	return b, err == nil
}
