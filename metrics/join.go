package metrics

import (
	"hash/maphash"
	"math/bits"
	"time"
)

// The lead-time join: which change each deployment carries.
//
// A deployment names its changes by ID. Looking each of ten million IDs up
// in a map of ten million changes costs a cache miss or three per lookup,
// most of the batch computation's time. Compute instead hashes both sides
// once, scatters them into partitions by hash, and joins one partition at
// a time with a small table that stays in the CPU cache. Every match is
// confirmed by comparing the IDs, so the join is exact. A Stream, which
// looks up few changes at a time, uses its map (mapCarrier).

// carry is one change a deployment carries: its index in the changes, or
// unknownChange, or counted when the group already counted it; and, when
// resolved, its clock start (see Calculator.startNano).
type carry struct {
	id    string
	ci    int32
	start int64
}

const (
	unknownChange = -1
	counted       = -2
	lookup        = -3 // not resolved yet
)

// carrier says which changes the deployments of a group carry, each change
// counted once per group, in the first deployment that carries it.
type carrier interface {
	// begin starts a group; carried must then be called for its
	// deployments in order.
	begin()
	// carried returns the changes deployment i of p carries, and false if
	// it diffs against a previous deployment that is not an earlier one of
	// p.
	carried(gi int, p *prepared, i int) ([]carry, bool)
}

// carriedBy calls emit for each change deployment i of p carries: its
// listed IDs (with ci lookup), or the repository's changes committed since
// the previous deployment started (with their index). It returns false
// when that previous deployment is not an earlier one of the group.
func carriedBy(p *prepared, i int, idx *changeIndex, emit func(id string, ci int32)) bool {
	d := p.deps[i]
	if len(d.Changes) > 0 {
		for _, id := range d.Changes {
			emit(id, lookup)
		}
		return true
	}
	if d.Previous == "" || d.Repository == "" {
		return true
	}
	j, ok := p.byID[d.Previous]
	if !ok || j >= i {
		return false
	}
	for _, ci := range idx.repository(d.Repository, startOf(p.deps[j]), startOf(d)) {
		emit(idx.at(ci).ID, ci)
	}
	return true
}

// mapCarrier resolves IDs with the change index's map, and marks counted
// changes in a stamp array.
type mapCarrier struct {
	idx   *changeIndex
	start func(*Change) int64
	stamp []int32 // stamp[ci] == gen: counted in this group
	gen   int32
	buf   []carry
}

func newMapCarrier(idx *changeIndex, start func(*Change) int64) *mapCarrier {
	return &mapCarrier{idx: idx, start: start, stamp: make([]int32, idx.len())}
}

func (m *mapCarrier) begin() { m.gen++ }

func (m *mapCarrier) carried(_ int, p *prepared, i int) ([]carry, bool) {
	m.buf = m.buf[:0]
	ok := carriedBy(p, i, m.idx, func(id string, ci int32) {
		if ci == lookup {
			found, ok := m.idx.get(id)
			if !ok {
				m.buf = append(m.buf, carry{id: id, ci: unknownChange})
				return
			}
			ci = found
		}
		if m.stamp[ci] == m.gen {
			m.buf = append(m.buf, carry{id: id, ci: counted})
			return
		}
		m.stamp[ci] = m.gen
		m.buf = append(m.buf, carry{id: id, ci: ci, start: m.start(m.idx.at(ci))})
	})
	return m.buf, ok
}

// Change states (changeIndex.state).
const (
	stateNone     uint8 = iota // invalid, or an identical repeat
	statePrimary               // the change of its ID
	stateConflict              // its ID has records that differ
)

// joinCarrier holds every group's carried changes, resolved by the
// partitioned join.
type joinCarrier struct {
	res     []carry
	off     [][]int32 // off[gi][i]: deployment i's first carry
	missing map[[2]int]bool
}

func (j *joinCarrier) begin() {}

func (j *joinCarrier) carried(gi int, _ *prepared, i int) ([]carry, bool) {
	o := j.off[gi]
	return j.res[o[i]:o[i+1]], !j.missing[[2]int{gi, i}]
}

