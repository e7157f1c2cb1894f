package capability

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
)

// ErrInvalidScope: an assessment scope that cannot be assessed, such as
// a subject without a digest or a time range that ends before it starts.
var ErrInvalidScope = errors.New("capability: invalid assessment scope")

// AssessmentScope says what an assessment covers: a service's artifacts
// (a release), in an environment, over a time range, for some or all of
// the map's controls.
type AssessmentScope struct {
	// Service names the service assessed; exceptions scoped to services
	// match it.
	Service string `json:"service,omitempty"`
	// Release names the release assessed, such as "1.4.2"; it is a label
	// for reports.
	Release string `json:"release,omitempty"`
	// Subjects are the artifacts whose evidence is assessed, such as a
	// ledger release's artifacts. An empty list assesses nothing but
	// manual controls: every control that needs evidence has none.
	Subjects []supplychain.Subject `json:"subjects"`
	// Environment is the target environment, such as "prod"; it reaches
	// the policy input and matches exceptions scoped to environments.
	Environment string `json:"environment,omitempty"`
	// Released lists the digests ("sha256:<hex>") that the ledger
	// records as released, for the controls that deploy only released
	// artifacts.
	Released []string `json:"released,omitempty"`
	// Since and Until bound the evidence considered by when it was
	// recorded: Since <= RecordedAt < Until; zero means unbounded.
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// Areas and Controls limit the assessment to these areas and control
	// IDs; empty means all.
	Areas    []AreaID `json:"areas,omitempty"`
	Controls []string `json:"controls,omitempty"`
}

func (s AssessmentScope) check() error {
	var errs []error
	for i, sub := range s.Subjects {
		if err := sub.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%w: subjects[%d]: %v", ErrInvalidScope, i, err))
		}
	}
	for i, d := range s.Released {
		if _, err := supplychain.ParseDigest(d); err != nil {
			errs = append(errs, fmt.Errorf("%w: released[%d]: %v", ErrInvalidScope, i, err))
		}
	}
	if !s.Since.IsZero() && !s.Until.IsZero() && !s.Until.After(s.Since) {
		errs = append(errs, fmt.Errorf("%w: until: not after since", ErrInvalidScope))
	}
	return errors.Join(errs...)
}

func (s AssessmentScope) includes(l Located) bool {
	return (len(s.Areas) == 0 || slices.Contains(s.Areas, l.Area.ID)) &&
		(len(s.Controls) == 0 || slices.Contains(s.Controls, l.Control.ID))
}

// Assessment is the state of a map's controls for one scope at one time:
// each control's status with the evidence records that prove it and the
// decisions that judged it, the scores per area and overall, the backlog of
// gaps with owners, and the exceptions about to expire.
//
// An Assessment is a plain value, safe to read from several goroutines.
type Assessment struct {
	// ID identifies the assessment: derived from the map, the scope, the
	// policy digest and the time.
	ID string `json:"id"`
	// Programme is the map's name.
	Programme string `json:"programme"`
	// Scope is what was assessed.
	Scope AssessmentScope `json:"scope"`
	// At is when the assessment was made, in UTC.
	At time.Time `json:"at"`
	// PolicyDigest identifies the policy set that judged the controls.
	PolicyDigest string `json:"policyDigest"`
	// Controls holds one result per control in scope, in map order.
	Controls []ControlAssessment `json:"controls"`
	// Areas scores each area with a control in scope, in map order.
	Areas []AreaScore `json:"areas"`
	// Overall scores every control in scope.
	Overall Score `json:"overall"`
	// Backlog lists the gaps, most urgent first, with their owners.
	Backlog Backlog `json:"backlog"`
	// Expiring lists the map's exceptions in force that expire within the
	// expiry window (see WithExpiryWindow), soonest first.
	Expiring []Exception `json:"expiring"`
	// Records lists every evidence record the assessment read, by index.
	Records []EvidenceRef `json:"records"`
	// Decisions holds the policy decisions made, one per subject and
	// stage at which some control applies.
	Decisions []*policy.Decision `json:"decisions"`
}

