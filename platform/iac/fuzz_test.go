package iac_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/paved-dev/paved/platform/iac"
)

// FuzzParsePlan feeds arbitrary bytes to Parse. It must never panic; a
// rejected plan yields a *PlanError wrapping one of the sentinels, located
// inside the input; an accepted one has values that are valid JSON and a
// predicate that validates and encodes.
func FuzzParsePlan(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		`{"format_version":"1.0"}`,
		`{"format_version":"1.2","resource_changes":[{"address":"a.b","mode":"managed","type":"a","change":{"actions":["update"],"before":{"k":[1,{"s":"x"}]},"after":{"k":[2]},"before_sensitive":{"k":[false,{"s":true}]},"after_sensitive":{"k":true},"after_unknown":{"k":[false,true],"n":{"m":true}}}}]}`,
		`{"format_version":"1.2","resource_changes":[{"address":"module.m[\"a]\"].x.y","module_address":"module.m[\"a]\"]","mode":"managed","type":"x","change":{"actions":["create"]}}],"configuration":{"root_module":{"module_calls":{"m":{"source":"./m"}}}}}`,
		`{"format_version":"1.2","resource_drift":[{"address":"a.b","mode":"managed","type":"a","change":{"actions":["delete"],"before":{"x":1},"before_sensitive":true}}]}`,
		`{"format_version":"1.2","resource_changes":[{"address":"a.b","mode":"managed","type":"a","change":{"actions":["create"],"after":"v","after_sensitive":{"k":true},"after_unknown":[true]}}]}`,
		`{"format_version":"2.0","resource_changes":"x"}`,
		`{"format_version":"1.2","resource_changes":[1]}`,
		`{"format_version":"1.2"}   x`,
		`{"format_version":"1.2","resource_changes":[{"address":"module.m.a.b","module_address":"module.m","mode":"managed","type":"a","change":{"actions":["create"]}}],"resource_changes":[]}`,
	} {
		f.Add([]byte(s))
	}
	sentinels := []error{iac.ErrSyntax, iac.ErrTooLarge, iac.ErrFormatVersion, iac.ErrInvalidPlan}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := iac.Parse(bytes.NewReader(data))
		if err != nil {
			var pe *iac.PlanError
			if !errors.As(err, &pe) {
				t.Fatalf("not a *PlanError: %T %v", err, err)
			}
			known := false
			for _, s := range sentinels {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("wraps no sentinel: %v", err)
			}
			if pe.Offset < 0 || pe.Offset > int64(len(data)) {
				t.Fatalf("offset %d outside the %d-byte input: %v", pe.Offset, len(data), err)
			}
			return
		}
		for _, c := range append(p.Changes, p.Drifted...) {
			for _, v := range []json.RawMessage{c.Before, c.After} {
				if v != nil && !json.Valid(v) {
					t.Fatalf("%s: rewritten value is not JSON: %s", c.Address, v)
				}
			}
		}
		pred := p.Predicate()
		if err := pred.Validate(); err != nil {
			t.Fatalf("accepted plan gives an invalid predicate: %v", err)
		}
		if _, err := json.Marshal(pred); err != nil {
			t.Fatalf("predicate does not encode: %v", err)
		}
		if d, ok := p.Drift(); ok {
			if err := d.Predicate().Validate(); err != nil {
				t.Fatalf("drift predicate invalid: %v", err)
			}
		}
	})
}
