package metrics

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// MaxPoints caps a series: a window of more buckets than this is an error.
const MaxPoints = 100_000

// ErrInvalidWindow is returned for a window that ends before it starts, or
// that has more than MaxPoints buckets.
var ErrInvalidWindow = errors.New("metrics: invalid window")

// Compute computes the metrics of ev over w. The events may come in any
// order; invalid records and records whose ID repeats with different
// content are left out and listed in Result.Excluded. It fails only for an
// invalid window, or for a negative lead time under NegativeError.
func (c *Calculator) Compute(ev Events, w Window) (*Result, error) {
	var excl []Exclusion
	join := newJoiner(ev.Changes, c.startNano, &excl)
	deps := dedupe(ev.Deployments, func(d *Deployment) string { return d.ID }, checkDeployment, sameDeployment, RecordDeployment, &excl)
	incs := dedupe(ev.Incidents, func(in *Incident) string { return in.ID }, checkIncident, sameIncident, RecordIncident, &excl)
	runs := dedupe(ev.Runs, func(r *Run) string { return r.ID }, checkRun, sameRun, RecordRun, &excl)
	groups := map[groupKey]*groupInput{}
	get := func(service, env string) *groupInput {
		k := groupKey{service, env}
		g := groups[k]
		if g == nil {
			g = &groupInput{key: k}
			groups[k] = g
		}
		return g
	}
	for _, d := range deps {
		g := get(d.Service, d.Environment)
		g.deps = append(g.deps, d)
	}
	for _, in := range incs {
		g := get(in.Service, in.Environment)
		g.incs = append(g.incs, in)
	}
	for _, r := range runs {
		g := get(r.Service, r.Environment)
		g.runs = append(g.runs, r)
	}
	pl, err := c.plan(w)
	if err != nil {
		return nil, err
	}
	res := &Result{Settings: c.Settings(), Window: w, Excluded: sortExclusions(excl)}
	keys := make([]groupKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, groupKey.compare)
	prep := make([]*prepared, len(keys))
	for i, k := range keys {
		prep[i] = prepare(groups[k])
	}
	car := join.carrier(prep)
	sc := &scratch{}
	for gi, p := range prep {
		f, err := c.facts(gi, p, car)
		if err != nil {
			return nil, err
		}
		res.Groups = append(res.Groups, c.series(p.key, f, pl, sc))
	}
	return res, nil
}

type groupKey struct{ service, env string }

func (a groupKey) compare(b groupKey) int {
	return cmp.Or(cmp.Compare(a.service, b.service), cmp.Compare(a.env, b.env))
}

// groupInput is the valid, deduplicated records of one group.
type groupInput struct {
	key  groupKey
	deps []*Deployment
	incs []*Incident
	runs []*Run
}

// changeIndex finds valid changes by ID: a Stream's by an idIndex, a
// batch's by the join.
type changeIndex struct {
	// changes are a batch's changes; a Stream keeps its own in chunks
	// (non-nil), so that growing never copies them.
	changes []Change
	chunks  chunks[Change]
	// ids finds a Stream's changes by ID.
	ids idIndex
	// state is each change's state: statePrimary for the valid change of
	// its ID; stateConflict when the ID has records that differ (see join).
	state []uint8
	// byRepo lists each repository's changes by CommittedAt; built when
	// first needed.
	byRepo map[string][]int32
}

// at returns the change of index i.
func (x *changeIndex) at(i int32) *Change {
	if x.chunks.c != nil {
		return x.chunks.at(i)
	}
	return &x.changes[i]
}

// len is the number of changes.
func (x *changeIndex) len() int {
	if x.chunks.c != nil {
		return int(x.chunks.n)
	}
	return len(x.changes)
}

// push appends a change to a Stream's chunks as the primary of its ID,
// and indexes it under the ID's hash h.
func (x *changeIndex) push(ch *Change, h uint32) {
	x.state = append(x.state, statePrimary)
	x.ids.add(h, x.chunks.push(ch))
}

