package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/print"
)

// Evaluate decides req: it builds the input document once, evaluates every
// entry point (package under data.paved with deny or warn rules) that has a
// control applicable at req.Stage, applies bindings and exceptions, and
// returns the Decision. A malformed request fails with *RequestError
// errors, an input over the cap with ErrInputTooLarge, and cancellation of
// ctx with an error wrapping ErrEvaluation and ctx.Err(). A policy that
// fails to evaluate (a builtin error, a conflict) does not fail Evaluate:
// its controls' status is StatusError.
func (e *Engine) Evaluate(ctx context.Context, req Request, opts ...EvalOption) (*Decision, error) {
	var ec evalConfig
	for _, o := range opts {
		o.applyEval(&ec)
	}
	set := e.set.Load()
	if err := req.validate(); err != nil {
		return nil, err
	}
	now := e.cfg.clock().UTC()
	input, err := e.inputValue(&req, now)
	if err != nil {
		return nil, err
	}
	inputDigest, err := e.inputDigest(input)
	if err != nil {
		return nil, err
	}

	ev := &evaluation{engine: e, set: set, req: &req, results: map[string]*controlState{}}
	var explain *explainer
	if ec.explain {
		explain = &explainer{}
	}
	var queries []string
	for _, en := range set.entries {
		if en.complete && !slices.ContainsFunc(en.controls, ev.applicable) {
			continue
		}
		queries = append(queries, en.query)
		evalOpts := []rego.EvalOption{rego.EvalParsedInput(input), rego.EvalTime(now)}
		var tracer *topdown.BufferTracer
		if explain != nil {
			tracer = topdown.NewBufferTracer()
			evalOpts = append(evalOpts, rego.EvalQueryTracer(tracer), rego.EvalPrintHook(explain))
		}
		rs, err := en.prepared.Eval(ctx, evalOpts...)
		if explain != nil {
			explain.trace(en.path, tracer)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%w: %w", ErrEvaluation, ctxErr)
		}
		if err != nil {
			ev.packageError(en, err)
			continue
		}
		ev.collect(en, rs)
	}

	if len(queries) == 0 {
		queries = []string{"none"}
	}
	subject := req.Subject
	subject.Digest = maps.Clone(subject.Digest)
	d := &Decision{
		Time:           now,
		Stage:          req.Stage,
		Environment:    req.Environment,
		Subject:        subject,
		PolicyDigest:   set.digest,
		PolicyRevision: set.revision,
		InputDigest:    inputDigest,
		Query:          strings.Join(queries, "; "),
		Verifier:       e.cfg.verifier,
		Evidence:       make([]string, 0, len(req.Evidence)),
	}
	for _, x := range req.Evidence {
		d.Evidence = append(d.Evidence, x.Digest)
	}
	slices.Sort(d.Evidence)
	d.Evidence = slices.Compact(d.Evidence)
	ev.finish(d, now)
	if explain != nil {
		d.Explanation = explain.result()
	}
	id := sha256.Sum256([]byte("paved policy decision\n" + d.PolicyDigest + "\n" + d.InputDigest + "\n" + timeString(now)))
	d.ID = hex.EncodeToString(id[:16])
	return d, nil
}

// evaluation is the state of one Evaluate call.
type evaluation struct {
	engine  *Engine
	set     *policySet
	req     *Request
	results map[string]*controlState
}

// controlState gathers what evaluation found about one control.
type controlState struct {
	violations []Violation
	evalErr    string // the control's package failed to evaluate
}

func (ev *evaluation) state(id string) *controlState {
	s := ev.results[id]
	if s == nil {
		s = &controlState{}
		ev.results[id] = s
	}
	return s
}

// facts are a control's binding, or its annotation's defaults.
type facts struct {
	title       string
	enforcement Enforcement
	stages      []string
	evidence    []string
	maxAge      map[string]time.Duration
	manual      bool
	mappings    map[string][]string
}

func (ev *evaluation) facts(id string) facts {
	a := ev.set.controls[id]
	f := facts{enforcement: Mandatory}
	if a != nil {
		f.title, f.stages, f.evidence = a.Title, a.Stages, a.Evidence
	}
	if b, ok := ev.engine.cfg.bindings[id]; ok {
		f.enforcement, f.stages, f.manual, f.mappings, f.maxAge = b.Enforcement, b.Stages, b.Manual, b.Mappings, b.MaxAge
		if b.Title != "" {
			f.title = b.Title
		}
		if b.Evidence != nil {
			f.evidence = b.Evidence
		}
	}
	return f
}

