package metrics

import (
	"slices"
	"sync"
)

// Stream computes the metrics incrementally from events added one at a
// time, in any order. Adding a record whose ID was seen with the same
// content changes nothing; a late event is filed in the buckets it belongs
// to, and only the services and environments it touches are recomputed at
// the next Result. Its results equal Calculator.Compute's over the same
// events.
//
// A Stream keeps the records it is given (a Deployment's Changes slice
// too): the caller must not modify them after adding. It is safe for
// concurrent use by multiple goroutines.
type Stream struct {
	calc *Calculator

	mu      sync.Mutex
	changes *changeIndex
	invalid map[Exclusion]struct{}
	deps    records[Deployment]
	incs    records[Incident]
	runs    records[Run]
	groups  map[groupKey]int32
	group   []*streamGroup
	// byChange maps the ID of a change not added yet to the first group
	// whose deployments carry it; moreChange lists further groups.
	byChange   map[string]int32
	moreChange map[string][]int32
	// byRepo maps a repository to the groups that diff against it.
	byRepo map[string][]int32
}

// records is a Stream's store of one kind of record.
type records[T any] struct {
	ids  idIndex // finds a record by ID
	id   func(*T) string
	recs chunks[T]
	// of is the group of each record.
	of []int32
	// dead marks the records that a conflicting duplicate left out.
	dead []bool
}

func newRecords[T any](id func(*T) string) records[T] {
	return records[T]{ids: newIDIndex(), id: id}
}

// idAt is the ID of record i.
func (rs *records[T]) idAt(i int32) string { return rs.id(rs.recs.at(i)) }

// streamGroup is one service and environment, and its cached facts.
type streamGroup struct {
	key              groupKey
	deps, incs, runs []int32
	dirty            bool
	facts            *facts
	// n counts the group's live records; a group of none is not reported.
	n int
}

// NewStream returns an empty Stream computing with c's settings.
func (c *Calculator) NewStream() *Stream {
	return &Stream{
		calc:       c,
		changes:    &changeIndex{ids: newIDIndex(), chunks: chunks[Change]{c: [][]Change{}}},
		invalid:    map[Exclusion]struct{}{},
		deps:       newRecords(func(d *Deployment) string { return d.ID }),
		incs:       newRecords(func(in *Incident) string { return in.ID }),
		runs:       newRecords(func(r *Run) string { return r.ID }),
		groups:     map[groupKey]int32{},
		byChange:   map[string]int32{},
		moreChange: map[string][]int32{},
		byRepo:     map[string][]int32{},
	}
}

// AddChange adds a change.
func (s *Stream) AddChange(ch Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, d := checkChange(&ch); r != "" {
		s.invalid[Exclusion{Record: RecordChange, ID: ch.ID, Reason: r, Detail: d}] = struct{}{}
		return
	}
	h := s.changes.ids.hash(ch.ID)
	if i, ok := s.changes.find(h, ch.ID); ok {
		if s.changes.state[i] == statePrimary && !sameChange(*s.changes.at(i), ch) {
			s.changes.state[i] = stateConflict
			s.invalid[Exclusion{Record: RecordChange, ID: ch.ID, Reason: ReasonConflictingDuplicate}] = struct{}{}
			// Rare: rather than index every carried change, recompute all.
			for _, g := range s.group {
				g.dirty = true
			}
		}
		return
	}
	s.changes.push(&ch, h)
	if len(s.byChange) > 0 {
		if g, ok := s.byChange[ch.ID]; ok {
			s.group[g].dirty = true
			for _, g := range s.moreChange[ch.ID] {
				s.group[g].dirty = true
			}
		}
	}
	if ch.Repository != "" {
		s.changes.byRepo = nil
		if len(s.byRepo) > 0 {
			for _, g := range s.byRepo[ch.Repository] {
				s.group[g].dirty = true
			}
		}
	}
}

// AddDeployment adds a deployment.
func (s *Stream) AddDeployment(d Deployment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, det := checkDeployment(&d); r != "" {
		s.invalid[Exclusion{Record: RecordDeployment, ID: d.ID, Reason: r, Detail: det}] = struct{}{}
		return
	}
	i, added := addRecord(s, &s.deps, d.ID, d, sameDeployment, RecordDeployment, d.Service, d.Environment)
	if !added {
		return
	}
	g := s.deps.of[i]
	s.group[g].deps = append(s.group[g].deps, i)
	for _, id := range d.Changes {
		if _, known := s.changes.find(s.changes.ids.hash(id), id); known {
			continue
		}
		first, ok := s.byChange[id]
		switch {
		case !ok:
			s.byChange[id] = g
		case first != g && !slices.Contains(s.moreChange[id], g):
			s.moreChange[id] = append(s.moreChange[id], g)
		}
	}
	if len(d.Changes) == 0 && d.Previous != "" && d.Repository != "" && !slices.Contains(s.byRepo[d.Repository], g) {
		s.byRepo[d.Repository] = append(s.byRepo[d.Repository], g)
	}
}

