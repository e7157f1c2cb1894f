package ledger_test

import (
	"errors"
	"testing"

	"github.com/paved-dev/paved/supplychain/ledger"
)

// FuzzParseRange feeds arbitrary range expressions and versions to
// ParseRange and Range.Contains: a range parses or is ErrInvalid, its
// String form parses back to the same range, and Contains never panics.
func FuzzParseRange(f *testing.F) {
	for _, seed := range []struct{ expr, version string }{
		{"<2.17.1", "2.14.1"}, {">=2.0.0-beta9, <2.17.1", "2.0.0-rc1"}, {"==1.2.3", "1.2.3"},
		{"*", "v0.0.0-20200101000000-abcdefabcdef"}, {"<=1,>0", "1.0.0.post1"}, {"<1.0", "1.0-SNAPSHOT"},
		{"=", ""}, {">", "99999999999999999999999999.0"},
	} {
		f.Add(seed.expr, seed.version)
	}
	f.Fuzz(func(t *testing.T, expr, version string) {
		r, err := ledger.ParseRange(expr)
		if err != nil {
			if !errors.Is(err, ledger.ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		again, err := ledger.ParseRange(r.String())
		if err != nil || again.String() != r.String() {
			t.Fatalf("%q -> %q does not parse back: %v", expr, r.String(), err)
		}
		for _, eco := range []string{"Maven", "Go", "npm", "PyPI", "crates.io"} {
			_, _ = r.Contains(eco, version)
		}
	})
}