// applicable reports whether a control is evaluated at the request's
// stage.
func (ev *evaluation) applicable(id string) bool {
	f := ev.facts(id)
	return !f.manual && (len(f.stages) == 0 || slices.Contains(f.stages, ev.req.Stage))
}

// packageError marks every control of a package that failed to evaluate.
func (ev *evaluation) packageError(en *entry, err error) {
	msg := fmt.Sprintf("%s did not evaluate: %v", en.path, err)
	for _, id := range en.controls {
		ev.state(id).evalErr = msg
	}
	if !en.complete {
		ev.state(en.path).evalErr = msg
	}
}

// collect reads the deny and warn sets of one package.
func (ev *evaluation) collect(en *entry, rs rego.ResultSet) {
	if len(rs) != 1 {
		ev.packageError(en, fmt.Errorf("the query %q gave %d results, want 1", en.query, len(rs)))
		return
	}
	for _, rule := range []string{"deny", "warn"} {
		set, ok := rs[0].Bindings[rule]
		if !ok {
			continue
		}
		elems, ok := set.([]any)
		if !ok {
			ev.packageError(en, fmt.Errorf("%s is not a set", rule))
			return
		}
		for _, x := range elems {
			obj, _ := x.(map[string]any)
			msg, _ := obj["msg"].(string)
			control, _ := obj["control"].(string)
			finding, _ := obj["finding"].(string)
			if msg == "" || control == "" {
				b, _ := json.Marshal(x)
				ev.state(en.path).evalErr = fmt.Sprintf("%s.%s holds %s, not an object with a msg and a control", en.path, rule, b)
				continue
			}
			s := ev.state(control)
			s.violations = append(s.violations, Violation{Msg: msg, Rule: rule, Finding: finding, Package: en.path})
		}
	}
}

// finish turns what evaluation found into the decision's control results,
// applying bindings and exceptions.
func (ev *evaluation) finish(d *Decision, now time.Time) {
	ids := map[string]bool{}
	for id := range ev.set.controls {
		ids[id] = true
	}
	for id := range ev.engine.cfg.bindings {
		ids[id] = true
	}
	for id := range ev.results {
		ids[id] = true
	}
	have := ev.req.evidenceTimes()
	applied := map[string]*AppliedException{}
	d.Outcome = Allowed
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		f := ev.facts(id)
		st := ev.results[id]
		if st == nil {
			st = &controlState{}
		}
		cr := ControlResult{Control: id, Title: f.title, Enforcement: f.enforcement, Mappings: f.mappings}
		switch {
		case f.manual:
			cr.Status, cr.Message = StatusManual, "checked by people, not policy"
		case len(f.stages) > 0 && !slices.Contains(f.stages, ev.req.Stage):
			cr.Status, cr.Message = StatusNotApplicable, fmt.Sprintf("applies at %s, not %s", strings.Join(f.stages, ", "), ev.req.Stage)
		case st.evalErr != "":
			cr.Status, cr.Message = StatusError, st.evalErr
			cr.Violations = st.violations
		case ev.set.controls[id] == nil && len(st.violations) == 0:
			cr.Status, cr.Message = StatusError, "no policy checks this control"
		default:
			ev.judge(&cr, f, st, have, now, applied, d)
		}
		if f.enforcement == Mandatory && (cr.Status == StatusFail || cr.Status == StatusError) {
			d.Outcome = Blocked
		}
		d.Controls = append(d.Controls, cr)
	}
	for _, id := range slices.Sorted(maps.Keys(applied)) {
		a := applied[id]
		slices.Sort(a.Controls)
		d.Exceptions = append(d.Exceptions, *a)
	}
	if d.Outcome == Blocked && ev.req.Bypass != nil {
		d.Outcome = Bypassed
		bypass := *ev.req.Bypass
		d.Bypass = &bypass
	}
}