// ControlAssessment is one control's status in an assessment.
type ControlAssessment struct {
	// Control, Title, Area, Capability and Enforcement describe the
	// control.
	Control     string      `json:"control"`
	Title       string      `json:"title"`
	Area        AreaID      `json:"area"`
	Capability  string      `json:"capability"`
	Enforcement Enforcement `json:"enforcement"`
	// Owner is the effective owner's ID.
	Owner string `json:"owner"`
	// Status is the control's status.
	Status Status `json:"status"`
	// Message says why, for every status but pass.
	Message string `json:"message,omitempty"`
	// Evidence lists the records of the predicate types the control
	// needs, which prove it.
	Evidence []EvidenceRef `json:"evidence,omitempty"`
	// Decisions lists the policy decisions that judged the control.
	Decisions []DecisionRef `json:"decisions,omitempty"`
	// Exceptions lists the IDs of the exceptions that waived it.
	Exceptions []string `json:"exceptions,omitempty"`
	// Mappings maps framework IDs to the entries the control meets.
	Mappings map[string][]string `json:"mappings,omitempty"`
}

// EvidenceRef points at one evidence record: enough to fetch it, prove
// its inclusion and say who signed it.
type EvidenceRef struct {
	// ID is the record ID, "sha256:<hex>" of its envelope.
	ID string `json:"id"`
	// Index is its position in the log.
	Index uint64 `json:"index"`
	// PredicateType is its statement's predicate type.
	PredicateType string `json:"predicateType"`
	// Subjects are its statement's subjects.
	Subjects []supplychain.Subject `json:"subjects"`
	// Stage is the pipeline stage that recorded it.
	Stage string `json:"stage,omitempty"`
	// Signers names the identities whose signatures verified.
	Signers []string `json:"signers,omitempty"`
	// RecordedAt is when the store appended it.
	RecordedAt time.Time `json:"recordedAt"`
}

// DecisionRef names a policy decision and the control's status in it.
type DecisionRef struct {
	// ID is the decision's ID.
	ID string `json:"id"`
	// Stage is the stage decided on.
	Stage string `json:"stage"`
	// Subject is the subject decided on, by name.
	Subject string `json:"subject"`
	// Status is the control's status in the decision.
	Status policy.Status `json:"status"`
}

// Score counts a set of controls by status. Rate is the share of the
// controls that can pass (all but manual and not applicable) that pass,
// from 0 to 100; it is meaningful only when Judged is not zero.
type Score struct {
	// Total counts the controls.
	Total int `json:"total"`
	// Judged counts the controls judged from evidence: all but manual and
	// not applicable.
	Judged int `json:"judged"`
	// Counts counts the controls by status.
	Counts map[Status]int `json:"counts"`
	// Rate is 100 × passed / judged, or 0 when nothing was judged.
	Rate float64 `json:"rate"`
}

func (s *Score) add(st Status) {
	if s.Counts == nil {
		s.Counts = map[Status]int{}
	}
	s.Total++
	s.Counts[st]++
	if st != StatusManual && st != StatusNotApplicable {
		s.Judged++
	}
	if s.Judged > 0 {
		s.Rate = 100 * float64(s.Counts[StatusPass]) / float64(s.Judged)
	}
}

// AreaScore is one area's score.
type AreaScore struct {
	// Area identifies the area; Title names it.
	Area  AreaID `json:"area"`
	Title string `json:"title"`
	Score
}

// AssessOption configures Assess.
type AssessOption interface{ applyAssess(*assessConfig) error }

type assessConfig struct {
	clock  func() time.Time
	expiry time.Duration
}

type assessOptionFunc func(*assessConfig) error

func (f assessOptionFunc) applyAssess(c *assessConfig) error { return f(c) }

// DefaultExpiryWindow is how soon an exception must expire to be listed
// as expiring, unless WithExpiryWindow says otherwise: 14 days.
const DefaultExpiryWindow = 14 * 24 * time.Hour

// WithAssessClock sets the clock that dates the assessment, judges
// evidence age and exception validity. The default is time.Now. The
// policy engine has its own clock (policy.WithClock).
func WithAssessClock(now func() time.Time) AssessOption {
	return assessOptionFunc(func(c *assessConfig) error {
		if now == nil {
			return errors.New("WithAssessClock: nil clock")
		}
		c.clock = now
		return nil
	})
}