// find returns the index of a Stream's change of the ID of hash h, primary
// or in conflict, and whether there is one.
func (x *changeIndex) find(h uint32, id string) (int32, bool) {
	return x.ids.find(h, id, x.idAt)
}

// idAt is the ID of change i.
func (x *changeIndex) idAt(i int32) string { return x.at(i).ID }

// primaries calls f with the index of every valid change, once per ID.
func (x *changeIndex) primaries(f func(int32)) {
	for i, s := range x.state {
		if s == statePrimary {
			f(int32(i))
		}
	}
}

// get returns the index of a Stream's valid change of ID id, and whether
// there is one.
func (x *changeIndex) get(id string) (int32, bool) {
	i, ok := x.find(x.ids.hash(id), id)
	return i, ok && x.state[i] == statePrimary
}

// repository returns repo's changes committed in (after, upTo], in commit
// order.
func (x *changeIndex) repository(repo string, after, upTo time.Time) []int32 {
	if x.byRepo == nil {
		x.byRepo = map[string][]int32{}
		x.primaries(func(i int32) {
			if r := x.at(i).Repository; r != "" {
				x.byRepo[r] = append(x.byRepo[r], i)
			}
		})
		for _, l := range x.byRepo {
			slices.SortFunc(l, func(a, b int32) int {
				ca, cb := x.at(a), x.at(b)
				return cmp.Or(ca.CommittedAt.Compare(cb.CommittedAt), cmp.Compare(ca.ID, cb.ID))
			})
		}
	}
	l := x.byRepo[repo]
	lo := sort.Search(len(l), func(k int) bool { return x.at(l[k]).CommittedAt.After(after) })
	hi := sort.Search(len(l), func(k int) bool { return x.at(l[k]).CommittedAt.After(upTo) })
	return l[lo:max(lo, hi)]
}

// dedupe returns pointers to the valid records of in, each ID once,
// leaving out (and listing) invalid records and IDs whose records differ.
func dedupe[T any](in []T, id func(*T) string, check func(*T) (Reason, string), same func(a, b T) bool, rec Record, excl *[]Exclusion) []*T {
	seen := make(map[string]int, len(in))
	out := make([]*T, 0, len(in))
	conflicts := 0
	for i := range in {
		p := &in[i]
		if r, d := check(p); r != "" {
			*excl = append(*excl, Exclusion{Record: rec, ID: id(p), Reason: r, Detail: d})
			continue
		}
		j, ok := seen[id(p)]
		switch {
		case !ok:
			seen[id(p)] = len(out)
			out = append(out, p)
		case j >= 0 && !same(*out[j], *p):
			out[j] = nil
			seen[id(p)] = -1
			conflicts++
			*excl = append(*excl, Exclusion{Record: rec, ID: id(p), Reason: ReasonConflictingDuplicate})
		}
	}
	if conflicts > 0 {
		out = slices.DeleteFunc(out, func(p *T) bool { return p == nil })
	}
	return out
}

func sortExclusions(e []Exclusion) []Exclusion {
	slices.SortFunc(e, func(a, b Exclusion) int {
		return cmp.Or(cmp.Compare(a.Record, b.Record), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Detail, b.Detail))
	})
	return slices.Compact(e)
}

// span is a half-open period in Unix nanoseconds.
type span struct{ a, b int64 }

// plan is the periods of one computation: the window and the points.
type plan struct {
	window span
	points []span
	w      Window
	pw     []Window
}

