package evidence_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

var benchRecords = flag.Int("evidence.records", 20000, "records in the log for BenchmarkAudit and BenchmarkInclusionProof")

// benchLog builds a SQLite log of n records whose envelopes are about 4 KiB
// each, with a checkpoint over all of them.
func benchLog(b *testing.B, n int) (*evidence.Store, *evidence.Checkpoint, []string) {
	b.Helper()
	ctx := context.Background()
	signer, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		b.Fatal(err)
	}
	skey, _, err := note.GenerateKey(nil, "example.com/bench")
	if err != nil {
		b.Fatal(err)
	}
	back, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "evidence.db"))
	if err != nil {
		b.Fatal(err)
	}
	store, err := evidence.Open(ctx, back, evidence.WithoutVerificationUnsafe(), evidence.WithCheckpointKey(skey))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close(ctx) })
	filler := strings.Repeat("x", 2900) // a ~3 KiB predicate: a ~4 KiB base64 envelope
	var ids []string
	for start := 0; start < n; start += 1000 {
		var batch []evidence.Entry
		for i := start; i < min(start+1000, n); i++ {
			sum := sha256.Sum256(fmt.Appendf(nil, "artifact-%d", i))
			st, err := attest.Build(attest.Generic{Type: "https://example.com/bench/v1", JSON: json.RawMessage(fmt.Sprintf(`{"n":%d,"pad":%q}`, i, filler))},
				supplychain.Subject{Name: "a", Digest: supplychain.DigestSet{"sha256": fmt.Sprintf("%x", sum)}})
			if err != nil {
				b.Fatal(err)
			}
			env, err := sign.Sign(ctx, signer, st)
			if err != nil {
				b.Fatal(err)
			}
			raw, err := json.Marshal(env)
			if err != nil {
				b.Fatal(err)
			}
			batch = append(batch, evidence.Entry{Envelope: raw, Stage: "build"})
		}
		recs, err := store.Append(ctx, batch...)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
	}
	cp, err := store.Checkpoint(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return store, cp, ids
}

// BenchmarkAudit audits a log of -evidence.records records of ~4 KiB and
// reports records/s; beside it, SHA-256 alone over the same envelopes on
// one core, the floor the goal is measured against.
func BenchmarkAudit(b *testing.B) {
	ctx := context.Background()
	store, _, ids := benchLog(b, *benchRecords)
	b.Run("audit", func(b *testing.B) {
		for b.Loop() {
			if _, err := store.Audit(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(ids))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	envs := make([][]byte, 0, 1000)
	for _, id := range ids[:min(1000, len(ids))] {
		r, err := store.Get(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		envs = append(envs, r.Envelope)
	}
	b.Run("sha256-one-core", func(b *testing.B) {
		n := 0
		for b.Loop() {
			sha256.Sum256(envs[n%len(envs)])
			n++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkInclusionProof proves and verifies records of a log of
// -evidence.records records.
func BenchmarkInclusionProof(b *testing.B) {
	ctx := context.Background()
	store, cp, ids := benchLog(b, *benchRecords)
	b.Run("prove", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := store.InclusionProof(ctx, ids[i%len(ids)], cp); err != nil {
				b.Fatal(err)
			}
			i += 7919
		}
	})
}
