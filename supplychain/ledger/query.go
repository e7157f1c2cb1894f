package ledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/paved-dev/paved/supplychain/attest"
)

// Deployment is a recorded deployment.
type Deployment struct {
	attest.Deployment
	// RecordID is the deployment statement's evidence record ID.
	RecordID string
	// Index is the record's position in the log, which orders deployments
	// that finished at the same time.
	Index uint64
}

// deployments returns the deployments in the store of service (any, if
// empty) in environment (any, if empty), in the order they finished, and
// the records it could not read.
func (l *Ledger) deployments(ctx context.Context, service, environment string) ([]Deployment, []error, error) {
	var (
		out      []Deployment
		problems []error
	)
	for rec, err := range l.records(ctx, attest.PredicateDeployment) {
		if err != nil {
			return nil, nil, err
		}
		st, err := statement(rec)
		var d attest.Deployment
		if err == nil {
			err = st.Decode(&d)
		}
		if err != nil {
			problems = append(problems, &RecordError{ID: rec.ID, Err: err})
			continue
		}
		if (service != "" && d.Service != service) || (environment != "" && d.Environment != environment) {
			continue
		}
		out = append(out, Deployment{Deployment: d, RecordID: rec.ID, Index: rec.Index})
	}
	slices.SortStableFunc(out, func(a, b Deployment) int {
		return cmp.Or(a.FinishedAt.Compare(b.FinishedAt), cmp.Compare(a.Index, b.Index))
	})
	return out, problems, nil
}

// undoneIDs returns the IDs of deployments that a record says failed or
// were rolled back: a pipeline may record a deployment as succeeded and
// later record the same deployment ID as rolled back.
func undoneIDs(deps []Deployment) map[string]bool {
	out := map[string]bool{}
	for _, d := range deps {
		if d.Outcome != "succeeded" {
			out[d.ID] = true
		}
	}
	return out
}

// Running is what runs of one service in an environment.
type Running struct {
	// Release is the running release.
	Release Release
	// Deployment is the successful deployment that put it there.
	Deployment Deployment
}

// Current returns what runs in the environment now: for each service
// deployed there, the release of its latest successful deployment (a
// failed deployment leaves the previous release running; a rollback is a
// deployment of the earlier release; a deployment ID also recorded as
// failed or rolled back does not count). Services are sorted by name.
// Deployment records it could not read are errors (ErrUnreadable): an
// answer that may be wrong is not given.
func (l *Ledger) Current(ctx context.Context, environment string) ([]Running, error) {
	if environment == "" {
		return nil, &FieldError{Field: "environment", Err: fmt.Errorf("required")}
	}
	deps, problems, err := l.deployments(ctx, "", environment)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, problems[0]
	}
	undone := undoneIDs(deps)
	latest := map[string]Deployment{}
	for _, d := range deps {
		if d.Outcome == "succeeded" && !undone[d.ID] {
			latest[d.Service] = d
		}
	}
	rels, relProblems, err := l.releases(ctx, "")
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Release, len(rels))
	for _, r := range slices.Backward(rels) {
		byID[r.ID()] = r // the first recorded wins
	}
	out := make([]Running, 0, len(latest))
	for _, d := range latest {
		rel, ok := byID[d.Service+"@"+d.Version]
		if !ok {
			// Perhaps in a release record that could not be read.
			return nil, errors.Join(append([]error{fmt.Errorf("%w: %s@%s, deployed by %s", ErrUnknownRelease, d.Service, d.Version, d.RecordID)}, relProblems...)...)
		}
		out = append(out, Running{Release: rel, Deployment: d})
	}
	slices.SortFunc(out, func(a, b Running) int { return cmp.Compare(a.Release.Service, b.Release.Service) })
	return out, nil
}

// History is a service's record: its releases and deployments.
type History struct {
	// Service is the service's name.
	Service string
	// Releases in the order they were released.
	Releases []Release
	// Deployments in every environment, in the order they finished.
	Deployments []Deployment
}

// History returns the service's releases and deployments. Records of the
// ledger's types it could not read are errors (ErrUnreadable).
func (l *Ledger) History(ctx context.Context, service string) (*History, error) {
	if service == "" {
		return nil, &FieldError{Field: "service", Err: fmt.Errorf("required")}
	}
	rels, problems, err := l.releases(ctx, service)
	if err != nil {
		return nil, err
	}
	deps, depProblems, err := l.deployments(ctx, service, "")
	if err != nil {
		return nil, err
	}
	if problems = append(problems, depProblems...); len(problems) > 0 {
		return nil, problems[0]
	}
	slices.SortStableFunc(rels, func(a, b Release) int { return a.ReleasedAt.Compare(b.ReleasedAt) })
	return &History{Service: service, Releases: rels, Deployments: deps}, nil
}

// RollbackTarget returns the release to roll the service back to in the
// environment: the release of the latest successful deployment before the
// current one (see Current) of another version that is good there, a
// version none of whose deployments in the environment failed or was
// rolled back. It returns ErrNothingDeployed when nothing runs, and
// ErrNoRollbackTarget when no earlier version is good.
func (l *Ledger) RollbackTarget(ctx context.Context, service, environment string) (Release, error) {
	switch {
	case service == "":
		return Release{}, &FieldError{Field: "service", Err: fmt.Errorf("required")}
	case environment == "":
		return Release{}, &FieldError{Field: "environment", Err: fmt.Errorf("required")}
	}
	deps, problems, err := l.deployments(ctx, service, environment)
	if err != nil {
		return Release{}, err
	}
	if len(problems) > 0 {
		return Release{}, problems[0]
	}
	undone := undoneIDs(deps)
	bad := map[string]bool{}
	current := -1
	for i, d := range deps {
		switch {
		case d.Outcome == "succeeded" && !undone[d.ID]:
			current = i
		case d.Outcome != "succeeded":
			bad[d.Version] = true
		}
	}
	if current < 0 {
		return Release{}, fmt.Errorf("%w: %s in %s", ErrNothingDeployed, service, environment)
	}
	for i := current - 1; i >= 0; i-- {
		d := deps[i]
		if d.Outcome == "succeeded" && !undone[d.ID] && d.Version != deps[current].Version && !bad[d.Version] {
			return l.Release(ctx, service, d.Version)
		}
	}
	return Release{}, fmt.Errorf("%w: %s in %s runs %s, and no earlier version was good there", ErrNoRollbackTarget, service, environment, deps[current].Version)
}