// WithExpiryWindow lists the exceptions that expire within d of the
// assessment; the default is DefaultExpiryWindow.
func WithExpiryWindow(d time.Duration) AssessOption {
	return assessOptionFunc(func(c *assessConfig) error {
		if d <= 0 {
			return fmt.Errorf("WithExpiryWindow: %v is not positive", d)
		}
		c.expiry = d
		return nil
	})
}

// Bindings returns the map's controls as the policy engine's bindings
// (policy.WithBindings): enforcement, stages, manual, the evidence
// predicate types with their maximum ages, and the framework mappings, so that the engine judges
// each control as the map says.
func (m *Map) Bindings() []policy.Binding {
	var out []policy.Binding
	for l := range m.Controls() {
		c := l.Control
		b := policy.Binding{Control: c.ID, Title: c.Title, Enforcement: policy.Enforcement(c.Enforcement), Manual: c.Manual}
		for _, s := range c.Stages {
			b.Stages = append(b.Stages, string(s))
		}
		for _, e := range c.Evidence {
			b.Evidence = append(b.Evidence, e.PredicateType)
			if e.MaxAge > 0 {
				if b.MaxAge == nil {
					b.MaxAge = map[string]time.Duration{}
				}
				b.MaxAge[e.PredicateType] = time.Duration(e.MaxAge)
			}
		}
		if len(c.Mappings) > 0 {
			b.Mappings = maps.Clone(c.Mappings)
		}
		out = append(out, b)
	}
	return out
}

// PolicyExceptions returns the map's exceptions that cover target as the
// policy engine's exceptions for the given subjects: each scoped to the
// subjects' digests. The engine checks their validity itself; expired
// ones become notes in its decisions.
func (m *Map) PolicyExceptions(target Target, subjects []supplychain.Subject) []policy.Exception {
	var digests []string
	for _, s := range subjects {
		for _, d := range s.Digest.Digests() {
			digests = append(digests, d.String())
		}
	}
	if len(digests) == 0 {
		return nil
	}
	var out []policy.Exception
	for _, e := range m.Exceptions {
		if !e.Scope.Covers(target) {
			continue
		}
		granted := e.Granted
		if granted.IsZero() {
			// Valid from any time before its expiry, within the policy's
			// maximum duration.
			granted = e.Expires.Add(-m.ExceptionPolicy.Max())
		}
		x := policy.Exception{ID: e.ID, Controls: []string{e.Control}, Digests: slices.Clone(digests), Justification: e.Reason,
			RequestedBy: e.RequestedBy, ApprovedBy: e.ApprovedBy, Granted: granted, Expires: e.Expires}
		if len(e.Scope.Environments) > 0 {
			x.Environments = slices.Clone(e.Scope.Environments)
		}
		out = append(out, x)
	}
	return out
}