// judge sets the status of an evaluated control: missing evidence, then
// violations, with exceptions applied to both.
func (ev *evaluation) judge(cr *ControlResult, f facts, st *controlState, have map[string]time.Time, now time.Time, applied map[string]*AppliedException, d *Decision) {
	missing := missingEvidence(f, have, now)
	vs := slices.Clone(st.violations)
	slices.SortFunc(vs, func(a, b Violation) int {
		return strings.Compare(a.Rule+"\x00"+a.Msg+"\x00"+a.Finding, b.Rule+"\x00"+b.Msg+"\x00"+b.Finding)
	})
	vs = slices.CompactFunc(vs, func(a, b Violation) bool { return a == b })
	if missing != "" || len(vs) > 0 {
		ev.waive(cr, vs, &missing, now, applied, d)
	}
	cr.Violations = vs
	var deny, warn, waived bool
	for _, v := range vs {
		switch {
		case v.WaivedBy != "":
			waived = true
		case v.Rule == "deny" && f.enforcement == Mandatory:
			deny = true
		default:
			warn = true
		}
	}
	switch {
	case missing != "":
		cr.Status, cr.Message = StatusError, missing
	case deny:
		cr.Status = StatusFail
	case warn:
		cr.Status = StatusWarn
	case waived || len(cr.Exceptions) > 0:
		cr.Status = StatusWaived
	default:
		cr.Status = StatusPass
	}
}

// missingEvidence says what evidence the control lacks: none of its
// types, or only items older than their MaxAge. It is empty when the
// subject has fresh evidence of one of the types.
func missingEvidence(f facts, have map[string]time.Time, now time.Time) string {
	if len(f.evidence) == 0 {
		return ""
	}
	var stale []string
	for _, t := range f.evidence {
		present, fresh := evidenceOf(have, t, f.maxAge[t], now)
		if fresh {
			return ""
		}
		if present {
			stale = append(stale, fmt.Sprintf("%s (none newer than %v)", t, f.maxAge[t]))
		}
	}
	if len(stale) > 0 {
		return "stale evidence: " + strings.Join(stale, ", ")
	}
	return "missing evidence: none of " + strings.Join(f.evidence, ", ")
}

// waive applies the request's exceptions that cover the control: valid
// ones waive violations (and missing evidence); the others leave notes.
func (ev *evaluation) waive(cr *ControlResult, vs []Violation, missing *string, now time.Time, applied map[string]*AppliedException, d *Decision) {
	for i := range ev.req.Exceptions {
		x := &ev.req.Exceptions[i]
		if !x.covers(ev.req, cr.Control) {
			continue
		}
		if err := x.Check(now, ev.engine.cfg.maxExceptionDuration); err != nil {
			d.Notes = append(d.Notes, Note{Exception: x.ID, Control: cr.Control, Message: "not applied: " + strings.ReplaceAll(err.Error(), "\n", "; ")})
			continue
		}
		used := false
		for j := range vs {
			if vs[j].WaivedBy == "" && x.waives(vs[j].Finding) {
				vs[j].WaivedBy = x.ID
				used = true
			}
		}
		if *missing != "" && len(x.Findings) == 0 {
			*missing = ""
			used = true
		}
		if !used {
			continue
		}
		cr.Exceptions = append(cr.Exceptions, x.ID)
		a := applied[x.ID]
		if a == nil {
			a = &AppliedException{ID: x.ID, Justification: x.Justification, RequestedBy: x.RequestedBy, ApprovedBy: x.ApprovedBy, Expires: x.Expires.UTC()}
			applied[x.ID] = a
		}
		a.Controls = append(a.Controls, cr.Control)
	}
}

// explainer collects trace and print output in explain mode.
type explainer struct {
	mu     sync.Mutex
	traces bytes.Buffer
	prints []string
}

// Print implements print.Hook.
func (x *explainer) Print(pc print.Context, s string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	loc := ""
	if pc.Location != nil {
		loc = pc.Location.String() + ": "
	}
	x.prints = append(x.prints, loc+s)
	return nil
}

func (x *explainer) trace(path string, t *topdown.BufferTracer) {
	fmt.Fprintf(&x.traces, "# %s\n", path)
	topdown.PrettyTraceWithLocation(&x.traces, *t)
}

func (x *explainer) result() *Explanation {
	return &Explanation{Trace: x.traces.String(), Print: x.prints}
}
