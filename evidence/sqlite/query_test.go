package sqlite_test

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

// queryFixture is 24 records whose fields overlap in many ways.
func queryFixture() []evidence.Record {
	var recs []evidence.Record
	stages := []string{"build", "test", "release", ""}
	for i := range 24 {
		r := record(fmt.Sprintf("q%d", i))
		r.Index = uint64(i)
		r.PredicateType = []string{"https://slsa.dev/provenance/v1", "https://in-toto.io/attestation/test-result/v0.1"}[i%2]
		r.Stage = stages[i%4]
		r.Subjects = []supplychain.Subject{{
			Name:   []string{"app", "lib", "cli"}[i%3],
			Digest: supplychain.DigestSet{"sha256": digestOf(fmt.Sprint("artifact", i%5))},
		}}
		if i%6 == 0 { // a second subject, with two algorithms
			r.Subjects = append(r.Subjects, supplychain.Subject{Name: "sbom", Digest: supplychain.DigestSet{
				"sha256": digestOf("sbom"), "sha512": digestOf("sbom") + digestOf("512"),
			}})
		}
		r.Labels = map[string]string{"team": []string{"a", "b"}[i%2]}
		if i%3 == 0 {
			r.Labels["env"] = "prod"
		}
		if i == 7 {
			r.Labels = nil
		}
		r.Signers = []sign.Identity{{KeyID: fmt.Sprint("key", i%3)}}
		if i%8 == 5 {
			r.Signers = append(r.Signers, sign.Identity{KeyID: "key9", Name: "second"})
		}
		if i == 11 {
			r.Signers = nil
		}
		r.RecordedAt = epoch.Add(time.Duration(i) * time.Minute)
		if i == 13 { // the same time as 12, plus a microsecond
			r.RecordedAt = epoch.Add(12*time.Minute + time.Microsecond)
		}
		recs = append(recs, r)
	}
	return recs
}