// joiner is the partitioned hash join of one computation.
type joiner struct {
	idx   *changeIndex
	seed  maphash.Seed
	shift uint // partition of a hash: h >> shift
	parts int
	// ents are the valid changes, partition by partition, so that a
	// partition's are together: ents[first[p]:first[p+1]].
	ents  []entry
	first []int
	// buf holds the open-addressing table of one partition at a time.
	buf []slot
}

// slot is one entry of a partition's table: a change (its position in
// ents), its entry's h, and the group (+1) that last counted it.
type slot struct {
	h    uint32
	pos  int32 // position in ents + 1; 0 when empty
	last int32 // or conflicted
}

const conflicted = -1

// entry is what the join keeps of a change: its ID, its index and its
// clock start, and h, the low 32 bits of the ID's hash (the high ones
// chose its partition), which place it in its partition's table.
type entry struct {
	start int64
	id    string
	ci    int32
	h     uint32
}

// newJoiner validates and deduplicates changes for a batch: it hashes
// them into partition tables and marks each change's state.
func newJoiner(changes []Change, start func(*Change) int64, excl *[]Exclusion) *joiner {
	idx := &changeIndex{changes: changes, state: make([]uint8, len(changes))}
	j := &joiner{idx: idx, seed: maphash.MakeSeed()}
	// About 16384 changes a partition: a table of at most 384 KiB, and
	// few enough partitions that scattering into them stays in the cache.
	pbits := max(0, bits.Len(uint(len(changes)>>14)))
	j.parts = 1 << pbits
	j.shift = uint(64 - pbits)
	count := make([]int, j.parts+1)
	valid := 0
	for i := range changes {
		ch := &changes[i]
		if r, d := checkChange(ch); r != "" {
			*excl = append(*excl, Exclusion{Record: RecordChange, ID: ch.ID, Reason: r, Detail: d})
			continue
		}
		count[j.part(maphash.String(j.seed, ch.ID))+1]++
		valid++
		idx.state[i] = statePrimary // for now: valid
	}
	// Scatter the valid changes into partitions, in index order. Hashing
	// the IDs again costs less than keeping the hashes: at ten million
	// changes, memory touched for the first time costs more than hashing.
	j.first = make([]int, j.parts+1)
	largest := 0
	for p := range j.parts {
		j.first[p+1] = j.first[p] + count[p+1]
		largest = max(largest, count[p+1])
	}
	j.ents = make([]entry, valid)
	next := append([]int(nil), j.first[:j.parts]...)
	for i, s := range idx.state {
		if s == statePrimary {
			h := maphash.String(j.seed, changes[i].ID)
			p := j.part(h)
			j.ents[next[p]] = entry{start: start(&changes[i]), id: changes[i].ID, ci: int32(i), h: uint32(h)}
			next[p]++
		}
	}
	// A repeated ID in a partition is a repeat or a conflict.
	j.buf = make([]slot, tableSize(largest))
	for p := range j.parts {
		j.table(p, func(first, later *entry) {
			idx.state[later.ci] = stateNone
			if idx.state[first.ci] == statePrimary && !sameChange(changes[first.ci], changes[later.ci]) {
				idx.state[first.ci] = stateConflict
				*excl = append(*excl, Exclusion{Record: RecordChange, ID: later.id, Reason: ReasonConflictingDuplicate})
			}
		})
	}
	return j
}

// table builds partition p's open-addressing table in j.buf, which every
// partition reuses so that it stays in the CPU cache, and returns it. It
// leaves out the identical repeats found so far (stateNone), marks the
// conflicts found so far, and calls repeat for an entry whose ID an
// earlier one has; once newJoiner found them all, repeat is nil.
func (j *joiner) table(p int, repeat func(first, later *entry)) []slot {
	table := j.buf[:tableSize(j.first[p+1]-j.first[p])]
	clear(table)
	mask := uint32(len(table) - 1)
	for pos := j.first[p]; pos < j.first[p+1]; pos++ {
		e := &j.ents[pos]
		state := j.idx.state[e.ci]
		if state == stateNone {
			continue
		}
		for k := e.h & mask; ; k = (k + 1) & mask {
			sl := &table[k]
			if sl.pos == 0 {
				*sl = slot{h: e.h, pos: int32(pos) + 1}
				if state == stateConflict {
					sl.last = conflicted
				}
				break
			}
			if sl.h == e.h && j.ents[sl.pos-1].id == e.id {
				repeat(&j.ents[sl.pos-1], e)
				break
			}
		}
	}
	return table
}

