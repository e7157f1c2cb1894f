package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

var benchRecords = flag.Int("sqlite.records", 100_000, "records in the log BenchmarkQueryBySubject queries")

// BenchmarkAppend compares the backend's Append with bare INSERTs of
// equivalent rows into one plain table of the same kind of file (WAL,
// synchronous=FULL): one record per transaction, and 100.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 100} {
		name := "single"
		if batch > 1 {
			name = fmt.Sprintf("batch-%d", batch)
		}
		b.Run("backend/"+name, func(b *testing.B) {
			ctx := context.Background()
			be, _ := open(b)
			n := 0
			recs := make([]evidence.Record, batch)
			for b.Loop() {
				for i := range recs {
					recs[i] = record(fmt.Sprint("bench-", n))
					n++
				}
				if _, err := be.Append(ctx, recs, grow); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
		})
		b.Run("insert/"+name, func(b *testing.B) {
			ctx := context.Background()
			db := plainTable(b)
			insert, err := db.PrepareContext(ctx, `INSERT INTO plain (idx, id, leaf_hash, envelope, envelope_size, predicate_type, stage, recorded_at, subjects, labels, signers)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			require.NoError(b, err)
			defer insert.Close()
			n := 0
			for b.Loop() {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				stmt := tx.StmtContext(ctx, insert)
				for range batch {
					r := record(fmt.Sprint("bench-", n))
					subjects, _ := json.Marshal(r.Subjects)
					labels, _ := json.Marshal(r.Labels)
					signers, _ := json.Marshal(r.Signers)
					if _, err := stmt.ExecContext(ctx, n, r.ID, r.LeafHash, r.Envelope, r.EnvelopeSize, r.PredicateType, r.Stage,
						r.RecordedAt.UnixMicro(), string(subjects), string(labels), string(signers)); err != nil {
						b.Fatal(err)
					}
					n++
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
		})
	}
}

// plainTable opens a file like the backend's, with one table and no
// index beyond its primary key.
func plainTable(b *testing.B) *sql.DB {
	path := filepath.Join(b.TempDir(), "plain.db")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path),
		RawQuery: "_busy_timeout=30000&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"}
	db, err := sql.Open("sqlite", u.String())
	require.NoError(b, err)
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { _ = db.Close() })
	_, err = db.Exec(`CREATE TABLE plain (
		idx INTEGER PRIMARY KEY, id TEXT NOT NULL, leaf_hash BLOB NOT NULL, envelope BLOB NOT NULL, envelope_size INTEGER NOT NULL,
		predicate_type TEXT NOT NULL, stage TEXT NOT NULL, recorded_at INTEGER NOT NULL, subjects TEXT, labels TEXT, signers TEXT
	) STRICT`)
	require.NoError(b, err)
	return db
}

// benchRecord is the i-th record of a log of n for the query benchmark:
// its subject is one of n/10 artifacts (an artifact gathers about 10
// records: provenance, SBOM, scans, tests, approvals, deployments), and one
// record in 100 also names the "hot" artifact, which so has n/100.
func benchRecord(i, n int) evidence.Record {
	artifacts := max(n/10, 1)
	r := record(fmt.Sprint("q-", i))
	r.PredicateType = []string{"https://slsa.dev/provenance/v1", "https://in-toto.io/attestation/test-result/v0.1", "https://cyclonedx.org/bom"}[i%3]
	r.Stage = []string{"build", "test", "release", "operate"}[i%4]
	r.Subjects = []supplychain.Subject{{
		Name:   fmt.Sprint("service-", i%50),
		Digest: supplychain.DigestSet{"sha256": digestOf(fmt.Sprint("artifact-", i%artifacts))},
	}}
	if i%100 == 0 {
		r.Subjects = append(r.Subjects, supplychain.Subject{Name: "hot", Digest: supplychain.DigestSet{"sha256": digestOf("hot")}})
	}
	r.Labels = map[string]string{"team": fmt.Sprint("team-", i%10), "env": []string{"dev", "prod"}[i%2]}
	r.Signers = []sign.Identity{{KeyID: digestOf(fmt.Sprint("key-", i%5)), Name: "ci"}}
	r.RecordedAt = epoch.Add(time.Duration(i) * time.Second)
	return r
}

// BenchmarkQueryBySubject queries a log of -sqlite.records records (100,000
// by default) by subject digest, with the default limit of 100, and reports
// the median and 99th percentile latency beside the mean. "artifact" asks
// for a different artifact each time (about 10 records each, mostly not in
// any cache); "hot" for one with n/100 records, of which it reads the first
// page of 100.
func BenchmarkQueryBySubject(b *testing.B) {
	ctx := context.Background()
	be, _ := open(b)
	start := time.Now()
	const batch = 1000
	recs := make([]evidence.Record, 0, batch)
	for i := 0; i < *benchRecords; i += batch {
		recs = recs[:0]
		for j := i; j < min(i+batch, *benchRecords); j++ {
			recs = append(recs, benchRecord(j, *benchRecords))
		}
		if _, err := be.Append(ctx, recs, grow); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("appended %d records in %v", *benchRecords, time.Since(start).Round(time.Millisecond))

	artifacts := max(*benchRecords/10, 1)
	artifact := func(i int) string { return "sha256:" + digestOf(fmt.Sprint("artifact-", i*7919%artifacts)) }
	hot := "sha256:" + digestOf("hot")
	tests := []struct {
		name string
		q    func(i int) evidence.Query
	}{
		{"artifact", func(i int) evidence.Query { return evidence.Query{SubjectDigest: artifact(i)} }},
		{"artifact/descending", func(i int) evidence.Query { return evidence.Query{SubjectDigest: artifact(i), Descending: true} }},
		{"artifact/stage", func(i int) evidence.Query {
			return evidence.Query{SubjectDigest: artifact(i), Stage: "release"}
		}},
		{"hot", func(int) evidence.Query { return evidence.Query{SubjectDigest: hot} }},
		{"hot/descending", func(int) evidence.Query { return evidence.Query{SubjectDigest: hot, Descending: true} }},
		{"hot/page-5", func(int) evidence.Query {
			return evidence.Query{SubjectDigest: hot, After: fmt.Sprint(*benchRecords / 2)}
		}},
		{"hot/envelopes", func(int) evidence.Query { return evidence.Query{SubjectDigest: hot, WithEnvelopes: true} }},
		{"hot/predicate-type", func(int) evidence.Query {
			return evidence.Query{SubjectDigest: hot, PredicateType: "https://cyclonedx.org/bom"}
		}},
		{"hot/label", func(int) evidence.Query {
			return evidence.Query{SubjectDigest: hot, Labels: map[string]string{"team": "team-0"}}
		}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			var lat []time.Duration
			rows, i := 0, 0
			for b.Loop() {
				t0 := time.Now()
				for _, err := range be.Query(ctx, tt.q(i)) {
					if err != nil {
						b.Fatal(err)
					}
					rows++
				}
				lat = append(lat, time.Since(t0))
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			b.ReportMetric(float64(rows)/float64(i), "rows/op")
		})
	}
}

// The backend under the benchmark is the one the package offers.
var _ evidence.Backend = (*sqlite.Backend)(nil)
