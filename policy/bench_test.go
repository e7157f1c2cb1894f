package policy_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/policy"
)

// BenchmarkEvaluateReleaseGate evaluates every built-in release control
// over an evidence set of 20 attestations, one of them a 2,000-component
// SBOM. The measured operation is the whole Evaluate: request checks,
// conversion of the input to OPA's value form, its digest, evaluation,
// exceptions and the decision, and its conversion to an in-toto
// statement. It reports the median (p50-ns/op) beside the mean.
func BenchmarkEvaluateReleaseGate(b *testing.B) {
	e := newEngine(b)
	req := releaseRequest(2000, 20)
	ctx := context.Background()
	var laps []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		d, err := e.Evaluate(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if d.Outcome != policy.Allowed {
			b.Fatalf("outcome %s", d.Outcome)
		}
		if _, err := d.Statement(); err != nil {
			b.Fatal(err)
		}
		laps = append(laps, time.Since(start))
	}
	sort.Slice(laps, func(i, j int) bool { return laps[i] < laps[j] })
	b.ReportMetric(float64(laps[len(laps)/2].Nanoseconds()), "p50-ns/op")
}

// BenchmarkEngineBuild compiles the built-in library and prepares its
// entry points.
func BenchmarkEngineBuild(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, err := policy.New(ctx, policy.Builtin(), policy.WithClock(clock), policy.WithData(settings()))
		require.NoError(b, err)
	}
}

// BenchmarkEvaluateReleaseGateExplain is BenchmarkEvaluateReleaseGate in
// explain mode (trace and print output), for the cost of asking.
func BenchmarkEvaluateReleaseGateExplain(b *testing.B) {
	e := newEngine(b)
	req := releaseRequest(2000, 20)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d, err := e.Evaluate(ctx, req, policy.Explain())
		if err != nil {
			b.Fatal(err)
		}
		if d.Explanation == nil || d.Explanation.Trace == "" {
			b.Fatal("no explanation")
		}
	}
}
