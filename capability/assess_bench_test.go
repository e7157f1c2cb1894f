package capability_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/capability/capabilitytest"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain/attest"
)

// benchScenario is the scenario with 200 more test results about the
// artifact: a release with a long history of test runs.
func benchScenario(b *testing.B) *capabilitytest.Scenario {
	s := capabilitytest.New(b)
	for i := range 200 {
		s.Record(b, "test", attest.NewTestResult(&testresult.TestResult{Result: "PASSED", PassedTests: []string{fmt.Sprintf("Test%d", i)}}), capabilitytest.Artifact())
	}
	return s
}

// BenchmarkAssess measures a whole assessment (gather the subject's 205
// records from SQLite, decode them, evaluate five stages, judge 56
// controls, score), beside the baseline of the five policy evaluations
// alone over an already assembled request: what a pipeline's gates cost.
func BenchmarkAssess(b *testing.B) {
	ctx := context.Background()
	s := benchScenario(b)
	clock := capability.WithAssessClock(func() time.Time { return capabilitytest.Now })

	b.Run("assess", func(b *testing.B) {
		for b.Loop() {
			if _, err := capability.Assess(ctx, s.Map, s.Store, s.Engine, s.Scope, clock); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-five-gates", func(b *testing.B) {
		art := capabilitytest.Artifact()
		req := policy.Request{Subject: art, Environment: "prod", Exceptions: s.Map.PolicyExceptions(capability.Target{Service: capabilitytest.Service, Environment: "prod"}, s.Scope.Subjects)}
		for r, err := range s.Store.Query(ctx, evidence.Query{SubjectDigest: "sha256:" + art.Digest["sha256"], WithEnvelopes: true, Limit: evidence.MaxQueryLimit}) {
			if err != nil {
				b.Fatal(err)
			}
			ev, err := capability.DecodeEvidence(r)
			if err != nil {
				b.Fatal(err)
			}
			switch p := ev.Predicate.(type) {
			case attest.Change:
				req.Change = &p
			case attest.Approval:
				req.Approvals = append(req.Approvals, p)
			}
			req.Evidence = append(req.Evidence, ev)
		}
		b.ResetTimer()
		for b.Loop() {
			for _, st := range capability.Stages() {
				req.Stage = string(st)
				if _, err := s.Engine.Evaluate(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
