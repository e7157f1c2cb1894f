package metrics

import (
	"strconv"
	"testing"
)

// TestIDIndex finds every added ID after the table grew, tells IDs of
// equal hashes apart by the records' IDs, and finds no absent ID.
func TestIDIndex(t *testing.T) {
	for _, tc := range []struct {
		name string
		hash func(x *idIndex, id string) uint32
	}{
		{"seeded hash", (*idIndex).hash},
		{"every hash equal", func(*idIndex, string) uint32 { return 7 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newIDIndex()
			var ids []string
			idOf := func(rec int32) string { return ids[rec] }
			n := 5000
			if tc.name == "every hash equal" {
				n = 300
			}
			for i := range n {
				id := "id-" + strconv.Itoa(i)
				if _, ok := x.find(tc.hash(&x, id), id, idOf); ok {
					t.Fatalf("found %s before adding it", id)
				}
				ids = append(ids, id)
				x.add(tc.hash(&x, id), int32(i))
			}
			for i, id := range ids {
				if rec, ok := x.find(tc.hash(&x, id), id, idOf); !ok || rec != int32(i) {
					t.Fatalf("find(%s) = %d, %v; want %d, true", id, rec, ok, i)
				}
			}
			for _, id := range []string{"id-" + strconv.Itoa(n), "", "id"} {
				if rec, ok := x.find(tc.hash(&x, id), id, idOf); ok {
					t.Errorf("find(%q) = %d, true; want not found", id, rec)
				}
			}
		})
	}
}