// Assess assesses the map's controls in scope against the evidence store:
// for each subject it gathers the evidence recorded about it, evaluates
// the policy engine at each stage, and gives every control a status with
// the records that prove it and the decisions that judged it.
//
// The engine should be built with the map's Bindings (and its
// GuardrailData, for the environment controls), so that it judges each
// control as the map says. Statuses:
//   - manual: the control is checked by people;
//   - no_evidence: a subject lacks a record of a predicate type the
//     control needs (within its maximum age), unless an exception waives
//     the control (waived);
//   - pass, fail, warn, waived, error: the worst of the control's
//     results in the decisions, across subjects and stages;
//   - pass, when the control needs evidence that is there and no policy
//     checks it;
//   - error, when the control names a policy but no decision judged it;
//   - not_applicable, when nothing checks the control.
//
// A malformed scope fails with an error wrapping ErrInvalidScope; a store
// or engine failure fails the assessment.
func Assess(ctx context.Context, m *Map, store *evidence.Store, engine *policy.Engine, scope AssessmentScope, opts ...AssessOption) (*Assessment, error) {
	cfg := assessConfig{clock: time.Now, expiry: DefaultExpiryWindow}
	var errs []error
	for _, o := range opts {
		if err := o.applyAssess(&cfg); err != nil {
			errs = append(errs, fmt.Errorf("capability: assess: %w", err))
		}
	}
	switch {
	case m == nil:
		errs = append(errs, errors.New("capability: assess: nil map"))
	case store == nil:
		errs = append(errs, errors.New("capability: assess: nil store"))
	case engine == nil:
		errs = append(errs, errors.New("capability: assess: nil engine"))
	}
	errs = append(errs, scope.check())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	now := cfg.clock().UTC()
	target := Target{Service: scope.Service, Environment: scope.Environment}

	a := &Assessment{Programme: m.Name, Scope: scope, At: now, PolicyDigest: engine.PolicyDigest(),
		Controls: []ControlAssessment{}, Records: []EvidenceRef{}, Decisions: []*policy.Decision{}}
	gathered := make([]gatheredSubject, len(scope.Subjects))
	seen := map[string]bool{}
	for i, subj := range scope.Subjects {
		g, err := gather(ctx, store, subj, scope)
		if err != nil {
			return nil, fmt.Errorf("capability: assess %s: %w", subj.Name, err)
		}
		gathered[i] = g
		for _, r := range g.records {
			if !seen[r.ID] {
				seen[r.ID] = true
				a.Records = append(a.Records, ref(r))
			}
		}
	}
	slices.SortFunc(a.Records, func(x, y EvidenceRef) int { return cmp.Compare(x.Index, y.Index) })

	// results[control] holds the control's results across decisions.
	type result struct {
		ref DecisionRef
		cr  policy.ControlResult
	}
	results := map[string][]result{}
	exceptions := m.PolicyExceptions(target, scope.Subjects)
	for i, g := range gathered {
		for _, stage := range Stages() {
			if !m.anyControlAt(stage, scope) {
				continue
			}
			req := g.request(string(stage), scope, exceptions)
			d, err := engine.Evaluate(ctx, req)
			if err != nil {
				return nil, fmt.Errorf("capability: assess %s at %s: %w", scope.Subjects[i].Name, stage, err)
			}
			a.Decisions = append(a.Decisions, d)
			for _, cr := range d.Controls {
				if cr.Status == policy.StatusNotApplicable {
					continue
				}
				results[cr.Control] = append(results[cr.Control], result{
					ref: DecisionRef{ID: d.ID, Stage: d.Stage, Subject: d.Subject.Name, Status: cr.Status}, cr: cr})
			}
		}
	}

	for l := range m.Controls() {
		if !scope.includes(l) {
			continue
		}
		c := l.Control
		ca := ControlAssessment{Control: c.ID, Title: c.Title, Area: l.Area.ID, Capability: l.Capability.ID,
			Enforcement: c.Enforcement, Owner: l.OwnerID(), Mappings: c.Mappings}
		missing := []string{}
		for _, req := range c.Evidence {
			for i, g := range gathered {
				recs := g.ofType(req, now)
				if len(recs) == 0 {
					missing = append(missing, fmt.Sprintf("%s has no %s", scope.Subjects[i].Name, req.PredicateType))
				}
				for _, r := range recs {
					ca.Evidence = append(ca.Evidence, ref(r))
				}
			}
		}
		rs := results[c.ID]
		for _, r := range rs {
			ca.Decisions = append(ca.Decisions, r.ref)
		}
		switch {
		case c.Manual:
			ca.Status, ca.Message = StatusManual, "checked by people"
		case len(c.Evidence) > 0 && len(scope.Subjects) == 0:
			ca.Status, ca.Message = StatusNoEvidence, "no subject in scope to find evidence about"
		case len(missing) > 0:
			if x, ok := m.Waiver(c.ID, target, now); ok {
				ca.Status, ca.Exceptions = StatusWaived, []string{x.ID}
				ca.Message = fmt.Sprintf("evidence missing (%s), waived by %s until %s", strings.Join(missing, "; "), x.ID, x.Expires.Format(time.DateOnly))
			} else {
				ca.Status, ca.Message = StatusNoEvidence, strings.Join(missing, "; ")
			}
		case len(rs) > 0:
			worst := rs[0]
			for _, r := range rs[1:] {
				if statusRank[Status(r.cr.Status)] < statusRank[Status(worst.cr.Status)] {
					worst = r
				}
			}
			ca.Status = Status(worst.cr.Status)
			if ca.Status != StatusPass {
				ca.Message = resultMessage(worst.cr, worst.ref)
			}
			for _, r := range rs {
				ca.Exceptions = append(ca.Exceptions, r.cr.Exceptions...)
			}
			slices.Sort(ca.Exceptions)
			ca.Exceptions = slices.Compact(ca.Exceptions)
		case c.Policy != "":
			ca.Status, ca.Message = StatusError, fmt.Sprintf("no decision judged it: the engine has no rule for it in %s", c.Policy)
		case len(c.Evidence) > 0:
			ca.Status = StatusPass
		default:
			ca.Status, ca.Message = StatusNotApplicable, "no evidence, policy or person checks it"
		}
		a.Controls = append(a.Controls, ca)
	}

	a.score(m)
	a.Expiring = m.ExpiringExceptions(now, cfg.expiry)
	sum := sha256.New()
	fmt.Fprintf(sum, "paved assessment\n%s\n%s\n%s\n", m.Name, a.PolicyDigest, now.Format(time.RFC3339Nano))
	for _, r := range a.Records {
		fmt.Fprintf(sum, "%s\n", r.ID)
	}
	for _, c := range a.Controls {
		fmt.Fprintf(sum, "%s=%s\n", c.Control, c.Status)
	}
	a.ID = hex.EncodeToString(sum.Sum(nil)[:16])
	return a, nil
}