func (c *Calculator) plan(w Window) (plan, error) {
	if w.Start.IsZero() || w.End.IsZero() || !w.Start.Before(w.End) {
		return plan{}, fmt.Errorf("%w: [%v, %v) is empty", ErrInvalidWindow, w.Start, w.End)
	}
	p := plan{window: span{w.Start.UnixNano(), w.End.UnixNano()}, w: w}
	loc := c.cfg.loc
	t := w.Start.In(loc)
	y, m, d := t.Date()
	switch c.cfg.Bucket {
	case BucketDay:
		t = time.Date(y, m, d, 0, 0, 0, 0, loc)
	case BucketWeek:
		back := (int(t.Weekday()) - int(c.cfg.WeekStart) + 7) % 7
		t = time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	case BucketMonth:
		t = time.Date(y, m, 1, 0, 0, 0, 0, loc)
	}
	for t.Before(w.End) {
		if len(p.pw) == MaxPoints {
			return plan{}, fmt.Errorf("%w: more than %d %s buckets", ErrInvalidWindow, MaxPoints, c.cfg.Bucket)
		}
		y, m, d := t.Date()
		var next time.Time
		switch c.cfg.Bucket {
		case BucketDay:
			next = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		case BucketWeek:
			next = time.Date(y, m, d+7, 0, 0, 0, 0, loc)
		case BucketMonth:
			next = time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
		}
		pw := Window{Start: maxTime(t, w.Start), End: minTime(next, w.End)}
		if c.cfg.Rolling > 0 {
			pw.Start = pw.End.Add(-c.cfg.Rolling)
		}
		p.pw = append(p.pw, pw)
		p.points = append(p.points, span{pw.Start.UnixNano(), pw.End.UnixNano()})
		t = next
	}
	return p, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Metric masks: which metrics a group exclusion belongs to.
const (
	inDF uint8 = 1 << iota
	inLT
	inCFR
	inRec
	inRework
	inToil
)

// groupExclusion is an exclusion filed at a time under some metrics.
type groupExclusion struct {
	t    int64
	mask uint8
	e    Exclusion
}

// scratch is memory reused across periods.
type scratch struct {
	buf []int64
}

const none = math.MaxInt64

// facts is what a group's deployments amount to, one entry per deployment
// (in finish order), so that any period's metrics are a range of them.
type facts struct {
	fin     []int64
	ltOff   []int32 // lead times of deployment i: lt[ltOff[i]:ltOff[i+1]]
	lt      []int64
	failed  []bool
	rework  []bool
	rec     []int64 // recovery time, or none
	excl    []groupExclusion
	runs    []*Run
	runTime []int64
}

// series returns a group's metrics over the plan's window and points.
func (c *Calculator) series(key groupKey, f *facts, pl plan, sc *scratch) Group {
	g := Group{Service: key.service, Environment: key.env, Metrics: c.metrics(f, pl.window, sc)}
	g.Series = make([]Point, len(pl.points))
	for i, s := range pl.points {
		g.Series[i] = Point{Start: pl.pw[i].Start, End: pl.pw[i].End, Metrics: c.metrics(f, s, sc)}
	}
	return g
}

// prepared is a group's deployments in production, by finish, and the
// rest of its records.
type prepared struct {
	key    groupKey
	deps   []*Deployment
	byID   map[string]int
	failed []*Deployment // outcome failed: never in production
	incs   []*Incident
	runs   []*Run
}

func prepare(g *groupInput) *prepared {
	p := &prepared{key: g.key, deps: make([]*Deployment, 0, len(g.deps)), incs: g.incs, runs: g.runs}
	for _, d := range g.deps {
		if d.Outcome == OutcomeFailed {
			p.failed = append(p.failed, d)
			continue
		}
		p.deps = append(p.deps, d)
	}
	slices.SortFunc(p.deps, func(a, b *Deployment) int {
		return cmp.Or(a.FinishedAt.Compare(b.FinishedAt), cmp.Compare(a.ID, b.ID))
	})
	p.byID = make(map[string]int, len(p.deps))
	for i, d := range p.deps {
		p.byID[d.ID] = i
	}
	return p
}

// facts computes what group gi's deployments amount to.
func (c *Calculator) facts(gi int, p *prepared, car carrier) (*facts, error) {
	f := &facts{}
	for _, d := range p.failed {
		f.excl = append(f.excl, groupExclusion{d.FinishedAt.UnixNano(), inDF | inCFR | inRework,
			Exclusion{Record: RecordDeployment, ID: d.ID, Reason: ReasonNotInProduction}})
	}
	deps, byID := p.deps, p.byID
	n := len(deps)
	f.fin = make([]int64, n)
	for i, d := range deps {
		f.fin[i] = d.FinishedAt.UnixNano()
	}
	f.failed = make([]bool, n)
	f.rework = make([]bool, n)
	remedy := make([]int64, n)
	for i := range remedy {
		remedy[i] = none
	}
	// Rollbacks and hotfixes blame the deployment they replace.
	for i, d := range deps {
		if d.Outcome == OutcomeRolledBack {
			f.failed[i] = true
		}
		if d.Kind == KindHotfix || d.Kind == KindUnplanned {
			f.rework[i] = true
		}
		if d.Kind != KindRollback && d.Kind != KindHotfix {
			continue
		}
		t, ok := byID[d.Previous]
		if !ok || t >= i {
			t = i - 1
		}
		if t >= 0 {
			f.failed[t] = true
			remedy[t] = min(remedy[t], f.fin[i])
		}
	}
	// Incidents blame the deployment a link rule finds.
	incFrom := make([]int64, n)
	incTo := make([]int64, n)
	open := make([]bool, n)
	for i := range incFrom {
		incFrom[i], incTo[i] = none, math.MinInt64
	}
	var byVersion map[string][]int
	for _, in := range p.incs {
		det := in.DetectedAt.UnixNano()
		t := -1
		for _, rule := range c.cfg.IncidentLinks {
			switch rule {
			case LinkExplicit:
				if j, ok := byID[in.CausedBy]; ok && in.CausedBy != "" {
					t = j
				}
			case LinkVersion:
				if in.Version == "" {
					continue
				}
				if byVersion == nil {
					byVersion = map[string][]int{}
					for j, d := range deps {
						if d.Version != "" {
							byVersion[d.Version] = append(byVersion[d.Version], j)
						}
					}
				}
				l := byVersion[in.Version]
				k := sort.Search(len(l), func(k int) bool { return f.fin[l[k]] > det })
				if k > 0 {
					t = l[k-1]
				}
			case LinkNearest:
				k := sort.Search(n, func(k int) bool { return f.fin[k] > det })
				if k > 0 && det-f.fin[k-1] <= int64(c.cfg.LinkWindow) {
					t = k - 1
				}
			}
			if t >= 0 {
				break
			}
		}
		if t < 0 {
			f.excl = append(f.excl, groupExclusion{det, inCFR | inRec,
				Exclusion{Record: RecordIncident, ID: in.ID, Reason: ReasonNoLinkedDeployment}})
			continue
		}
		f.failed[t] = true
		incFrom[t] = min(incFrom[t], det)
		if in.ResolvedAt.IsZero() {
			open[t] = true
		} else {
			incTo[t] = max(incTo[t], in.ResolvedAt.UnixNano())
		}
	}
	f.rec = make([]int64, n)
	for i, d := range deps {
		f.rec[i] = none
		if !f.failed[i] {
			continue
		}
		var reason Reason
		switch {
		case open[i]:
			reason = ReasonUnresolved
		case incFrom[i] != none:
			f.rec[i] = incTo[i] - incFrom[i]
		case remedy[i] != none:
			f.rec[i] = remedy[i] - f.fin[i]
		default:
			reason = ReasonNoRecovery
		}
		if reason != "" {
			f.excl = append(f.excl, groupExclusion{f.fin[i], inRec, Exclusion{Record: RecordDeployment, ID: d.ID, Reason: reason}})
		}
	}
	if err := c.leadTimes(gi, p, car, f); err != nil {
		return nil, err
	}
	// Runs, by start.
	f.runs = slices.Clone(p.runs)
	slices.SortFunc(f.runs, func(a, b *Run) int {
		return cmp.Or(a.StartedAt.Compare(b.StartedAt), cmp.Compare(a.ID, b.ID))
	})
	f.runTime = make([]int64, len(f.runs))
	for i, r := range f.runs {
		f.runTime[i] = r.StartedAt.UnixNano()
	}
	slices.SortFunc(f.excl, func(a, b groupExclusion) int {
		return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.e.Record, b.e.Record), cmp.Compare(a.e.ID, b.e.ID),
			cmp.Compare(a.e.Reason, b.e.Reason), cmp.Compare(a.e.Detail, b.e.Detail))
	})
	return f, nil
}

