package metrics

import (
	"encoding/json"
	"fmt"
	"time"
)

// Window is the half-open period [Start, End) a result covers.
type Window struct {
	// Start is the first instant in the window; End the first after it.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Result is the metrics of a set of events over a window: per service and
// environment, for the whole window and as a series of buckets, with the
// settings that define them and every record left out.
type Result struct {
	// Settings are the choices that define the numbers.
	Settings Settings `json:"settings"`
	// Window is the period of the groups' Metrics.
	Window Window `json:"window"`
	// Groups are the services and environments, sorted by service, then
	// environment.
	Groups []Group `json:"groups"`
	// Excluded lists the records that are invalid or conflict with another
	// record of the same ID: they count nowhere.
	Excluded []Exclusion `json:"excluded"`
}

// Group is the metrics of one service in one environment.
type Group struct {
	// Service and Environment name the group.
	Service     string `json:"service"`
	Environment string `json:"environment"`
	// Metrics cover the result's window.
	Metrics Metrics `json:"metrics"`
	// Series covers the window in buckets (see Settings.Bucket and
	// Settings.Rolling).
	Series []Point `json:"series"`
}

// Point is one bucket of a series. With rolling windows, Start is earlier
// than the bucket's own start.
type Point struct {
	// Start and End bound the period the point covers.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Metrics are the period's metrics.
	Metrics Metrics `json:"metrics"`
}

// Metrics are DORA's five metrics and Toil over one period. Deployments,
// and everything about them (their changes' lead times, their failure and
// recovery), are filed under the period in which they finished; runs under
// the period in which they started.
type Metrics struct {
	// DeploymentFrequency is deployments per day (N deployments over the
	// period's length in 24-hour days). A period without deployments has
	// frequency 0; it is never undefined.
	DeploymentFrequency Value `json:"deploymentFrequency"`
	// LeadTime is the median, in hours, from the clock start of each change
	// (Settings.LeadTimeStart) to the end of the first deployment that
	// carried it; N counts changes. Rollbacks carry no changes.
	LeadTime Value `json:"leadTime"`
	// ChangeFailRate is the share of deployments that needed immediate
	// intervention: rolled back (outcome, or a later rollback deployment),
	// followed by a hotfix, or linked to an incident; N counts deployments.
	ChangeFailRate Value `json:"changeFailRate"`
	// RecoveryTime is the median, in hours, of failed deployments' recovery:
	// from the first linked incident's detection to the last one's
	// resolution, or, without incidents, from the deployment's end to the
	// end of the rollback or hotfix that replaced it; N counts failed
	// deployments with a recovery.
	RecoveryTime Value `json:"recoveryTime"`
	// ReworkRate is the share of deployments that were unplanned: hotfixes
	// and unplanned deployments made because of a production incident; N
	// counts deployments.
	ReworkRate Value `json:"reworkRate"`
	// Toil is manual against automated pipeline work.
	Toil Toil `json:"toil"`
	// QuickCheck is the DORA Quick Check style score, 0 to 10, of
	// deployment frequency, lead time, change fail rate and (when defined)
	// recovery time; nil unless the first three are defined.
	QuickCheck *float64 `json:"quickCheck"`
}

// Value is one metric's value, with its sample size, its performance tier
// and what was left out. A Value with no data is undefined, never 0.
type Value struct {
	// Defined is false when there was no data.
	Defined bool
	// Value is the metric in its unit (see Metrics); 0 when undefined.
	Value float64
	// N is the sample size.
	N int
	// Tier is the DORA performance tier of Settings.TierYear ("elite",
	// "high", "medium", "low"), or empty when undefined or the year or
	// metric has no tiers.
	Tier string
	// Excluded lists the records of the period that this metric left out,
	// with the reason.
	Excluded []Exclusion
}

type valueJSON struct {
	Value    *float64    `json:"value"`
	N        int         `json:"n"`
	Tier     string      `json:"tier,omitempty"`
	Excluded []Exclusion `json:"excluded,omitempty"`
}

// MarshalJSON writes an undefined value as "value": null.
func (v Value) MarshalJSON() ([]byte, error) {
	j := valueJSON{N: v.N, Tier: v.Tier, Excluded: v.Excluded}
	if v.Defined {
		j.Value = &v.Value
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *Value) UnmarshalJSON(b []byte) error {
	var j valueJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*v = Value{N: j.N, Tier: j.Tier, Excluded: j.Excluded}
	if j.Value != nil {
		v.Defined, v.Value = true, *j.Value
	}
	return nil
}

// String formats the value as "1.5 (n=4)" or "undefined (n=0)".
func (v Value) String() string {
	if !v.Defined {
		return fmt.Sprintf("undefined (n=%d)", v.N)
	}
	return fmt.Sprintf("%.4g (n=%d)", v.Value, v.N)
}

// Toil is the manual and automated work of pipeline runs.
type Toil struct {
	// Runs is the number of runs.
	Runs int `json:"runs"`
	// ManualSteps and AutomatedSteps count steps.
	ManualSteps    int `json:"manualSteps"`
	AutomatedSteps int `json:"automatedSteps"`
	// ManualTime and AutomatedTime add up the steps' durations.
	ManualTime    time.Duration `json:"manualTime"`
	AutomatedTime time.Duration `json:"automatedTime"`
	// ManualShare is ManualTime over all step time; undefined when no
	// step took time.
	ManualShare Value `json:"manualShare"`
}

// Record names a kind of event.
type Record string

// The kinds of record an Exclusion names.
const (
	RecordChange     Record = "change"
	RecordDeployment Record = "deployment"
	RecordIncident   Record = "incident"
	RecordRun        Record = "run"
)

// Reason says why a record was left out.
type Reason string

// The reasons for leaving a record out.
const (
	// ReasonMissingField: a required field is empty (Detail names it).
	ReasonMissingField Reason = "missing field"
	// ReasonUnknownKind: a kind or outcome paved does not know.
	ReasonUnknownKind Reason = "unknown kind"
	// ReasonConflictingDuplicate: records with one ID say different
	// things, so none is trusted. Identical duplicates count once.
	ReasonConflictingDuplicate Reason = "conflicting duplicate ID"
	// ReasonEndsBeforeStart: a deployment finished before it started, or
	// an incident was resolved before it was detected.
	ReasonEndsBeforeStart Reason = "ends before it starts"
	// ReasonNegativeDuration: a step took negative time, or a lead time
	// was negative under NegativeDrop.
	ReasonNegativeDuration Reason = "negative duration"
	// ReasonNotInProduction: a deployment with outcome failed never ran.
	ReasonNotInProduction Reason = "deployment never ran in production"
	// ReasonUnknownChange: a deployment carries a change ID with no
	// (valid) change record.
	ReasonUnknownChange Reason = "unknown change"
	// ReasonNoClockStart: the change lacks the time that starts the
	// lead-time clock.
	ReasonNoClockStart Reason = "no clock start"
	// ReasonNoLinkedDeployment: an incident no link rule tied to a
	// deployment; it counts in no failure.
	ReasonNoLinkedDeployment Reason = "no linked deployment"
	// ReasonUnresolved: a failed deployment's incident is still open.
	ReasonUnresolved Reason = "incident unresolved"
	// ReasonNoRecovery: a deployment rolled back by its tool, with no
	// incident or later deployment to time its recovery.
	ReasonNoRecovery Reason = "no recovery recorded"
)

// Exclusion is one record left out of a metric, and why.
type Exclusion struct {
	// Record and ID name the record left out.
	Record Record `json:"record"`
	ID     string `json:"id"`
	// Reason says why.
	Reason Reason `json:"reason"`
	// Detail adds the field or the related record.
	Detail string `json:"detail,omitempty"`
}

// String formats the exclusion as "deployment d1: unknown kind: canary".
func (e Exclusion) String() string {
	s := fmt.Sprintf("%s %s: %s", e.Record, e.ID, e.Reason)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// DurationError reports a negative lead time under NegativeError.
type DurationError struct {
	// Change and Deployment name the pair; Duration is the negative lead
	// time.
	Change, Deployment string
	Duration           time.Duration
}

// Error formats the error as "metrics: negative lead time: change c1 in
// deployment d1: -1h0m0s".
func (e *DurationError) Error() string {
	return fmt.Sprintf("metrics: negative lead time: change %s in deployment %s: %v", e.Change, e.Deployment, e.Duration)
}
