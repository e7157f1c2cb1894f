package vuln_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/vuln"
)

// FuzzParseRecord: parsing an OSV record never panics and every error is
// typed; an accepted record indexes and matches without panicking.
func FuzzParseRecord(f *testing.F) {
	for _, name := range []string{"go/PAVED-2026-0001.json", "go/GHSA-pavd-0001-test.json", "go/PAVED-2026-0002.json", "go/PAVED-2026-0003.json", "npm/bad-range.json"} {
		data, err := os.ReadFile(filepath.Join("testdata/osv", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "pkg:golang/example.com/vulnlib@v1.0.0")
	}
	f.Add([]byte(`{"id": "X", "modified": "2026-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": "A_b"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"last_affected": "1.0"}, {"introduced": "2!1"}]}]}]}`), "pkg:pypi/a-b@2!1.5")
	f.Fuzz(func(t *testing.T, data []byte, purl string) {
		r, err := vuln.ParseRecord(data)
		if err != nil {
			if !errors.Is(err, vuln.ErrInvalidRecord) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		db := vuln.NewDB([]*vuln.Record{r})
		for _, p := range db.Problems() {
			if !errors.Is(p, vuln.ErrInvalidRecord) {
				t.Fatalf("untyped problem: %v", p)
			}
		}
		m, err := vuln.NewMatcher(db)
		if err != nil {
			t.Fatal(err)
		}
		c := sbom.Component{Ref: "c", Name: "c", Version: "1.0.0", PURL: purl}
		if _, name, err := vuln.PackageOf(c); err == nil && name == "" {
			t.Fatal("PackageOf accepted a purl without a name")
		}
		m.Match(&sbom.SBOM{Components: []sbom.Component{c}})
	})
}

// FuzzCompare: comparing versions never panics, and the order is
// antisymmetric and reflexive.
func FuzzCompare(f *testing.F) {
	for _, s := range [][3]string{
		{"Go", "v1.2.3", "v1.2.3-pre"}, {"npm", "1.0.0-alpha.1", "1.0.0"}, {"PyPI", "1.0.post1", "1!0.5"},
		{"Maven", "1.0-SNAPSHOT", "1.0.RELEASE"}, {"crates.io", "0.10.0", "0.9.9"}, {"RubyGems", "1.0.0.pre", "1.0"},
		{"NuGet", "1.0.0-beta", "1.0.0"}, {"Debian", "1:2.3-4", "2.3-5"}, {"Fortran", "1", "2"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, eco, a, b string) {
		ab, err := vuln.Compare(eco, a, b)
		if err != nil {
			return
		}
		ba, err := vuln.Compare(eco, b, a)
		if err != nil {
			t.Fatalf("%s: %q vs %q compares, the reverse does not: %v", eco, a, b, err)
		}
		if ab != -ba {
			t.Fatalf("%s: %q vs %q is %d, the reverse %d", eco, a, b, ab, ba)
		}
		if aa, err := vuln.Compare(eco, a, a); err != nil || aa != 0 {
			t.Fatalf("%s: %q vs itself is %d, %v", eco, a, aa, err)
		}
	})
}