// leadTimes fills f.lt and f.ltOff: each change counts once, in the first
// deployment (by finish) that carries it.
func (c *Calculator) leadTimes(gi int, p *prepared, car carrier, f *facts) error {
	deps := p.deps
	car.begin()
	f.ltOff = make([]int32, len(deps)+1)
	total := 0
	for _, d := range deps {
		total += len(d.Changes)
	}
	f.lt = make([]int64, 0, total)
	for i, d := range deps {
		f.ltOff[i] = int32(len(f.lt))
		if d.Kind == KindRollback {
			continue
		}
		carried, ok := car.carried(gi, p, i)
		if !ok {
			f.excl = append(f.excl, groupExclusion{f.fin[i], inLT,
				Exclusion{Record: RecordDeployment, ID: d.ID, Reason: ReasonUnknownChange, Detail: "no earlier deployment " + d.Previous + " to diff against"}})
		}
		for _, cr := range carried {
			switch cr.ci {
			case counted:
				continue
			case unknownChange:
				f.excl = append(f.excl, groupExclusion{f.fin[i], inLT,
					Exclusion{Record: RecordChange, ID: cr.id, Reason: ReasonUnknownChange, Detail: "in deployment " + d.ID}})
				continue
			}
			if cr.start == noStart {
				f.excl = append(f.excl, groupExclusion{f.fin[i], inLT,
					Exclusion{Record: RecordChange, ID: cr.id, Reason: ReasonNoClockStart, Detail: string(c.cfg.LeadTimeStart)}})
				continue
			}
			lt := f.fin[i] - cr.start
			if lt < 0 {
				switch c.cfg.Negative {
				case NegativeError:
					return &DurationError{Change: cr.id, Deployment: d.ID, Duration: time.Duration(lt)}
				case NegativeClamp:
					lt = 0
				default:
					f.excl = append(f.excl, groupExclusion{f.fin[i], inLT,
						Exclusion{Record: RecordChange, ID: cr.id, Reason: ReasonNegativeDuration, Detail: "deployment " + d.ID + " finished " + time.Duration(-lt).String() + " before the clock start"}})
					continue
				}
			}
			f.lt = append(f.lt, lt)
		}
	}
	f.ltOff[len(deps)] = int32(len(f.lt))
	return nil
}

