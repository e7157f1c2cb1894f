package sqlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

var epoch = time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)

// open opens a backend on a fresh file in t's temporary directory, and
// closes it when t ends.
func open(t testing.TB, opts ...sqlite.Option) (*sqlite.Backend, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "evidence.db")
	b, err := sqlite.Open(context.Background(), path, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b, path
}

// envelope returns distinct envelope bytes for name.
func envelope(name string) []byte {
	return fmt.Appendf(nil, `{"payloadType":"application/vnd.in-toto+json","payload":"%s","signatures":[{"keyid":"k","sig":"c2ln"}]}`,
		hex.EncodeToString([]byte(name)))
}

// digestOf returns the sha256 hex of s.
func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// record returns a record with every field set, distinct for name, as the
// Store would make it (before the backend assigns its index).
func record(name string) evidence.Record {
	env := envelope(name)
	id := "sha256:" + digestOf(string(env))
	leaf := sha256.Sum256(append([]byte{0}, env...))
	return evidence.Record{
		ID:            id,
		LeafHash:      leaf[:],
		Envelope:      env,
		EnvelopeSize:  int64(len(env)),
		PredicateType: "https://slsa.dev/provenance/v1",
		Subjects: []supplychain.Subject{{
			Name:   "artifact-" + name,
			Digest: supplychain.DigestSet{"sha256": digestOf("artifact-" + name)},
		}},
		Stage:      "build",
		Labels:     map[string]string{"team": "platform"},
		Signers:    []sign.Identity{{KeyID: digestOf("key"), Name: "ci"}},
		RecordedAt: epoch,
	}
}

// with returns r changed by f.
func with(r evidence.Record, f func(*evidence.Record)) evidence.Record {
	f(&r)
	return r
}

// at returns r stored at index i, as Get returns it.
func at(r evidence.Record, i uint64) evidence.Record {
	r.Index = i
	return r
}

// bare returns r without its envelope, as Append and Query return it.
func bare(r evidence.Record) evidence.Record {
	r.Envelope = nil
	return r
}

// grow is a trivial GrowFunc: it stores each fresh record's leaf hash as
// its level-0 node, and reads the previous leaf to prove the reader works
// inside the append's transaction.
func grow(size uint64, fresh []evidence.Record, read evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
	if size > 0 {
		prev, err := read([]evidence.NodeID{{Level: 0, Index: size - 1}})
		if err != nil {
			return nil, fmt.Errorf("read previous leaf: %w", err)
		}
		if len(prev) != 1 || len(prev[0]) == 0 {
			return nil, fmt.Errorf("read previous leaf: got %d hashes", len(prev))
		}
	}
	nodes := make(map[evidence.NodeID][]byte, len(fresh))
	for i, r := range fresh {
		if r.Index != size+uint64(i) {
			return nil, fmt.Errorf("fresh record %d has index %d, want %d", i, r.Index, size+uint64(i))
		}
		nodes[evidence.NodeID{Level: 0, Index: r.Index}] = r.LeafHash
	}
	return nodes, nil
}

// all collects a sequence, failing t on an error.
func all[T any](t testing.TB, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

// indexes returns the records' indexes.
func indexes(rs []evidence.Record) []uint64 {
	out := make([]uint64, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Index)
	}
	return out
}
