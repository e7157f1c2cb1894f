package vuln_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/vuln"
)

// benchEcosystems are the ecosystems of the generated data, with the purl
// type and a version spelling for each.
var benchEcosystems = []struct {
	eco, purlType string
	version       func(major, minor int) string
}{
	{"Go", "golang", func(a, b int) string { return fmt.Sprintf("v%d.%d.0", a, b) }},
	{"npm", "npm", func(a, b int) string { return fmt.Sprintf("%d.%d.0", a, b) }},
	{"PyPI", "pypi", func(a, b int) string { return fmt.Sprintf("%d.%d", a, b) }},
	{"Maven", "maven", func(a, b int) string { return fmt.Sprintf("%d.%d.0", a, b) }},
	{"crates.io", "cargo", func(a, b int) string { return fmt.Sprintf("%d.%d.0", a, b) }},
}

// benchName is the name of package i in an ecosystem.
func benchName(eco string, i int) string {
	if eco == "Maven" {
		return fmt.Sprintf("org.example%d:artifact-%d", i%50, i)
	}
	if eco == "Go" {
		return fmt.Sprintf("example.com/org%d/module-%d", i%50, i)
	}
	return fmt.Sprintf("package-%d", i)
}

// benchRecords encodes n OSV records over n/5 packages (five records a
// package, spread over the ecosystems), each with a range and an explicit
// version list.
func benchRecords(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		e := benchEcosystems[i%len(benchEcosystems)]
		pkg := i / 5
		out[i] = fmt.Appendf(nil, `{"id": "BENCH-%d", "modified": "2026-01-01T00:00:00Z", "aliases": ["CVE-2026-%d"],
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
  "affected": [{"package": {"ecosystem": %q, "name": %q},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "%s"}, {"fixed": "%s"}]}],
    "versions": [%q]}]}`,
			i, 10000+i, e.eco, benchName(e.eco, pkg), e.version(1, i%7), e.version(1, i%7+3), e.version(0, i%9))
	}
	return out
}

// benchSBOM has n components, one per package of benchRecords(5n), at
// versions some ranges contain.
func benchSBOM(n int) *sbom.SBOM {
	s := &sbom.SBOM{Components: make([]sbom.Component, n)}
	for i := range s.Components {
		// Package i carries records 5i..5i+4, all of one ecosystem
		// only when 5 is a multiple of the ecosystem count.
		e := benchEcosystems[(5*i)%len(benchEcosystems)]
		name := benchName(e.eco, i)
		v := e.version(1, i%10)
		purlName := name
		if e.eco == "Maven" {
			purlName = fmt.Sprintf("org.example%d/artifact-%d", i%50, i)
		}
		s.Components[i] = sbom.Component{Ref: fmt.Sprint(i), Name: name, Version: v, PURL: fmt.Sprintf("pkg:%s/%s@%s", e.purlType, purlName, v)}
	}
	return s
}

func parseAll(b *testing.B, docs [][]byte) []*vuln.Record {
	records := make([]*vuln.Record, len(docs))
	for i, d := range docs {
		r, err := vuln.ParseRecord(d)
		if err != nil {
			b.Fatal(err)
		}
		records[i] = r
	}
	return records
}

// BenchmarkMatch matches 10,000 components against 50,000 OSV records;
// "index" parses and indexes the records, "match" matches once indexed.
func BenchmarkMatch(b *testing.B) {
	docs := benchRecords(50_000)
	b.Run("index", func(b *testing.B) {
		start := cpuTime()
		for b.Loop() {
			db := vuln.NewDB(parseAll(b, docs))
			if len(db.Problems()) != 0 {
				b.Fatal(db.Problems()[0])
			}
		}
		reportCPU(b, start)
	})
	db := vuln.NewDB(parseAll(b, docs))
	s := benchSBOM(10_000)
	m, err := vuln.NewMatcher(db, vuln.WithClock(func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("match", func(b *testing.B) {
		var findings int
		start := cpuTime()
		for b.Loop() {
			rep := m.Match(s)
			findings = len(rep.Findings)
			if len(rep.Skipped) != 0 {
				b.Fatal(rep.Skipped[0])
			}
		}
		if findings == 0 {
			b.Fatal("no findings: the benchmark data matches nothing")
		}
		b.ReportMetric(float64(findings), "findings")
		reportCPU(b, start)
	})
}

// reportCPU reports the CPU time per operation since start (GC included,
// across all threads), beside the wall time that a loaded machine
// stretches.
func reportCPU(b *testing.B, start time.Duration) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
