package evidencetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Tamperer changes a backend's storage behind its back, as someone with
// direct access to the database would.
type Tamperer interface {
	// DeleteRecord removes the record at index.
	DeleteRecord(ctx context.Context, index uint64) error
	// RewriteStage changes the stored stage of the record at index.
	RewriteStage(ctx context.Context, index uint64, stage string) error
	// SwapRecords exchanges the contents of two records, keeping their
	// indexes.
	SwapRecords(ctx context.Context, i, j uint64) error
	// CorruptEnvelope flips a byte of the stored envelope of the record at
	// index.
	CorruptEnvelope(ctx context.Context, index uint64) error
}

// Opener returns a fresh, empty backend for one test, and a Tamperer over
// its storage. The suite closes the backend.
type Opener func(t *testing.T) (evidence.Backend, Tamperer)

// TestBackend runs the conformance suite against backends from open.
func TestBackend(t *testing.T, open Opener) {
	f := newFixture(t)
	t.Run("AppendGet", func(t *testing.T) { testAppendGet(t, f, open) })
	t.Run("Idempotent", func(t *testing.T) { testIdempotent(t, f, open) })
	t.Run("AtomicBatch", func(t *testing.T) { testAtomic(t, f, open) })
	t.Run("Query", func(t *testing.T) { testQuery(t, f, open) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, f, open) })
	t.Run("ConcurrentAppenders", func(t *testing.T) { testConcurrent(t, f, open) })
	t.Run("Proofs", func(t *testing.T) { testProofs(t, f, open) })
	t.Run("AuditDetectsTampering", func(t *testing.T) { testTampering(t, f, open) })
	t.Run("Retention", func(t *testing.T) { testRetention(t, f, open) })
	t.Run("Closed", func(t *testing.T) { testClosed(t, f, open) })
}

// fixture holds a signing key, a trust policy and a checkpoint key.
type fixture struct {
	signer     *sign.Signer
	trust      *sign.Trust
	skey, vkey string
}

func newFixture(t *testing.T) *fixture {
	s, err := sign.GenerateKey(sign.Ed25519)
	must(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: s.Verifier}}, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci"}}})
	must(t, err)
	skey, vkey, err := note.GenerateKey(nil, "paved.dev/evidencetest")
	must(t, err)
	return &fixture{signer: s, trust: trust, skey: skey, vkey: vkey}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// clock is a fake clock that moves one minute per reading.
type clock struct{ n atomic.Int64 }

var epoch = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func (c *clock) now() time.Time { return epoch.Add(time.Duration(c.n.Add(1)) * time.Minute) }

// store opens a Store over a fresh backend.
func (f *fixture) store(t *testing.T, open Opener) (*evidence.Store, Tamperer, *clock) {
	t.Helper()
	b, tamper := open(t)
	c := &clock{}
	s, err := evidence.Open(context.Background(), b, evidence.WithTrust(f.trust), evidence.WithCheckpointKey(f.skey), evidence.WithClock(c.now))
	must(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s, tamper, c
}

// subject returns the i-th artifact.
func subject(i int) supplychain.Subject {
	sum := sha256.Sum256(fmt.Appendf(nil, "artifact-%d", i))
	return supplychain.Subject{Name: fmt.Sprintf("artifact-%d", i%3), Digest: supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}}
}

// entry returns a signed entry about the i-th artifact, with a predicate
// type chosen by i%2.
func (f *fixture) entry(t *testing.T, i int, stage string, labels map[string]string) evidence.Entry {
	t.Helper()
	var p attest.Predicate = attest.Change{ID: fmt.Sprintf("PR-%d", i), Title: "change", Author: "dev", Owner: "team", Risk: "low", CreatedAt: epoch}
	if i%2 == 1 {
		p = attest.Generic{Type: "https://example.com/scan/v1", JSON: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
	}
	st, err := attest.Build(p, subject(i))
	must(t, err)
	env, err := sign.Sign(context.Background(), f.signer, st)
	must(t, err)
	b, err := json.Marshal(env)
	must(t, err)
	return evidence.Entry{Envelope: b, Stage: stage, Labels: labels}
}

func collect(t *testing.T, seq func(func(evidence.Record, error) bool)) []evidence.Record {
	t.Helper()
	var out []evidence.Record
	for r, err := range seq {
		must(t, err)
		out = append(out, r)
	}
	return out
}

func indexes(recs []evidence.Record) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.Index
	}
	return out
}