// AddIncident adds an incident.
func (s *Stream) AddIncident(in Incident) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, d := checkIncident(&in); r != "" {
		s.invalid[Exclusion{Record: RecordIncident, ID: in.ID, Reason: r, Detail: d}] = struct{}{}
		return
	}
	if i, added := addRecord(s, &s.incs, in.ID, in, sameIncident, RecordIncident, in.Service, in.Environment); added {
		g := s.incs.of[i]
		s.group[g].incs = append(s.group[g].incs, i)
	}
}

// AddRun adds a pipeline run.
func (s *Stream) AddRun(r Run) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reason, d := checkRun(&r); reason != "" {
		s.invalid[Exclusion{Record: RecordRun, ID: r.ID, Reason: reason, Detail: d}] = struct{}{}
		return
	}
	if i, added := addRecord(s, &s.runs, r.ID, r, sameRun, RecordRun, r.Service, r.Environment); added {
		g := s.runs.of[i]
		s.group[g].runs = append(s.group[g].runs, i)
	}
}

// addRecord stores a valid record unless its ID is known: a repeat is
// ignored, a conflicting one kills the stored record. It reports the new
// record's index and whether it was added.
func addRecord[T any](s *Stream, rs *records[T], id string, v T, same func(a, b T) bool, rec Record, service, env string) (int32, bool) {
	h := rs.ids.hash(id)
	if i, ok := rs.ids.find(h, id, rs.idAt); ok {
		if !rs.dead[i] && !same(*rs.recs.at(i), v) {
			rs.dead[i] = true
			s.invalid[Exclusion{Record: rec, ID: id, Reason: ReasonConflictingDuplicate}] = struct{}{}
			s.group[rs.of[i]].dirty = true
		}
		return 0, false
	}
	k := groupKey{service, env}
	g, ok := s.groups[k]
	if !ok {
		g = int32(len(s.group))
		s.groups[k] = g
		s.group = append(s.group, &streamGroup{key: k})
	}
	s.group[g].dirty = true
	i := rs.recs.push(&v)
	rs.ids.add(h, i)
	rs.of = append(rs.of, g)
	rs.dead = append(rs.dead, false)
	return i, true
}

// live returns pointers to the group's records that no conflict killed.
func live[T any](rs *records[T], idx []int32) []*T {
	out := make([]*T, 0, len(idx))
	for _, i := range idx {
		if !rs.dead[i] {
			out = append(out, rs.recs.at(i))
		}
	}
	return out
}

// Result computes the metrics over w from every event added so far,
// recomputing only the groups that changed since the last call.
func (s *Stream) Result(w Window) (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calc
	pl, err := c.plan(w)
	if err != nil {
		return nil, err
	}
	var car *mapCarrier
	order := make([]int32, 0, len(s.group))
	for g, sg := range s.group {
		if sg.dirty {
			in := &groupInput{
				key:  sg.key,
				deps: live(&s.deps, sg.deps),
				incs: live(&s.incs, sg.incs),
				runs: live(&s.runs, sg.runs),
			}
			sg.n = len(in.deps) + len(in.incs) + len(in.runs)
			if car == nil {
				car = newMapCarrier(s.changes, c.startNano)
			}
			f, err := c.facts(g, prepare(in), car)
			if err != nil {
				return nil, err
			}
			sg.facts, sg.dirty = f, false
		}
		if sg.n > 0 {
			order = append(order, int32(g))
		}
	}
	slices.SortFunc(order, func(a, b int32) int { return s.group[a].key.compare(s.group[b].key) })
	excl := make([]Exclusion, 0, len(s.invalid))
	for e := range s.invalid {
		excl = append(excl, e)
	}
	res := &Result{Settings: c.Settings(), Window: w, Excluded: sortExclusions(excl)}
	sc := &scratch{}
	for _, g := range order {
		res.Groups = append(res.Groups, c.series(s.group[g].key, s.group[g].facts, pl, sc))
	}
	return res, nil
}
