package route

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
)

// GateEvents returns the events of a gate decision about a service: a
// critical Bypass when a blocked subject was let through, else, when it
// was blocked, a GateFailure per control that failed or errored (critical
// for a mandatory control). record is the decision's evidence record ID,
// if it was recorded. An allowed decision has no events.
func GateEvents(d *policy.Decision, service, record string) []Event {
	var records []string
	if record != "" {
		records = []string{record}
	}
	base := Event{Service: service, Environment: d.Environment, Records: records, At: d.Time}
	if d.Outcome == policy.Bypassed {
		e := base
		e.ID, e.Kind, e.Severity = "bypass:"+d.ID, Bypass, Critical
		e.Summary = fmt.Sprintf("%s gate bypassed for %s", d.Stage, d.Subject.Name)
		if d.Bypass != nil {
			e.Summary += fmt.Sprintf(" by %s: %s", d.Bypass.By, d.Bypass.Reason)
		}
		return []Event{e}
	}
	if d.Outcome != policy.Blocked {
		return nil
	}
	var out []Event
	for _, c := range d.Controls {
		if c.Status != policy.StatusFail && c.Status != policy.StatusError {
			continue
		}
		e := base
		e.ID, e.Kind, e.Control = "gate:"+d.ID+":"+c.Control, GateFailure, c.Control
		e.Severity = Warning
		if c.Enforcement == policy.Mandatory {
			e.Severity = Critical
		}
		why := c.Message
		for _, v := range c.Violations {
			if v.WaivedBy == "" {
				why = v.Msg
				break
			}
		}
		e.Summary = fmt.Sprintf("%s gate: %s %s for %s: %s", d.Stage, c.Control, c.Status, d.Subject.Name, why)
		out = append(out, e)
	}
	return out
}

// ExpiringEvents returns a warning per exception of the map in force at
// at that expires within d of it, about its control and, when it is
// limited to them, its first service and environment.
func ExpiringEvents(m *capability.Map, at time.Time, d time.Duration) []Event {
	var out []Event
	for _, x := range m.ExpiringExceptions(at, d) {
		e := Event{ID: "exception:" + x.ID + ":" + x.Expires.UTC().Format(time.DateOnly), Kind: ExceptionExpiring, Severity: Warning,
			Control: x.Control, At: at,
			Summary: fmt.Sprintf("exception %s waiving %s expires %s (in %s): %s", x.ID, x.Control, x.Expires.UTC().Format(time.DateOnly),
				x.Expires.Sub(at).Round(time.Hour), x.Reason)}
		if len(x.Scope.Services) > 0 {
			e.Service = x.Scope.Services[0]
		}
		if len(x.Scope.Environments) > 0 {
			e.Environment = x.Scope.Environments[0]
		}
		out = append(out, e)
	}
	return out
}

// DeploymentDriftEvents returns a critical Drift per service of a ledger
// drift check that runs something other than what the ledger says.
func DeploymentDriftEvents(check attest.DeploymentDrift, record string) []Event {
	var out []Event
	for _, x := range check.Drifts {
		out = append(out, Event{ID: "drift:" + check.Environment + ":" + x.Service + ":" + cmp.Or(x.Observed, "missing") + ":" + strings.Join(x.Expected, ","),
			Kind: Drift, Severity: Critical, Service: x.Service, Environment: check.Environment, Records: []string{record}, At: check.CheckedAt,
			Summary: fmt.Sprintf("%s in %s: %s", x.Service, check.Environment, x.Reason)})
	}
	return out
}

// ConfigDriftEvents returns a warning Drift for a configuration drift
// check that found differences, about service in the check's environment.
func ConfigDriftEvents(check attest.ConfigDrift, service, record string) []Event {
	if len(check.Differences) == 0 {
		return nil
	}
	paths := make([]string, 0, 3)
	for i, d := range check.Differences {
		if i == 3 {
			paths = append(paths, "...")
			break
		}
		paths = append(paths, d.Kind+" "+d.Path)
	}
	return []Event{{ID: "config-drift:" + check.Name + ":" + check.Desired + ":" + check.Actual, Kind: Drift, Severity: Warning,
		Service: service, Environment: check.Environment, Records: []string{record}, At: check.CheckedAt,
		Summary: fmt.Sprintf("%s differs from its desired state in %d place(s): %s", check.Name, len(check.Differences), strings.Join(paths, ", "))}}
}

// VulnerabilityEvents returns, for a vulnerability (its ID and severity)
// in a package, an event per release that ships an affected version and
// was deployed, per environment it was deployed to: the answer of
// ledger.Containing for the affected range. Releases never deployed are
// not shipped and have no event.
func VulnerabilityEvents(id string, severity Severity, rep *ledger.ComponentReport, at time.Time) []Event {
	var out []Event
	for _, s := range rep.Shipped {
		for _, env := range s.Environments {
			out = append(out, Event{ID: "vuln:" + id + ":" + s.Release.ID() + ":" + env, Kind: Vulnerability, Severity: severity,
				Service: s.Release.Service, Environment: env, Records: []string{s.SBOM}, At: at,
				Summary: fmt.Sprintf("%s affects %s %s (in %s), shipped in %s", id, s.Component.Name, s.Component.Version, s.Release.ID(), env)})
		}
	}
	return out
}
