package capability_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/capability/capabilitytest"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
)

// emit is a custom pipeline step that returns a fixed result.
type emit struct {
	name string
	res  pipeline.Result
}

func (e emit) Name() string { return e.name }

func (e emit) Run(context.Context, *pipeline.StepContext) (*pipeline.Result, error) {
	r := e.res
	return &r, nil
}

// TestAssessAfterPipelineRun runs a release through pipeline.Runner (its
// gates judged by the same engine, blocked at build and bypassed by the
// on-call engineer) and assesses what the runner recorded.
func TestAssessAfterPipelineRun(t *testing.T) {
	ctx := context.Background()
	s := capabilitytest.New(t)
	sum := sha256.Sum256([]byte("shop 1.5.0 built by the pipeline"))
	art := supplychain.Subject{Name: "bin/shop", Digest: supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}}

	p, err := pipeline.New("shop",
		pipeline.In(pipeline.Plan, emit{"change", pipeline.Result{Evidence: []pipeline.Evidence{{Predicate: attest.Change{ID: "PR-8", Title: "Faster checkout",
			Author: "alice@example.com", Owner: "service-teams", Services: []string{"shop"}, Risk: "low", CreatedAt: capabilitytest.Now.Add(-time.Hour)}}}}}),
		pipeline.In(pipeline.Build, emit{"compile", pipeline.Result{Products: []supplychain.Subject{art}, Evidence: []pipeline.Evidence{
			{Predicate: attesttest.Samples()[0]}, {Predicate: policy.SecretScan{Scanner: "gitleaks"}}}}}),
		pipeline.In(pipeline.Test, emit{"unit-tests", pipeline.Result{Evidence: []pipeline.Evidence{
			{Predicate: attest.NewTestResult(&testresult.TestResult{Result: "PASSED", PassedTests: []string{"TestCheckout"}})}}}}),
		pipeline.In(pipeline.Release, emit{"approve", pipeline.Result{Manual: true, Evidence: []pipeline.Evidence{{Predicate: attest.Approval{
			Approver: "bob@example.com", Decision: "approved", ChangeID: "PR-8", Stage: "release", DecidedAt: capabilitytest.Now}}}}}),
	)
	require.NoError(t, err)
	runner, err := pipeline.NewRunner(s.Store, s.Signer, pipeline.WithPolicy(s.Engine),
		pipeline.WithClock(func() time.Time { return capabilitytest.Now }))
	require.NoError(t, err)
	run, err := runner.Run(ctx, p, pipeline.InDir(t.TempDir()), pipeline.ForSubject(art), pipeline.ToEnvironment("prod"),
		pipeline.BypassGatesUnsafe("oncall@example.com", "hotfix for INC-9"))
	require.NoError(t, err)
	require.NotEmpty(t, run.Gates)
	assert.Equal(t, policy.Bypassed, run.Gates[1].Decision.Outcome, "the build gate blocked: untrusted builder, no SBOM")

	s.Scope.Subjects = []supplychain.Subject{art}
	a := s.Assess(t)
	for id, st := range map[string]capability.Status{
		"DSO-PLN-01": capability.StatusPass,
		"DSO-BLD-02": capability.StatusPass,
		"DSO-TST-01": capability.StatusPass,
		"DSO-REL-01": capability.StatusPass,
		"DSO-BLD-01": capability.StatusFail,
		"DSO-BLD-04": capability.StatusNoEvidence,
		"DSO-BLD-05": capability.StatusWaived,
		"DSO-GOV-01": capability.StatusManual,
		"DSO-PLT-01": capability.StatusWarn,
	} {
		assert.Equal(t, st, mustControl(t, a, id).Status, "%s: %s", id, mustControl(t, a, id).Message)
	}

	// The runner's own records are evidence too: the step links and the
	// gate decisions.
	types := map[string]int{}
	for _, r := range a.Records {
		types[r.PredicateType]++
	}
	assert.Positive(t, types[attest.PredicateLink])
	assert.Equal(t, len(run.Gates), types[attest.PredicatePolicyDecision])
	assert.NotEmpty(t, mustControl(t, a, "DSO-PLT-02").Evidence, "the step links")

	cp, err := s.Store.Checkpoint(ctx)
	require.NoError(t, err)
	for _, c := range a.Controls {
		if c.Status != capability.StatusPass {
			continue
		}
		for _, ref := range c.Evidence {
			rec, err := s.Store.Get(ctx, ref.ID)
			require.NoError(t, err)
			proof, err := s.Store.InclusionProof(ctx, ref.ID, cp)
			require.NoError(t, err)
			require.NoError(t, evidence.VerifyInclusion(s.VerifierKey, cp.Note, rec, proof), c.Control)
		}
	}
}
