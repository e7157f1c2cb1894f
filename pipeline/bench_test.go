package pipeline_test

import (
	"context"
	"fmt"
	"testing"

	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"

	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/supplychain/attest"
)

// BenchmarkRunnerOverhead runs a five-stage pipeline of no-op steps (four
// per stage, one of them reporting a test result) with a policy gate after
// every stage, recording into a SQLite store that grows across runs: the
// runner's own cost per step (record, sign, store, and a fifth of a gate),
// reported as ns/step.
func BenchmarkRunnerOverhead(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b)
	tested := fn{"tested", func(context.Context, *pipeline.StepContext) (*pipeline.Result, error) {
		return &pipeline.Result{Evidence: []pipeline.Evidence{{Predicate: attest.NewTestResult(&testresult.TestResult{Result: "PASSED"})}}}, nil
	}}
	var stages []pipeline.StageSpec
	for _, st := range pipeline.Stages() {
		steps := []pipeline.Step{}
		for i := range 4 {
			steps = append(steps, ok(fmt.Sprintf("%s-%d", st, i)))
		}
		if st == pipeline.Plan {
			steps[0] = tested
		}
		stages = append(stages, pipeline.In(st, steps...))
	}
	p, err := pipeline.New("bench", stages...)
	if err != nil {
		b.Fatal(err)
	}
	r := e.runner(b, pipeline.WithPolicy(engine(b)))
	dir := b.TempDir()
	steps := 5 * 4
	n := 0
	b.ResetTimer()
	for b.Loop() {
		n++ // each run builds a new artifact, as real runs do
		if _, err := r.Run(ctx, p, pipeline.InDir(dir), pipeline.ForSubject(artifact(fmt.Sprintf("bin/app-%d", n)))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps), "ns/step")
}