// statusRank orders statuses from worst to best, to merge a control's
// results.
var statusRank = map[Status]int{
	StatusFail: 0, StatusError: 1, StatusNoEvidence: 2, StatusWarn: 3,
	StatusWaived: 4, StatusPass: 5, StatusManual: 6, StatusNotApplicable: 7,
}

func resultMessage(cr policy.ControlResult, d DecisionRef) string {
	msg := cr.Message
	for _, v := range cr.Violations {
		if msg != "" {
			msg += "; "
		}
		msg += v.Msg
	}
	return fmt.Sprintf("%s at %s: %s", d.Subject, d.Stage, cmp.Or(msg, string(cr.Status)))
}

// anyControlAt reports whether a control in scope that policy checks
// applies at stage.
func (m *Map) anyControlAt(stage Stage, scope AssessmentScope) bool {
	for l := range m.Controls() {
		if scope.includes(l) && !l.Control.Manual && l.Control.AppliesTo(stage) {
			return true
		}
	}
	return false
}

// score fills the area and overall scores and the backlog.
func (a *Assessment) score(m *Map) {
	statuses := make(map[string]Status, len(a.Controls))
	byArea := map[AreaID]*AreaScore{}
	a.Areas = []AreaScore{}
	for _, area := range m.Areas {
		byArea[area.ID] = &AreaScore{Area: area.ID, Title: area.Title}
	}
	for _, c := range a.Controls {
		statuses[c.Control] = c.Status
		a.Overall.add(c.Status)
		byArea[c.Area].add(c.Status)
	}
	for _, area := range m.Areas {
		if s := byArea[area.ID]; s.Total > 0 {
			a.Areas = append(a.Areas, *s)
		}
	}
	backlog := m.Backlog(statuses)
	a.Backlog = Backlog{}
	for _, it := range backlog {
		if _, ok := statuses[it.Control]; ok {
			a.Backlog = append(a.Backlog, it)
		}
	}
}

// Control returns the assessment of one control, and false if the
// assessment has none.
func (a *Assessment) Control(id string) (ControlAssessment, bool) {
	for _, c := range a.Controls {
		if c.Control == id {
			return c, true
		}
	}
	return ControlAssessment{}, false
}

// Statuses returns each assessed control's status by ID.
func (a *Assessment) Statuses() map[string]Status {
	out := make(map[string]Status, len(a.Controls))
	for _, c := range a.Controls {
		out[c.Control] = c.Status
	}
	return out
}

func ref(r evidence.Record) EvidenceRef {
	e := EvidenceRef{ID: r.ID, Index: r.Index, PredicateType: r.PredicateType, Subjects: r.Subjects, Stage: r.Stage, RecordedAt: r.RecordedAt}
	for _, s := range r.Signers {
		e.Signers = append(e.Signers, signerName(s.Name, s.Subject, s.KeyID))
	}
	return e
}

func signerName(names ...string) string { return cmp.Or(names...) }
