package attest_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
)

// FuzzParse: Parse never panics; what it accepts keeps its exact bytes,
// has subjects and a predicate type, and parses again to the same.
func FuzzParse(f *testing.F) {
	for _, p := range attesttest.Samples() {
		st, err := attest.Build(p, artifact)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(st.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := attest.Parse(data)
		if err != nil {
			if !errors.Is(err, attest.ErrInvalidStatement) && !errors.Is(err, attest.ErrTooLarge) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if !bytes.Equal(st.Bytes(), data) || len(st.Subjects()) == 0 || st.PredicateType() == "" {
			t.Fatal("accepted statement lost its bytes, subjects or predicate type")
		}
		var g attest.Generic
		if err := st.Decode(&g); err != nil && !errors.Is(err, attest.ErrInvalidPredicate) {
			t.Fatalf("untyped decode error: %v", err)
		}
	})
}
