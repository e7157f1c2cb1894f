package policy

import (
	"encoding/json"
	"time"

	"github.com/paved-dev/paved/supplychain"
)

// Status is a control's result in one decision.
type Status string

// The statuses. Missing evidence is StatusError, never StatusPass.
const (
	// StatusPass: the control's policy found nothing wrong.
	StatusPass Status = "pass"
	// StatusFail: a mandatory control's policy denied.
	StatusFail Status = "fail"
	// StatusWaived: every violation (and any missing evidence) is covered
	// by a valid exception.
	StatusWaived Status = "waived"
	// StatusWarn: an advisory control's deny, or any control's warn.
	StatusWarn Status = "warn"
	// StatusManual: the control is checked by people, not policy.
	StatusManual Status = "manual"
	// StatusNotApplicable: the control does not apply at the stage.
	StatusNotApplicable Status = "not_applicable"
	// StatusError: the control's evidence is missing, no policy checks it,
	// or its policy failed to evaluate.
	StatusError Status = "error"
)

// Outcome is what the gate does with a decision.
type Outcome string

// The outcomes.
const (
	// Allowed: no mandatory control failed or errored.
	Allowed Outcome = "allowed"
	// Blocked: a mandatory control failed or errored.
	Blocked Outcome = "blocked"
	// Bypassed: blocked, but let through by the Request's Bypass.
	Bypassed Outcome = "bypassed"
)

// Decision is the audit-grade record of one evaluation: what was decided
// about which subject, by which policy set over which input, control by
// control. Encoding a Decision with encoding/json is deterministic: the
// same request, policy set and time give the same bytes.
//
// A Decision is a plain value; it is not safe to modify concurrently.
type Decision struct {
	// ID identifies the decision; it is derived from the policy digest,
	// the input digest and the time.
	ID string `json:"id"`
	// Time is when the evaluation happened (the engine's clock), in UTC.
	Time time.Time `json:"time"`
	// Stage and Environment are the request's.
	Stage       string `json:"stage"`
	Environment string `json:"environment,omitempty"`
	// Subject is the artifact decided on.
	Subject supplychain.Subject `json:"subject"`
	// PolicyDigest and PolicyRevision identify the policy set.
	PolicyDigest   string `json:"policyDigest"`
	PolicyRevision string `json:"policyRevision,omitempty"`
	// Query lists the Rego queries evaluated, one per package ("none"
	// when no package had a control applicable at the stage).
	Query string `json:"query"`
	// Verifier identifies the engine that decided (WithVerifier).
	Verifier string `json:"verifier"`
	// InputDigest is the digest of the input document's canonical JSON
	// (see Engine.Input).
	InputDigest string `json:"inputDigest"`
	// Evidence lists the digests of the evidence evaluated, sorted.
	Evidence []string `json:"evidence"`
	// Controls holds one result per control, sorted by control ID.
	Controls []ControlResult `json:"controls"`
	// Exceptions lists the exceptions that applied, sorted by ID.
	Exceptions []AppliedException `json:"exceptions,omitempty"`
	// Notes lists the exceptions that matched but did not apply, and why.
	Notes []Note `json:"notes,omitempty"`
	// Outcome is what the gate does: allowed, blocked or bypassed.
	Outcome Outcome `json:"outcome"`
	// Bypass says who let a blocked decision through and why.
	Bypass *Bypass `json:"bypass,omitempty"`
	// Explanation holds the trace and print output, when asked for with
	// Explain.
	Explanation *Explanation `json:"explanation,omitempty"`
}

// ControlResult is one control's status in a decision.
type ControlResult struct {
	// Control is the control's ID.
	Control string `json:"control"`
	// Title names the control, from its binding or annotation.
	Title string `json:"title,omitempty"`
	// Status is the control's status.
	Status Status `json:"status"`
	// Enforcement is how the control is enforced.
	Enforcement Enforcement `json:"enforcement"`
	// Message says why for a status that no violation explains (error,
	// not_applicable, manual).
	Message string `json:"message,omitempty"`
	// Violations are what the policies reported for the control, sorted.
	Violations []Violation `json:"violations,omitempty"`
	// Exceptions lists the IDs of the exceptions that waived something.
	Exceptions []string `json:"exceptions,omitempty"`
	// Mappings maps framework IDs to the requirements the control meets.
	Mappings map[string][]string `json:"mappings,omitempty"`
}

// Violation is one element of a deny or warn set.
type Violation struct {
	// Msg says what is wrong.
	Msg string `json:"msg"`
	// Rule is "deny" or "warn": the set the policy put it in.
	Rule string `json:"rule"`
	// Finding identifies the finding, such as a CVE ID, when the policy
	// gives one; exceptions may waive single findings.
	Finding string `json:"finding,omitempty"`
	// Package is the Rego package that reported it, such as
	// "data.paved.build".
	Package string `json:"package"`
	// WaivedBy is the ID of the exception that waived it.
	WaivedBy string `json:"waivedBy,omitempty"`
}

// AppliedException is an exception that waived something in a decision.
type AppliedException struct {
	// ID identifies the exception.
	ID string `json:"id"`
	// Controls lists the controls it waived something of, sorted.
	Controls []string `json:"controls"`
	// Justification, RequestedBy and ApprovedBy are the exception's.
	Justification string `json:"justification"`
	RequestedBy   string `json:"requestedBy"`
	ApprovedBy    string `json:"approvedBy"`
	// Expires is the exception's expiry.
	Expires time.Time `json:"expires"`
}

// Note records an exception that covered a control but did not apply.
type Note struct {
	// Exception is the exception's ID.
	Exception string `json:"exception"`
	// Control is the control it would have waived.
	Control string `json:"control"`
	// Message says why it did not apply, such as "expired at ...".
	Message string `json:"message"`
}

// Explanation is the output of an evaluation in explain mode.
type Explanation struct {
	// Trace is OPA's pretty-printed evaluation trace, per package.
	Trace string `json:"trace"`
	// Print lists the lines the policies printed, with their locations.
	Print []string `json:"print,omitempty"`
}

// Blocked reports whether the gate stops the subject: the outcome is
// Blocked.
func (d *Decision) Blocked() bool { return d.Outcome == Blocked }

// Control returns the result of one control, and false if the decision
// has none.
func (d *Decision) Control(id string) (ControlResult, bool) {
	for _, c := range d.Controls {
		if c.Control == id {
			return c, true
		}
	}
	return ControlResult{}, false
}

// JSON returns the decision's JSON encoding, indented, for reports. The
// same decision always gives the same bytes.
func (d *Decision) JSON() ([]byte, error) { return json.MarshalIndent(d, "", "  ") }