func equalIndexes(t *testing.T, want []uint64, recs []evidence.Record, what string) {
	t.Helper()
	got := indexes(recs)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: got indexes %v, want %v", what, got, want)
	}
}

func testAppendGet(t *testing.T, f *fixture, open Opener) {
	ctx := context.Background()
	s, _, _ := f.store(t, open)
	entries := []evidence.Entry{f.entry(t, 0, "build", map[string]string{"service": "api"}), f.entry(t, 1, "test", nil), f.entry(t, 2, "", nil)}
	recs, err := s.Append(ctx, entries...)
	must(t, err)
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	for i, r := range recs {
		if r.Index != uint64(i) {
			t.Errorf("record %d has index %d", i, r.Index)
		}
		got, err := s.Get(ctx, r.ID)
		must(t, err)
		if string(got.Envelope) != string(entries[i].Envelope) {
			t.Errorf("record %d: envelope bytes changed", i)
		}
		if got.Index != r.Index || got.Stage != entries[i].Stage || got.PredicateType != r.PredicateType ||
			string(got.LeafHash) != string(r.LeafHash) || !got.RecordedAt.Equal(r.RecordedAt) || got.EnvelopeSize != int64(len(entries[i].Envelope)) {
			t.Errorf("record %d did not round-trip: %+v vs %+v", i, got, r)
		}
		if string(got.ComputeLeafHash()) != string(r.LeafHash) {
			t.Errorf("record %d: stored content does not hash to its leaf", i)
		}
		if len(got.Signers) != 1 || got.Signers[0].KeyID != f.signer.KeyID() {
			t.Errorf("record %d: signers %v", i, got.Signers)
		}
		if len(got.Subjects) != 1 || !got.Subjects[0].Digest.Matches(subject(i).Digest) {
			t.Errorf("record %d: subjects %v", i, got.Subjects)
		}
	}
	if recs[0].Labels["service"] != "api" {
		t.Errorf("labels lost: %v", recs[0].Labels)
	}
	if _, err := s.Get(ctx, "sha256:"+fmt.Sprintf("%064d", 0)); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("Get of an unknown ID: %v, want ErrNotFound", err)
	}
}

func testIdempotent(t *testing.T, f *fixture, open Opener) {
	ctx := context.Background()
	s, _, _ := f.store(t, open)
	e := f.entry(t, 0, "build", nil)
	first, err := s.Append(ctx, e)
	must(t, err)
	again, err := s.Append(ctx, e, f.entry(t, 1, "build", nil), e)
	must(t, err)
	if again[0].ID != first[0].ID || again[0].Index != 0 || again[2].Index != 0 || again[1].Index != 1 {
		t.Errorf("re-appending gave indexes %v, want [0 1 0]", indexes(again))
	}
	if !again[0].RecordedAt.Equal(first[0].RecordedAt) {
		t.Errorf("the existing record's time changed")
	}
	if n, err := s.Size(ctx); err != nil || n != 2 {
		t.Errorf("size %d (%v), want 2", n, err)
	}
}

