package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
)

// gate evaluates a stage's policy over the subject's evidence, records the
// decision, and returns an error wrapping ErrBlocked if it blocks.
func (x *execution) gate(ctx context.Context, stage Stage) error {
	engine := x.runner.cfg.engine
	if engine == nil {
		return nil
	}
	subj, ok := x.subject()
	if !ok {
		return fmt.Errorf("%w: %s: the run has no subject to decide on (give ForSubject, or a step that declares a product)", ErrGate, stage)
	}
	req, err := x.request(ctx, stage, subj)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrGate, stage, err)
	}
	d, err := engine.Evaluate(ctx, req)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrGate, stage, err)
	}
	rec, err := x.append(ctx, stage, map[string]string{"paved.gate": string(stage)}, d.Predicate(), []supplychain.Subject{subj})
	if err != nil {
		return fmt.Errorf("%w: %s: recording the decision: %w", ErrGate, stage, err)
	}
	x.mu.Lock()
	x.run.Gates = append(x.run.Gates, GateRun{Stage: stage, Decision: d, Record: rec})
	x.mu.Unlock()
	x.logger.InfoContext(ctx, "pipeline: gate decided", "stage", stage, "outcome", d.Outcome, "decision", d.ID)
	if d.Blocked() {
		var failed []string // the mandatory controls that blocked: advisory ones only warn
		for _, c := range d.Controls {
			if c.Enforcement == policy.Mandatory && (c.Status == policy.StatusFail || c.Status == policy.StatusError) {
				failed = append(failed, c.Control)
			}
		}
		return fmt.Errorf("%w: %s gate: %s", ErrBlocked, stage, strings.Join(failed, ", "))
	}
	return nil
}

// request assembles the gate's request: every record about the subject in
// the store, and every record of this run.
func (x *execution) request(ctx context.Context, stage Stage, subj supplychain.Subject) (policy.Request, error) {
	req := policy.Request{Stage: string(stage), Environment: x.rc.environment, Deployer: x.rc.deployer, Subject: subj,
		Exceptions: x.runner.cfg.exceptions, Bypass: x.rc.bypass}
	if f := x.runner.cfg.released; f != nil {
		released, err := f(ctx)
		if err != nil {
			return req, fmt.Errorf("released digests: %w", err)
		}
		req.Released = released
	}
	recs, err := capability.RecordsAbout(ctx, x.runner.store, subj, time.Time{}, time.Time{})
	if err != nil {
		return req, err
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.ID] = true
	}
	x.mu.Lock()
	produced := append([]evidence.Record(nil), x.produced...)
	x.mu.Unlock()
	for _, p := range produced {
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		r, err := x.runner.store.Get(ctx, p.ID)
		if err != nil {
			return req, err
		}
		recs = append(recs, r)
	}
	change := x.change()
	if change == nil {
		rec, c, err := capability.ReleaseChange(ctx, x.runner.store, recs)
		if err != nil {
			return req, err
		}
		if c != nil && !seen[rec.ID] {
			seen[rec.ID] = true
			recs = append(recs, rec)
		}
		change = c
	}
	// Approvals of the change are about the change, not the artifact.
	if change != nil {
		approvals, err := capability.ChangeApprovals(ctx, x.runner.store, change.ID)
		if err != nil {
			return req, err
		}
		for _, r := range approvals {
			if !seen[r.ID] {
				seen[r.ID] = true
				recs = append(recs, r)
			}
		}
	}
	ev, err := capability.DecodeSubjectEvidence(subj, recs)
	if err != nil {
		return req, err
	}
	req.Evidence, req.Change, req.Approvals, req.Signatures = ev.Evidence, ev.Change, ev.Approvals, ev.Signatures
	return req, nil
}
