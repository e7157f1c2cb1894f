package metrics

import "hash/maphash"

// idIndex finds a Stream's records by ID. It is an open-addressing hash
// table of record indices with (32 bits of) their IDs' hashes: the records
// hold the IDs, so the table holds no strings for the garbage collector to
// scan, a slot takes 8 bytes, and growing moves slots without hashing an ID
// again.
type idIndex struct {
	seed  maphash.Seed
	slots []idSlot // a power of two long, at most 3/4 full; nil while empty
	n     int
}

// idSlot is one slot of an idIndex.
type idSlot struct {
	h   uint32 // as many bits as a table of int32 records needs
	rec int32  // the record's index + 1; 0 for an empty slot
}

func newIDIndex() idIndex { return idIndex{seed: maphash.MakeSeed()} }

// hash is the hash of id that find and add take.
func (x *idIndex) hash(id string) uint32 { return uint32(maphash.String(x.seed, id)) }

// find returns the index of the record whose ID is id (of hash h), and
// whether there is one; idOf returns the ID of a record.
func (x *idIndex) find(h uint32, id string, idOf func(rec int32) string) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	mask := uint32(len(x.slots) - 1)
	for k := h & mask; x.slots[k].rec != 0; k = (k + 1) & mask {
		if s := x.slots[k]; s.h == h && idOf(s.rec-1) == id {
			return s.rec - 1, true
		}
	}
	return 0, false
}

// add indexes record rec, whose ID has hash h and is not indexed yet.
func (x *idIndex) add(h uint32, rec int32) {
	if (x.n+1)*4 > len(x.slots)*3 {
		old := x.slots
		x.slots = make([]idSlot, max(64, 2*len(old)))
		for _, s := range old {
			if s.rec != 0 {
				x.put(s)
			}
		}
	}
	x.put(idSlot{h: h, rec: rec + 1})
	x.n++
}

// put stores s in the first free slot of its probe sequence.
func (x *idIndex) put(s idSlot) {
	mask := uint32(len(x.slots) - 1)
	k := s.h & mask
	for x.slots[k].rec != 0 {
		k = (k + 1) & mask
	}
	x.slots[k] = s
}

// chunks is a list of records kept in chunks of a fixed size, so that
// growing it never copies them.
type chunks[T any] struct {
	c [][]T
	n int32
}

// chunkSize is the number of records in a chunk.
const chunkSize = 1 << 10

// at returns record i.
func (c *chunks[T]) at(i int32) *T { return &c.c[i/chunkSize][i%chunkSize] }

// push appends a copy of *v and returns its index.
func (c *chunks[T]) push(v *T) int32 {
	if c.n%chunkSize == 0 {
		c.c = append(c.c, make([]T, 0, chunkSize))
	}
	last := &c.c[len(c.c)-1]
	*last = append(*last, *v)
	c.n++
	return c.n - 1
}