func testAtomic(t *testing.T, f *fixture, open Opener) {
	ctx := context.Background()
	s, _, _ := f.store(t, open)
	_, err := s.Append(ctx, f.entry(t, 0, "", nil))
	must(t, err)
	stranger, err := sign.GenerateKey(sign.Ed25519)
	must(t, err)
	st, err := attest.Build(attest.Generic{Type: "x", JSON: json.RawMessage(`{}`)}, subject(9))
	must(t, err)
	env, err := sign.Sign(ctx, stranger, st)
	must(t, err)
	untrusted, err := json.Marshal(env)
	must(t, err)
	garbled := f.entry(t, 3, "", nil)
	garbled.Envelope = garbled.Envelope[:len(garbled.Envelope)/2]

	_, err = s.Append(ctx, f.entry(t, 1, "", nil), evidence.Entry{Envelope: untrusted}, garbled, evidence.Entry{Envelope: nil})
	if !errors.Is(err, evidence.ErrInvalidEntry) || !errors.Is(err, sign.ErrUntrustedKey) {
		t.Errorf("bad batch: %v, want ErrInvalidEntry wrapping sign.ErrUntrustedKey", err)
	}
	var rejected []int
	for _, e := range unjoin(err) {
		var ee *evidence.EntryError
		if errors.As(e, &ee) {
			rejected = append(rejected, ee.Entry)
		}
	}
	if fmt.Sprint(rejected) != "[1 2 3]" {
		t.Errorf("rejected entries %v, want [1 2 3]", rejected)
	}
	if n, err := s.Size(ctx); err != nil || n != 1 {
		t.Errorf("size %d (%v) after a rejected batch, want 1: nothing of the batch is stored", n, err)
	}
	if _, err := s.Audit(ctx); err != nil {
		t.Errorf("audit after a rejected batch: %v", err)
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func testQuery(t *testing.T, f *fixture, open Opener) {
	ctx := context.Background()
	s, _, _ := f.store(t, open)
	stages := []string{"build", "test", "release"}
	for i := range 12 {
		labels := map[string]string{"service": fmt.Sprintf("svc-%d", i%2)}
		if i%4 == 0 {
			labels["hold"] = "legal"
		}
		_, err := s.Append(ctx, f.entry(t, i, stages[i%3], labels)) // one batch per minute
		must(t, err)
	}
	all := collect(t, s.Query(ctx, evidence.Query{}))
	equalIndexes(t, []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, all, "everything")
	if all[0].Envelope != nil {
		t.Error("a query without WithEnvelopes loaded envelopes")
	}
	d := subject(5).Digest.Digests()[0].String()
	tests := []struct {
		name string
		q    evidence.Query
		want []uint64
	}{
		{"subject digest", evidence.Query{SubjectDigest: d}, []uint64{5}},
		{"subject name", evidence.Query{SubjectName: "artifact-1"}, []uint64{1, 4, 7, 10}},
		{"predicate type", evidence.Query{PredicateType: attest.PredicateChange}, []uint64{0, 2, 4, 6, 8, 10}},
		{"stage", evidence.Query{Stage: "release"}, []uint64{2, 5, 8, 11}},
		{"label", evidence.Query{Labels: map[string]string{"hold": "legal"}}, []uint64{0, 4, 8}},
		{"labels, all of them", evidence.Query{Labels: map[string]string{"hold": "legal", "service": "svc-1"}}, nil},
		{"signer", evidence.Query{Signer: f.signer.KeyID(), Limit: 3}, []uint64{0, 1, 2}},
		{"unknown signer", evidence.Query{Signer: "0000"}, nil},
		{"time range", evidence.Query{Since: all[3].RecordedAt, Until: all[6].RecordedAt}, []uint64{3, 4, 5}},
		{"descending", evidence.Query{Stage: "build", Descending: true}, []uint64{9, 6, 3, 0}},
		{"combined", evidence.Query{Stage: "build", PredicateType: attest.PredicateChange, Labels: map[string]string{"service": "svc-0"}}, []uint64{0, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			equalIndexes(t, tt.want, collect(t, s.Query(ctx, tt.q)), tt.name)
		})
	}
	withEnv := collect(t, s.Query(ctx, evidence.Query{SubjectDigest: d, WithEnvelopes: true}))
	if len(withEnv) != 1 || len(withEnv[0].Envelope) == 0 {
		t.Error("WithEnvelopes did not load the envelope")
	}
	for _, bad := range []evidence.Query{{Limit: -1}, {Limit: evidence.MaxQueryLimit + 1}, {SubjectDigest: "sha256:xyz"}, {After: "x"}, {Since: epoch, Until: epoch}} {
		var got error
		for _, err := range s.Query(ctx, bad) {
			got = err
		}
		if !errors.Is(got, evidence.ErrInvalidQuery) {
			t.Errorf("query %+v: %v, want ErrInvalidQuery", bad, got)
		}
	}
}

func testPagination(t *testing.T, f *fixture, open Opener) {
	ctx := context.Background()
	s, _, _ := f.store(t, open)
	var batch []evidence.Entry
	for i := range 25 {
		batch = append(batch, f.entry(t, i, "build", nil))
	}
	_, err := s.Append(ctx, batch...)
	must(t, err)
	for _, desc := range []bool{false, true} {
		var seen []uint64
		q := evidence.Query{Limit: 7, Descending: desc}
		for {
			page := collect(t, s.Query(ctx, q))
			seen = append(seen, indexes(page)...)
			if len(page) < q.Limit {
				break
			}
			q.After = page[len(page)-1].Cursor()
		}
		if len(seen) != 25 {
			t.Fatalf("descending=%v: pages returned %d records, want 25: %v", desc, len(seen), seen)
		}
		for i, idx := range seen {
			want := uint64(i)
			if desc {
				want = uint64(24 - i)
			}
			if idx != want {
				t.Fatalf("descending=%v: pages returned %v", desc, seen)
			}
		}
	}
	// Stopping early releases the iterator.
	for range s.Query(ctx, evidence.Query{}) {
		break
	}
}

func testConcurrent(t *testing.T, f *fixture, open Opener) {
	ctx := context.Background()
	s, _, _ := f.store(t, open)
	const appenders, each = 16, 5
	entries := make([][]evidence.Entry, appenders)
	for a := range appenders {
		for i := range each {
			entries[a] = append(entries[a], f.entry(t, a*each+i, "build", nil))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, appenders*each)
	for a := range appenders {
		wg.Go(func() {
			for _, e := range entries[a] {
				if _, err := s.Append(ctx, e); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all := collect(t, s.Query(ctx, evidence.Query{Limit: evidence.MaxQueryLimit}))
	if len(all) != appenders*each {
		t.Fatalf("%d records, want %d", len(all), appenders*each)
	}
	for i, r := range all {
		if r.Index != uint64(i) {
			t.Fatalf("indexes are not consecutive: %v", indexes(all))
		}
	}
	if _, err := s.Audit(ctx); err != nil {
		t.Errorf("audit after concurrent appends: %v", err)
	}
}

func testProofs(t *testing.T, f *fixture, open Opener) {
	ctx := context.Background()
	s, _, _ := f.store(t, open)
	var first []evidence.Record
	for i := range 7 {
		recs, err := s.Append(ctx, f.entry(t, i, "build", nil))
		must(t, err)
		first = append(first, recs...)
	}
	old, err := s.Checkpoint(ctx)
	must(t, err)
	if old.Size != 7 {
		t.Fatalf("checkpoint size %d, want 7", old.Size)
	}
	for _, r := range first {
		p, err := s.InclusionProof(ctx, r.ID, old)
		must(t, err)
		if err := evidence.VerifyInclusion(f.vkey, old.Note, r, p); err != nil {
			t.Errorf("record %d: %v", r.Index, err)
		}
		forged := r
		forged.Stage = "release"
		if err := evidence.VerifyInclusion(f.vkey, old.Note, forged, p); !errors.Is(err, evidence.ErrInvalidProof) {
			t.Errorf("record %d with a rewritten stage verified: %v", r.Index, err)
		}
	}
	var more []evidence.Entry
	for i := 7; i < 20; i++ {
		more = append(more, f.entry(t, i, "test", nil))
	}
	_, err = s.Append(ctx, more...)
	must(t, err)
	cur, err := s.Checkpoint(ctx)
	must(t, err)
	hashes, err := s.ConsistencyProof(ctx, old, cur)
	must(t, err)
	if err := evidence.VerifyConsistency(f.vkey, old.Note, cur.Note, hashes); err != nil {
		t.Errorf("consistency 7 -> 20: %v", err)
	}
	if len(hashes) > 0 {
		hashes[0] = append([]byte(nil), hashes[0]...)
		hashes[0][0] ^= 1
		if err := evidence.VerifyConsistency(f.vkey, old.Note, cur.Note, hashes); !errors.Is(err, evidence.ErrInvalidProof) {
			t.Errorf("a tampered consistency proof verified: %v", err)
		}
	}
	p, err := s.InclusionProof(ctx, first[3].ID, cur)
	must(t, err)
	must(t, evidence.VerifyInclusion(f.vkey, cur.Note, first[3], p))
	_, otherKey, err := note.GenerateKey(nil, "paved.dev/evidencetest")
	must(t, err)
	if err := evidence.VerifyInclusion(otherKey, cur.Note, first[3], p); !errors.Is(err, evidence.ErrInvalidProof) {
		t.Errorf("a checkpoint verified with another key: %v", err)
	}
	rep, err := s.Audit(ctx)
	must(t, err)
	if rep.Size != 20 || rep.Checkpoints != 2 || string(rep.Root) != string(cur.Root) {
		t.Errorf("audit report %+v, want size 20, 2 checkpoints and the checkpoint's root", rep)
	}
}

func testTampering(t *testing.T, f *fixture, open Opener) {
	ctx := context.Background()
	tests := []struct {
		name   string
		tamper func(Tamperer) error
		want   []uint64
	}{
		{"deleted record", func(tm Tamperer) error { return tm.DeleteRecord(ctx, 4) }, []uint64{4}},
		{"rewritten stage", func(tm Tamperer) error { return tm.RewriteStage(ctx, 6, "release") }, []uint64{6}},
		{"reordered records", func(tm Tamperer) error { return tm.SwapRecords(ctx, 2, 3) }, []uint64{2, 3}},
		{"corrupted envelope", func(tm Tamperer) error { return tm.CorruptEnvelope(ctx, 5) }, []uint64{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, tm, _ := f.store(t, open)
			for i := range 8 {
				_, err := s.Append(ctx, f.entry(t, i, "build", nil))
				must(t, err)
			}
			_, err := s.Checkpoint(ctx)
			must(t, err)
			_, err = s.Audit(ctx)
			must(t, err)
			must(t, tt.tamper(tm))
			_, err = s.Audit(ctx)
			if !errors.Is(err, evidence.ErrTampered) {
				t.Fatalf("audit after tampering: %v, want ErrTampered", err)
			}
			found := map[uint64]bool{}
			for _, e := range unjoin(err) {
				var ae *evidence.AuditError
				if errors.As(e, &ae) {
					found[ae.Index] = true
				}
			}
			for _, i := range tt.want {
				if !found[i] {
					t.Errorf("audit did not name record %d: %v", i, err)
				}
			}
		})
	}
}

func testClosed(t *testing.T, f *fixture, open Opener) {
	ctx := context.Background()
	b, _ := open(t)
	s, err := evidence.Open(ctx, b, evidence.WithTrust(f.trust))
	must(t, err)
	must(t, s.Close(ctx))
	if _, err := s.Append(ctx, f.entry(t, 0, "", nil)); !errors.Is(err, evidence.ErrClosed) {
		t.Errorf("Append after Close: %v", err)
	}
	if _, err := s.Size(ctx); !errors.Is(err, evidence.ErrClosed) {
		t.Errorf("Size after Close: %v", err)
	}
	if err := s.Close(ctx); !errors.Is(err, evidence.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

func testRetention(t *testing.T, f *fixture, open Opener) {
	ctx := context.Background()
	b, _ := open(t)
	now := epoch
	s, err := evidence.Open(ctx, b, evidence.WithTrust(f.trust), evidence.WithCheckpointKey(f.skey),
		evidence.WithClock(func() time.Time { return now }))
	must(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	policy := evidence.Retention{
		Rules: []evidence.RetentionRule{
			{PredicateType: attest.PredicateChange, MaxAge: 30 * 24 * time.Hour},
			{MaxAge: 365 * 24 * time.Hour}, // everything else
		},
		Holds: []attest.LegalHold{{Label: "legal-hold", Reason: "case 7"}},
	}
	pruner, ok := b.(evidence.Pruner)
	if !ok {
		if _, err := s.Prune(ctx, policy, f.signer); !errors.Is(err, evidence.ErrPruneUnsupported) {
			t.Fatalf("Prune on a backend without Pruner: %v, want ErrPruneUnsupported", err)
		}
		return
	}

	// Records 0, 2, 4 are changes (2 under a legal hold), 1, 3, 5 scans;
	// 4 and 5 are recent.
	var recs []evidence.Record
	for i := range 6 {
		var labels map[string]string
		if i == 2 {
			labels = map[string]string{"legal-hold": "case-7"}
		}
		if i == 4 {
			now = epoch.Add(80 * 24 * time.Hour)
		}
		r, err := s.Append(ctx, f.entry(t, i, "build", labels))
		must(t, err)
		recs = append(recs, r[0])
	}
	before, err := s.Checkpoint(ctx)
	must(t, err)

	// Bad policies are refused, and nothing changes.
	for _, bad := range []evidence.Retention{
		{},
		{Rules: []evidence.RetentionRule{{MaxAge: -time.Hour}}},
		{Rules: []evidence.RetentionRule{{MaxAge: time.Hour}, {MaxAge: 2 * time.Hour}}},
		{Rules: []evidence.RetentionRule{{PredicateType: attest.PredicatePrune, MaxAge: time.Hour}}},
		{Rules: []evidence.RetentionRule{{MaxAge: time.Hour}}, Holds: []attest.LegalHold{{Value: "x"}}},
	} {
		if _, err := s.Prune(ctx, bad, f.signer); !errors.Is(err, evidence.ErrInvalidRetention) {
			t.Errorf("Prune(%+v): %v, want ErrInvalidRetention", bad, err)
		}
	}
	if size, err := s.Size(ctx); err != nil || size != 6 {
		t.Fatalf("size after refused prunes: %d, %v", size, err)
	}

	now = epoch.Add(100 * 24 * time.Hour)
	report, err := s.Prune(ctx, policy, f.signer)
	must(t, err)
	if want := []string{recs[0].ID}; fmt.Sprint(report.Pruned) != fmt.Sprint(want) {
		t.Errorf("pruned %v, want %v (record 0 only: 2 is held, 4 is recent, scans keep a year)", report.Pruned, want)
	}
	if report.Held != 1 || len(report.PruneRecords) != 1 {
		t.Fatalf("report: held %d, prune records %d; want 1 and 1", report.Held, len(report.PruneRecords))
	}

	// The pruned record keeps everything but its envelope.
	got, err := s.Get(ctx, recs[0].ID)
	must(t, err)
	if got.Envelope != nil || !got.PrunedAt.Equal(now) || !equalLeaf(got, recs[0]) {
		t.Errorf("pruned record: envelope %d bytes, pruned at %v, leaf kept %v", len(got.Envelope), got.PrunedAt, equalLeaf(got, recs[0]))
	}
	for _, i := range []int{1, 2, 3, 4, 5} {
		got, err := s.Get(ctx, recs[i].ID)
		must(t, err)
		if got.Envelope == nil || !got.PrunedAt.IsZero() {
			t.Errorf("record %d lost its envelope", i)
		}
	}
	for r, err := range s.Query(ctx, evidence.Query{PredicateType: attest.PredicateChange, WithEnvelopes: true}) {
		must(t, err)
		if (r.Index == 0) != (r.Envelope == nil) {
			t.Errorf("query: record %d envelope %d bytes, pruned at %v", r.Index, len(r.Envelope), r.PrunedAt)
		}
	}

	// The prune is itself a record, listing what it pruned.
	pr, err := s.Get(ctx, report.PruneRecords[0].ID)
	must(t, err)
	if pr.PredicateType != attest.PredicatePrune || pr.Index != 6 || len(pr.Subjects) != 1 ||
		"sha256:"+pr.Subjects[0].Digest["sha256"] != recs[0].ID || pr.Subjects[0].Name != "record:0" {
		t.Errorf("prune record: %+v", pr)
	}

	// The log still verifies: audit, old proofs, and the new checkpoint is
	// consistent with the old one.
	if _, err := s.Audit(ctx); err != nil {
		t.Fatalf("audit after prune: %v", err)
	}
	after, err := s.Checkpoint(ctx)
	must(t, err)
	p, err := s.InclusionProof(ctx, recs[0].ID, after)
	must(t, err)
	if err := evidence.VerifyInclusion(f.vkey, after.Note, got, p); err != nil {
		t.Errorf("inclusion of the pruned record: %v", err)
	}
	cp, err := s.ConsistencyProof(ctx, before, after)
	must(t, err)
	if err := evidence.VerifyConsistency(f.vkey, before.Note, after.Note, cp); err != nil {
		t.Errorf("consistency across the prune: %v", err)
	}

	// Pruning again finds nothing new and records nothing.
	again, err := s.Prune(ctx, policy, f.signer)
	must(t, err)
	if len(again.Pruned) != 0 || len(again.PruneRecords) != 0 {
		t.Errorf("second prune: %+v", again)
	}

	// An envelope dropped behind the store's back, with no prune record,
	// fails the audit at its index.
	if _, err := pruner.Prune(ctx, []string{recs[3].ID}, now); err != nil {
		t.Fatal(err)
	}
	_, err = s.Audit(ctx)
	var ae *evidence.AuditError
	if !errors.As(err, &ae) || ae.Index != 3 {
		t.Errorf("audit after an unrecorded prune: %v, want record 3 named", err)
	}
}

// equalLeaf reports whether two records have the same leaf content.
func equalLeaf(a, b evidence.Record) bool { return string(a.LeafData()) == string(b.LeafData()) }