// noStart marks a change without the time that starts the clock.
const noStart = math.MinInt64

// startNano is when ch starts the lead-time clock, or noStart.
func (c *Calculator) startNano(ch *Change) int64 {
	t := c.clockStart(ch)
	if t.IsZero() {
		return noStart
	}
	return t.UnixNano()
}

func (c *Calculator) clockStart(ch *Change) time.Time {
	switch c.cfg.LeadTimeStart {
	case ClockFirstCommit:
		return ch.AuthoredAt
	case ClockPRCreated:
		return ch.PRCreatedAt
	case ClockMerge:
		return ch.MergedAt
	}
	return ch.CommittedAt
}

// metrics computes one period's metrics from a group's facts.
func (c *Calculator) metrics(f *facts, s span, sc *scratch) Metrics {
	lo, _ := slices.BinarySearch(f.fin, s.a)
	hi, _ := slices.BinarySearch(f.fin, s.b)
	var m Metrics
	nd := hi - lo
	m.DeploymentFrequency = Value{Defined: true, N: nd, Value: float64(nd) / (float64(s.b-s.a) / float64(24*time.Hour))}
	sc.buf = append(sc.buf[:0], f.lt[f.ltOff[lo]:f.ltOff[hi]]...)
	m.LeadTime = c.median(sc.buf)
	failed, rework := 0, 0
	sc.buf = sc.buf[:0]
	for i := lo; i < hi; i++ {
		if f.failed[i] {
			failed++
			if f.rec[i] != none {
				sc.buf = append(sc.buf, f.rec[i])
			}
		}
		if f.rework[i] {
			rework++
		}
	}
	m.RecoveryTime = c.median(sc.buf)
	m.ChangeFailRate = ratio(failed, nd)
	m.ReworkRate = ratio(rework, nd)
	rlo, _ := slices.BinarySearch(f.runTime, s.a)
	rhi, _ := slices.BinarySearch(f.runTime, s.b)
	m.Toil = toil(f.runs[rlo:rhi])
	elo := sort.Search(len(f.excl), func(k int) bool { return f.excl[k].t >= s.a })
	ehi := sort.Search(len(f.excl), func(k int) bool { return f.excl[k].t >= s.b })
	for _, e := range f.excl[elo:ehi] {
		for _, v := range []struct {
			bit uint8
			val *Value
		}{{inDF, &m.DeploymentFrequency}, {inLT, &m.LeadTime}, {inCFR, &m.ChangeFailRate}, {inRec, &m.RecoveryTime}, {inRework, &m.ReworkRate}} {
			if e.mask&v.bit != 0 {
				v.val.Excluded = append(v.val.Excluded, e.e)
			}
		}
	}
	c.rate(&m)
	return m
}