// matches is the reference semantics of a query's filters.
func matches(r evidence.Record, q evidence.Query) bool {
	has := func(f func(supplychain.Subject) bool) bool { return slices.ContainsFunc(r.Subjects, f) }
	switch {
	case q.SubjectDigest != "" && !has(func(s supplychain.Subject) bool {
		for alg, h := range s.Digest {
			if alg+":"+h == q.SubjectDigest {
				return true
			}
		}
		return false
	}):
		return false
	case q.SubjectName != "" && !has(func(s supplychain.Subject) bool { return s.Name == q.SubjectName }):
		return false
	case q.PredicateType != "" && r.PredicateType != q.PredicateType:
		return false
	case q.Stage != "" && r.Stage != q.Stage:
		return false
	case q.Signer != "" && !slices.ContainsFunc(r.Signers, func(s sign.Identity) bool { return s.KeyID == q.Signer }):
		return false
	case !q.Since.IsZero() && r.RecordedAt.Before(q.Since):
		return false
	case !q.Until.IsZero() && !r.RecordedAt.Before(q.Until):
		return false
	}
	for k, v := range q.Labels {
		if got, ok := r.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// reference runs q over recs by the reference semantics.
func reference(recs []evidence.Record, q evidence.Query) []uint64 {
	order := slices.Clone(recs)
	if q.Descending {
		slices.Reverse(order)
	}
	after, hasAfter := q.AfterIndex()
	limit := q.Limit
	if limit == 0 {
		limit = evidence.DefaultQueryLimit
	}
	var out []uint64
	for _, r := range order {
		if hasAfter && (!q.Descending && r.Index <= after || q.Descending && r.Index >= after) {
			continue
		}
		if matches(r, q) && len(out) < limit {
			out = append(out, r.Index)
		}
	}
	return out
}

func TestQuery(t *testing.T) {
	ctx := t.Context()
	b, _ := open(t)
	recs := queryFixture()
	for _, r := range recs { // one by one, so that times need not follow indexes
		_, err := b.Append(ctx, []evidence.Record{r}, grow)
		require.NoError(t, err)
	}
	digest := func(i int) string { return "sha256:" + digestOf(fmt.Sprint("artifact", i)) }
	sbom512 := "sha512:" + digestOf("sbom") + digestOf("512")
	micro := time.Microsecond

	tests := []struct {
		name string
		q    evidence.Query
		want []uint64 // checked by hand where given; always against the reference
	}{
		{name: "everything", q: evidence.Query{}, want: seq(0, 24)},
		{name: "subject digest", q: evidence.Query{SubjectDigest: digest(2)}, want: []uint64{2, 7, 12, 17, 22}},
		{name: "second subject's sha512", q: evidence.Query{SubjectDigest: sbom512}, want: []uint64{0, 6, 12, 18}},
		{name: "unknown digest", q: evidence.Query{SubjectDigest: "sha256:" + digestOf("nothing")}, want: nil},
		{name: "subject name", q: evidence.Query{SubjectName: "lib"}, want: []uint64{1, 4, 7, 10, 13, 16, 19, 22}},
		{name: "second subject's name", q: evidence.Query{SubjectName: "sbom"}, want: []uint64{0, 6, 12, 18}},
		{name: "predicate type", q: evidence.Query{PredicateType: "https://in-toto.io/attestation/test-result/v0.1"}, want: []uint64{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}},
		{name: "stage", q: evidence.Query{Stage: "release"}, want: []uint64{2, 6, 10, 14, 18, 22}},
		{name: "one label", q: evidence.Query{Labels: map[string]string{"env": "prod"}}, want: []uint64{0, 3, 6, 9, 12, 15, 18, 21}},
		{name: "two labels", q: evidence.Query{Labels: map[string]string{"env": "prod", "team": "b"}}, want: []uint64{3, 9, 15, 21}},
		{name: "label value differs", q: evidence.Query{Labels: map[string]string{"team": "c"}}, want: nil},
		{name: "signer", q: evidence.Query{Signer: "key9"}, want: []uint64{5, 13, 21}},
		{name: "since", q: evidence.Query{Since: epoch.Add(20 * time.Minute)}, want: []uint64{20, 21, 22, 23}},
		{name: "until", q: evidence.Query{Until: epoch.Add(2 * time.Minute)}, want: []uint64{0, 1}},
		{name: "since and until", q: evidence.Query{Since: epoch.Add(12 * time.Minute), Until: epoch.Add(14 * time.Minute)}, want: []uint64{12, 13}},
		{name: "since between microseconds", q: evidence.Query{Since: epoch.Add(12*time.Minute + 1), Until: epoch.Add(14 * time.Minute)}, want: []uint64{13}},
		{name: "until between microseconds", q: evidence.Query{Since: epoch.Add(12 * time.Minute), Until: epoch.Add(12*time.Minute + micro + 1)}, want: []uint64{12, 13}},
		{name: "until at a record's time excludes it", q: evidence.Query{Since: epoch.Add(12 * time.Minute), Until: epoch.Add(12*time.Minute + micro)}, want: []uint64{12}},
		{name: "since in another zone", q: evidence.Query{Since: epoch.Add(22 * time.Minute).In(time.FixedZone("X", -5*3600))}, want: []uint64{22, 23}},
		{name: "digest and stage", q: evidence.Query{SubjectDigest: digest(2), Stage: "release"}, want: []uint64{2, 22}},
		{name: "digest, name, signer, label", q: evidence.Query{SubjectDigest: digest(0), SubjectName: "app", Signer: "key0", Labels: map[string]string{"env": "prod"}}, want: []uint64{0, 15}},
		{name: "name and predicate type and time", q: evidence.Query{SubjectName: "app", PredicateType: "https://slsa.dev/provenance/v1", Since: epoch.Add(5 * time.Minute)}, want: []uint64{6, 12, 18}},
		{name: "signer and label", q: evidence.Query{Signer: "key1", Labels: map[string]string{"team": "a"}}, want: []uint64{4, 10, 16, 22}},
		{name: "every filter", q: evidence.Query{SubjectDigest: digest(3), SubjectName: "app", PredicateType: "https://slsa.dev/provenance/v1",
			Stage: "release", Labels: map[string]string{"team": "a", "env": "prod"}, Signer: "key0",
			Since: epoch, Until: epoch.Add(24 * time.Minute)}, want: []uint64{18}},
		{name: "descending", q: evidence.Query{Descending: true, Limit: 3}, want: []uint64{23, 22, 21}},
		{name: "descending by digest", q: evidence.Query{SubjectDigest: digest(2), Descending: true}, want: []uint64{22, 17, 12, 7, 2}},
		{name: "limit", q: evidence.Query{Stage: "build", Limit: 2}, want: []uint64{0, 4}},
		{name: "limit by label", q: evidence.Query{Labels: map[string]string{"team": "a"}, Limit: 2}, want: []uint64{0, 2}},
		{name: "after", q: evidence.Query{SubjectName: "lib", After: "10"}, want: []uint64{13, 16, 19, 22}},
		{name: "after descending", q: evidence.Query{SubjectName: "lib", After: "10", Descending: true}, want: []uint64{7, 4, 1}},
		{name: "after without filters", q: evidence.Query{After: "20"}, want: []uint64{21, 22, 23}},
		{name: "after descending without filters", q: evidence.Query{After: "2", Descending: true}, want: []uint64{1, 0}},
		{name: "after the end", q: evidence.Query{After: "23"}, want: nil},
		{name: "after beyond int64", q: evidence.Query{After: strconv.FormatUint(math.MaxUint64, 10)}, want: nil},
		{name: "after beyond int64 descending", q: evidence.Query{After: strconv.FormatUint(math.MaxUint64, 10), Descending: true, Limit: 2}, want: []uint64{23, 22}},
		{name: "after by digest, descending, limited", q: evidence.Query{SubjectDigest: digest(2), After: "22", Descending: true, Limit: 2}, want: []uint64{17, 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, reference(recs, tt.q), "the reference disagrees with the hand-written answer")
			for _, env := range []bool{false, true} {
				q := tt.q
				q.WithEnvelopes = env
				got := all(t, b.Query(ctx, q))
				assert.Equal(t, tt.want, nilIfEmpty(indexes(got)), "envelopes %v", env)
				for _, r := range got {
					want := recs[r.Index]
					if !env {
						want = bare(want)
					}
					assert.Equal(t, want, r)
				}
			}
		})
	}
}

func TestQueryPagination(t *testing.T) {
	ctx := t.Context()
	b, _ := open(t)
	recs := queryFixture()
	_, err := b.Append(ctx, recs, grow)
	require.NoError(t, err)
	queries := []evidence.Query{
		{},
		{Stage: "build"},
		{SubjectDigest: "sha256:" + digestOf("artifact1")},
		{Labels: map[string]string{"team": "b"}},
		{Signer: "key2", PredicateType: "https://slsa.dev/provenance/v1"},
	}
	for i, q := range queries {
		for _, desc := range []bool{false, true} {
			for _, limit := range []int{1, 2, 5} {
				t.Run(fmt.Sprintf("%d/desc=%v/limit=%d", i, desc, limit), func(t *testing.T) {
					q := q
					q.Descending, q.Limit = desc, limit
					var got []uint64
					for pages := 0; ; pages++ {
						require.Less(t, pages, 30, "pagination does not end")
						page := all(t, b.Query(ctx, q))
						require.LessOrEqual(t, len(page), limit)
						if len(page) == 0 {
							break
						}
						got = append(got, indexes(page)...)
						q.After = page[len(page)-1].Cursor()
					}
					q.After, q.Limit = "", evidence.MaxQueryLimit
					assert.Equal(t, reference(recs, q), got)
				})
			}
		}
	}
}

func TestQueryStopsEarly(t *testing.T) {
	ctx := t.Context()
	b, _ := open(t)
	_, err := b.Append(ctx, queryFixture(), grow)
	require.NoError(t, err)
	for range 100 {
		for r, err := range b.Query(ctx, evidence.Query{}) {
			require.NoError(t, err)
			require.Equal(t, uint64(0), r.Index)
			break
		}
	}
	// With rows left open, the appender's checkpoint and Close would
	// stall; both go through.
	_, err = b.Append(ctx, []evidence.Record{record("after")}, grow)
	require.NoError(t, err)
	require.NoError(t, b.Close(ctx))
}

func seq(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
