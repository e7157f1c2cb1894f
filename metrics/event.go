package metrics

import (
	"slices"
	"time"
)

// Change is one change to a service's source: a commit, usually reviewed in
// a pull request. Which of its times starts the lead-time clock is a
// setting (see WithLeadTimeStart); a change without that time is left out
// of lead time, with the reason. Only the ID is required.
type Change struct {
	// ID identifies the change; required and unique.
	ID string `json:"id"`
	// Repository and Commit locate the change: a deployment that names a
	// previous deployment instead of its changes carries the repository's
	// changes committed between the two.
	Repository string `json:"repository,omitempty"`
	Commit     string `json:"commit,omitempty"`
	// AuthoredAt is when the change's first commit was authored.
	AuthoredAt time.Time `json:"authoredAt,omitzero"`
	// CommittedAt is when the change was committed.
	CommittedAt time.Time `json:"committedAt"`
	// PRCreatedAt and MergedAt are when its pull request was opened and
	// merged, zero for a change without one.
	PRCreatedAt time.Time `json:"prCreatedAt,omitzero"`
	MergedAt    time.Time `json:"mergedAt,omitzero"`
}

// Kind says why a deployment happened.
type Kind string

// The deployment kinds. An empty Kind means KindNormal.
const (
	// KindNormal is a planned deployment of new changes.
	KindNormal Kind = "normal"
	// KindRollback restores an earlier version: the deployment it replaces
	// failed.
	KindRollback Kind = "rollback"
	// KindHotfix fixes a deployment in a hurry: the deployment it follows
	// failed, and the hotfix is rework.
	KindHotfix Kind = "hotfix"
	// KindUnplanned is any other deployment made because of a production
	// incident: rework.
	KindUnplanned Kind = "unplanned"
)

// Outcome is how a deployment ended.
type Outcome string

// The deployment outcomes. An empty Outcome means OutcomeSucceeded.
const (
	// OutcomeSucceeded: the deployment runs in production.
	OutcomeSucceeded Outcome = "succeeded"
	// OutcomeFailed: the deployment never ran in production (it stopped
	// before switching traffic); it counts in no metric.
	OutcomeFailed Outcome = "failed"
	// OutcomeRolledBack: the deployment ran, then was rolled back by the
	// deployment tool itself: a failed deployment.
	OutcomeRolledBack Outcome = "rolled_back"
)

// Deployment is one deployment of a service to an environment.
type Deployment struct {
	// ID identifies the deployment; required and unique.
	ID string `json:"id"`
	// Service and Environment say what was deployed where; required.
	// Results are grouped by them.
	Service     string `json:"service"`
	Environment string `json:"environment"`
	// StartedAt and FinishedAt bound the deployment; FinishedAt, when the
	// changes started running, is required and is the time every metric
	// files the deployment under.
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt"`
	// Outcome is how the deployment ended.
	Outcome Outcome `json:"outcome,omitempty"`
	// Version is the deployed version or artifact digest; incidents that
	// name a version link to the deployment of it.
	Version string `json:"version,omitempty"`
	// Changes lists the IDs of the changes the deployment carries.
	Changes []string `json:"changes,omitempty"`
	// Previous is the ID of the deployment this one replaces. A rollback
	// or hotfix with Previous blames that deployment (else the one before
	// it in the same service and environment); a deployment without
	// Changes carries the changes of Repository committed after Previous
	// started.
	Previous string `json:"previous,omitempty"`
	// Repository is the repository the service is built from, for the
	// Previous diff.
	Repository string `json:"repository,omitempty"`
	// Kind says why the deployment happened.
	Kind Kind `json:"kind,omitempty"`
}

// Incident is a production incident.
type Incident struct {
	// ID identifies the incident; required and unique.
	ID string `json:"id"`
	// Service and Environment say where it happened; required.
	Service     string `json:"service"`
	Environment string `json:"environment"`
	// DetectedAt is when it was detected; required. ResolvedAt is when it
	// was resolved, zero while it is open.
	DetectedAt time.Time `json:"detectedAt"`
	ResolvedAt time.Time `json:"resolvedAt,omitzero"`
	// CausedBy is the ID of the deployment that caused it, when known.
	CausedBy string `json:"causedBy,omitempty"`
	// Version is the version or artifact the incident was seen on, when
	// known.
	Version string `json:"version,omitempty"`
}

// Run is one pipeline run, for Toil.
type Run struct {
	// ID identifies the run; required and unique.
	ID string `json:"id"`
	// Service and Environment group the run like deployments; required.
	Service     string `json:"service"`
	Environment string `json:"environment"`
	// StartedAt files the run under a window or bucket; required.
	StartedAt time.Time `json:"startedAt"`
	// Steps are the run's steps.
	Steps []Step `json:"steps"`
}

// Step is one step of a pipeline run.
type Step struct {
	// Name names the step.
	Name string `json:"name"`
	// Manual is true for a step a person performed (an approval click, a
	// hand-run script), false for an automated one.
	Manual bool `json:"manual"`
	// Duration is how long the step took; negative is invalid.
	Duration time.Duration `json:"duration"`
}

// Events is what the metrics are computed from. The slices may be in any
// order.
type Events struct {
	// Changes are the changes deployments carry, for lead time.
	Changes []Change
	// Deployments are the deployments, for every DORA metric.
	Deployments []Deployment
	// Incidents mark deployments failed and time their recovery.
	Incidents []Incident
	// Runs are pipeline runs, for Toil.
	Runs []Run
}

// sameChange reports whether two changes with one ID say the same thing.
func sameChange(a, b Change) bool {
	return a.ID == b.ID && a.Repository == b.Repository && a.Commit == b.Commit &&
		a.AuthoredAt.Equal(b.AuthoredAt) && a.CommittedAt.Equal(b.CommittedAt) &&
		a.PRCreatedAt.Equal(b.PRCreatedAt) && a.MergedAt.Equal(b.MergedAt)
}

func sameDeployment(a, b Deployment) bool {
	return a.ID == b.ID && a.Service == b.Service && a.Environment == b.Environment &&
		a.StartedAt.Equal(b.StartedAt) && a.FinishedAt.Equal(b.FinishedAt) &&
		a.Outcome == b.Outcome && a.Version == b.Version && slices.Equal(a.Changes, b.Changes) &&
		a.Previous == b.Previous && a.Repository == b.Repository && a.Kind == b.Kind
}

func sameIncident(a, b Incident) bool {
	return a.ID == b.ID && a.Service == b.Service && a.Environment == b.Environment &&
		a.DetectedAt.Equal(b.DetectedAt) && a.ResolvedAt.Equal(b.ResolvedAt) &&
		a.CausedBy == b.CausedBy && a.Version == b.Version
}

func sameRun(a, b Run) bool {
	return a.ID == b.ID && a.Service == b.Service && a.Environment == b.Environment &&
		a.StartedAt.Equal(b.StartedAt) && slices.Equal(a.Steps, b.Steps)
}
