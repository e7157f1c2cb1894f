package sqlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/supplychain"
)

// Example opens a backend in a temporary directory, appends a record and
// reads it back. Programs use the backend through evidence.Store, which
// makes the records and grows the Merkle tree; here a trivial GrowFunc
// stores each record's leaf hash as its leaf node.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "paved-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	b, err := sqlite.Open(ctx, filepath.Join(dir, ".paved", "evidence.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close(ctx)

	env := []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`)
	id := sha256.Sum256(env)
	leaf := sha256.Sum256(append([]byte{0}, env...))
	rec := evidence.Record{
		ID:            "sha256:" + hex.EncodeToString(id[:]),
		LeafHash:      leaf[:],
		Envelope:      env,
		EnvelopeSize:  int64(len(env)),
		PredicateType: "https://slsa.dev/provenance/v1",
		Subjects:      []supplychain.Subject{{Name: "app", Digest: supplychain.DigestSet{"sha256": hex.EncodeToString(leaf[:])}}},
		Stage:         "build",
		RecordedAt:    time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC),
	}
	leaves := func(size uint64, fresh []evidence.Record, _ evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
		nodes := make(map[evidence.NodeID][]byte, len(fresh))
		for _, r := range fresh {
			nodes[evidence.NodeID{Level: 0, Index: r.Index}] = r.LeafHash
		}
		return nodes, nil
	}
	if _, err := b.Append(ctx, []evidence.Record{rec}, leaves); err != nil {
		fmt.Println(err)
		return
	}

	got, err := b.Get(ctx, rec.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Index, got.ID[:19], got.Stage, len(got.Envelope) == len(env))
	// Output: 0 sha256:1b14307f1be2 build true
}
