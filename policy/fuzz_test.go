package policy_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/paved-dev/paved/policy"
)

// FuzzBundle feeds arbitrary bytes to the bundle reader: New either
// builds an engine or fails with a typed error, and never panics.
func FuzzBundle(f *testing.F) {
	var buf bytes.Buffer
	b := bundle.Bundle{
		Manifest: bundle.Manifest{Revision: "r1"},
		Data:     map[string]any{"bundled": map[string]any{"message": "hi"}},
		Modules:  []bundle.ModuleFile{{URL: "/p.rego", Path: "/p.rego", Raw: []byte(bundlePolicy)}},
	}
	if err := bundle.NewWriter(&buf).Write(b); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Add([]byte("not a bundle"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := policy.New(context.Background(), policy.BundleBytes("fuzz.tar.gz", data))
		if err != nil {
			if !errors.Is(err, policy.ErrBundle) && !errors.Is(err, policy.ErrCompile) && !errors.Is(err, policy.ErrInvalidOption) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if e.PolicyDigest() == "" {
			t.Fatal("an engine without a policy digest")
		}
	})
}

// FuzzModule feeds arbitrary Rego source to the engine: it compiles or
// fails with *CompileErrors, never panics, and a module that compiles
// evaluates to a decision or, for one that runs too long, stops with
// ErrEvaluation.
func FuzzModule(f *testing.F) {
	f.Add(bundlePolicy)
	f.Add("package paved.x\n\n# METADATA\n# custom:\n#   control: X-1\n#   stages: [build]\ndeny contains v if {\n\tv := {\"control\": \"X-1\", \"msg\": input.stage}\n}\n")
	f.Add("package paved.x\n\ndeny contains v if { v := http.send({}) }\n")
	f.Add("package paved.x\n\n# METADATA\n# custom:\n#   control: [1]\nwarn contains 1\n")
	f.Add("package x\n\nallow := true\n")
	f.Fuzz(func(t *testing.T, src string) {
		e, err := policy.New(context.Background(), policy.FS(fstest.MapFS{"fuzz.rego": {Data: []byte(src)}}))
		if err != nil {
			if !errors.Is(err, policy.ErrCompile) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, err := e.Evaluate(ctx, releaseRequest(2, 6)); err != nil && !errors.Is(err, policy.ErrEvaluation) {
			t.Fatalf("evaluate: %v", err)
		}
	})
}