func (j *joiner) part(h uint64) int {
	if j.parts == 1 {
		return 0
	}
	return int(h >> j.shift)
}

// tableSize is a power of two at least 4/3 of n (a load of at most 3/4).
func tableSize(n int) int {
	if n == 0 {
		return 0
	}
	return 1 << bits.Len(uint(n+n/3))
}

// carrier enumerates the changes every group's deployments carry and
// resolves them, partition by partition.
func (j *joiner) carrier(groups []*prepared) *joinCarrier {
	jc := &joinCarrier{off: make([][]int32, len(groups)), missing: map[[2]int]bool{}}
	total := 0
	for _, p := range groups {
		for _, d := range p.deps {
			total += len(d.Changes)
		}
	}
	// Count each partition's references as they are listed.
	refs := make([]carry, 0, total)
	start := make([]int, j.parts+1)
	add := func(id string, ci int32) {
		refs = append(refs, carry{id: id, ci: ci})
		start[j.part(maphash.String(j.seed, id))+1]++
	}
	for gi, p := range groups {
		off := make([]int32, len(p.deps)+1)
		for i, d := range p.deps {
			off[i] = int32(len(refs))
			if d.Kind == KindRollback {
				continue
			}
			if len(d.Changes) > 0 { // the common case, without carriedBy's closure
				for _, id := range d.Changes {
					add(id, lookup)
				}
				continue
			}
			if !carriedBy(p, i, j.idx, add) {
				jc.missing[[2]int{gi, i}] = true
			}
		}
		off[len(p.deps)] = int32(len(refs))
		jc.off[gi] = off
	}
	for p := range j.parts {
		start[p+1] += start[p]
	}
	// Scatter the references into partitions, in order, hashing the IDs
	// again (see newJoiner). pref is a reference in partition order: its
	// hash, index and group (+1); its ID is in refs, where its result goes.
	type pref struct {
		h    uint32 // as entry.h
		k, g int32
	}
	order := make([]pref, len(refs))
	next := append([]int(nil), start[:j.parts]...)
	for gi, off := range jc.off {
		for k := off[0]; k < off[len(off)-1]; k++ {
			h := maphash.String(j.seed, refs[k].id)
			p := j.part(h)
			order[next[p]] = pref{uint32(h), k, int32(gi) + 1}
			next[p]++
		}
	}
	for p := range j.parts {
		table := j.table(p, nil)
		mask := uint32(len(table) - 1)
		for _, pr := range order[start[p]:start[p+1]] {
			r := &refs[pr.k]
			if len(table) == 0 {
				r.ci = unknownChange
				continue
			}
			var found *slot
			for s := pr.h & mask; table[s].pos != 0; s = (s + 1) & mask {
				sl := &table[s]
				if e := &j.ents[sl.pos-1]; sl.h == pr.h && (r.ci == e.ci || r.ci == lookup && e.id == r.id) {
					found = sl
					break
				}
			}
			switch {
			case found == nil || found.last == conflicted:
				r.ci = unknownChange
			case found.last == pr.g:
				r.ci = counted
			default:
				found.last = pr.g
				e := &j.ents[found.pos-1]
				r.ci, r.start = e.ci, e.start
			}
		}
	}
	jc.res = refs
	return jc
}

// startOf is when a deployment started, or finished if its start is
// unknown.
func startOf(d *Deployment) time.Time {
	if d.StartedAt.IsZero() {
		return d.FinishedAt
	}
	return d.StartedAt
}
