package attest_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
)

// BenchmarkParse parses a 4 KiB statement with a structured predicate;
// beside it, encoding/json's json.Valid over the same bytes (the least any
// standard-library parse costs) and protojson into the in-toto protobuf
// (what parsing with the in-toto library alone costs).
func BenchmarkParse(b *testing.B) {
	fields := map[string]any{}
	for i := range 60 {
		fields[fmt.Sprintf("field%03d", i)] = map[string]any{"name": fmt.Sprintf("step-%d", i), "ok": i%3 != 0, "n": i * 7919}
	}
	body, err := json.Marshal(fields)
	if err != nil {
		b.Fatal(err)
	}
	st, err := attest.Build(attest.Generic{Type: "https://example.com/build/v1", JSON: body}, attesttest.Subject())
	if err != nil {
		b.Fatal(err)
	}
	raw := st.Bytes()
	b.Run("paved", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := attest.Parse(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if !json.Valid(raw) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("protojson", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := st.Proto(); err != nil {
				b.Fatal(err)
			}
			st, _ = attest.Parse(raw) // a fresh statement: Proto caches
		}
	})
}