func ratio(k, n int) Value {
	if n == 0 {
		return Value{}
	}
	return Value{Defined: true, N: n, Value: float64(k) / float64(n)}
}

func toil(runs []*Run) Toil {
	t := Toil{Runs: len(runs)}
	for _, r := range runs {
		for _, s := range r.Steps {
			if s.Manual {
				t.ManualSteps++
				t.ManualTime += s.Duration
			} else {
				t.AutomatedSteps++
				t.AutomatedTime += s.Duration
			}
		}
	}
	t.ManualShare.N = t.ManualSteps + t.AutomatedSteps
	if total := t.ManualTime + t.AutomatedTime; total > 0 {
		t.ManualShare.Defined = true
		t.ManualShare.Value = float64(t.ManualTime) / float64(total)
	}
	return t
}

// median returns the median of x in hours, by the configured quantile
// definition. It reorders x.
func (c *Calculator) median(x []int64) Value {
	n := len(x)
	if n == 0 {
		return Value{}
	}
	k := (n - 1) / 2
	lower := selectK(x, k)
	v := float64(lower)
	if c.cfg.Quantile == QuantileType7 && n%2 == 0 {
		upper := slices.Min(x[k+1:])
		v = float64(lower) + 0.5*float64(upper-lower)
	}
	return Value{Defined: true, N: n, Value: v / float64(time.Hour)}
}

// selectK reorders x so that x[k] is the k-th smallest (from 0), every
// element before it no larger and every one after it no smaller, and
// returns x[k]. It runs in linear expected time (Hoare's quickselect).
func selectK(x []int64, k int) int64 {
	lo, hi := 0, len(x)-1
	for lo < hi {
		// median of three as the pivot
		mid := lo + (hi-lo)/2
		if x[mid] < x[lo] {
			x[mid], x[lo] = x[lo], x[mid]
		}
		if x[hi] < x[lo] {
			x[hi], x[lo] = x[lo], x[hi]
		}
		if x[hi] < x[mid] {
			x[hi], x[mid] = x[mid], x[hi]
		}
		p := x[mid]
		i, j := lo, hi
		for i <= j {
			for x[i] < p {
				i++
			}
			for x[j] > p {
				j--
			}
			if i <= j {
				x[i], x[j] = x[j], x[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return x[k]
		}
	}
	return x[k]
}
