package capability_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/capability/capabilitytest"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
)

func TestAssessStatusesFromPipelineEvidence(t *testing.T) {
	ctx := context.Background()
	s := capabilitytest.New(t)
	a := s.Assess(t)

	want := map[string]capability.Status{
		"DSO-GOV-01": capability.StatusManual,     // checked by people
		"DSO-PLN-01": capability.StatusPass,       // a change record with owner, services and risk
		"DSO-PLN-02": capability.StatusPass,       // reviewed by bob, not the author alice
		"DSO-PLT-01": capability.StatusWarn,       // advisory: not the paved template
		"DSO-BLD-01": capability.StatusFail,       // provenance from an untrusted builder
		"DSO-BLD-02": capability.StatusPass,       // clean secret scan
		"DSO-BLD-04": capability.StatusNoEvidence, // no SBOM
		"DSO-BLD-05": capability.StatusWaived,     // no vulnerability scan, waived by EX-VULN
		"DSO-TST-01": capability.StatusPass,       // tests passed
		"DSO-REL-01": capability.StatusPass,       // approved by bob, not the author alice
		"DSO-SUP-01": capability.StatusFail,       // no release signature
		"DSO-BLD-03": capability.StatusNoEvidence, // no SBOM to judge pinning by
		"DSO-FND-06": capability.StatusError,      // no policy of the built-in library checks it
	}
	for id, st := range want {
		c, ok := a.Control(id)
		require.True(t, ok, id)
		assert.Equal(t, st, c.Status, "%s: %s", id, c.Message)
	}
	assert.Contains(t, mustControl(t, a, "DSO-BLD-01").Message, "trusted builder")
	assert.Equal(t, []string{"EX-VULN"}, mustControl(t, a, "DSO-BLD-05").Exceptions)
	assert.Len(t, a.Controls, 56, "every control of the default map")

	// Every pass of a control that needs evidence points at records whose
	// inclusion proofs verify against a signed checkpoint, with nothing but
	// the log's public key. (DSO-GOV-04 needs none: it judges the
	// exceptions offered, and passes when none is malformed.)
	cp, err := s.Store.Checkpoint(ctx)
	require.NoError(t, err)
	passes := 0
	for _, c := range a.Controls {
		if ctl, _ := s.Map.Control(c.Control); c.Status != capability.StatusPass || len(ctl.Control.Evidence) == 0 {
			continue
		}
		passes++
		require.NotEmpty(t, c.Evidence, c.Control)
		require.NotEmpty(t, c.Decisions, c.Control)
		for _, ref := range c.Evidence {
			rec, err := s.Store.Get(ctx, ref.ID)
			require.NoError(t, err)
			assert.Equal(t, ref.Index, rec.Index)
			p, err := s.Store.InclusionProof(ctx, ref.ID, cp)
			require.NoError(t, err)
			require.NoError(t, evidence.VerifyInclusion(s.VerifierKey, cp.Note, rec, p), "%s: record %d", c.Control, rec.Index)
			assert.Equal(t, []string{"ci"}, ref.Signers)
		}
	}
	assert.GreaterOrEqual(t, passes, 5)
	assert.Equal(t, s.Records["approval"].ID, mustControl(t, a, "DSO-REL-01").Evidence[0].ID)

	// The decisions that judged the control are the assessment's.
	ids := map[string]bool{}
	for _, d := range a.Decisions {
		ids[d.ID] = true
	}
	for _, d := range mustControl(t, a, "DSO-TST-01").Decisions {
		assert.True(t, ids[d.ID])
		assert.Equal(t, "test", d.Stage)
		assert.Equal(t, policy.StatusPass, d.Status)
	}
	assert.Len(t, a.Records, 5)
}

func mustControl(t *testing.T, a *capability.Assessment, id string) capability.ControlAssessment {
	t.Helper()
	c, ok := a.Control(id)
	require.True(t, ok, id)
	return c
}

func TestAssessScoresBacklogAndExpiring(t *testing.T) {
	s := capabilitytest.New(t)
	a := s.Assess(t)

	total := 0
	for _, n := range a.Overall.Counts {
		total += n
	}
	assert.Equal(t, len(a.Controls), total)
	assert.Equal(t, a.Overall.Total-a.Overall.Counts[capability.StatusManual]-a.Overall.Counts[capability.StatusNotApplicable], a.Overall.Judged)
	assert.InDelta(t, 100*float64(a.Overall.Counts[capability.StatusPass])/float64(a.Overall.Judged), a.Overall.Rate, 1e-9)
	areaTotal := 0
	for _, ar := range a.Areas {
		areaTotal += ar.Total
	}
	assert.Equal(t, a.Overall.Total, areaTotal)
	assert.Equal(t, capability.Governance, a.Areas[0].Area, "areas in map order")

	// The backlog holds the gaps, mandatory failures first, with owners.
	require.NotEmpty(t, a.Backlog)
	assert.Equal(t, capability.StatusFail, a.Backlog[0].Status)
	assert.Equal(t, capability.Mandatory, a.Backlog[0].Enforcement)
	for _, it := range a.Backlog {
		assert.True(t, it.Status.IsGap(), it.Control)
		assert.NotEmpty(t, it.Owner, it.Control)
	}

	require.Len(t, a.Expiring, 1)
	assert.Equal(t, "EX-VULN", a.Expiring[0].ID)
	narrow, err := capability.Assess(context.Background(), s.Map, s.Store, s.Engine, s.Scope,
		capability.WithAssessClock(func() time.Time { return capabilitytest.Now }), capability.WithExpiryWindow(5*24*time.Hour))
	require.NoError(t, err)
	assert.Empty(t, narrow.Expiring, "EX-VULN expires in 10 days")
}

func TestAssessScopeLimitsControls(t *testing.T) {
	s := capabilitytest.New(t)
	s.Scope.Areas = []capability.AreaID{capability.Pipeline}
	s.Scope.Controls = []string{"DSO-TST-01", "DSO-BLD-01", "DSO-GOV-01"}
	a := s.Assess(t)
	var got []string
	for _, c := range a.Controls {
		got = append(got, c.Control)
	}
	assert.Equal(t, []string{"DSO-BLD-01", "DSO-TST-01"}, got, "GOV-01 is not in the pipeline area")

	// Evidence recorded after Until is not seen.
	s.Scope.Controls, s.Scope.Areas = nil, nil
	s.Scope.Until = capabilitytest.Now
	a = s.Assess(t)
	assert.Equal(t, capability.StatusNoEvidence, mustControl(t, a, "DSO-TST-01").Status)
}

func TestAssessComparisonRatchet(t *testing.T) {
	s := capabilitytest.New(t)
	before := s.Assess(t)

	// Tests fail in the next run.
	s.Record(t, "test", attest.NewTestResult(&testresult.TestResult{Result: "FAILED", FailedTests: []string{"TestBasket"}}), capabilitytest.Artifact())
	after := s.Assess(t)
	c := after.Compare(before)
	assert.True(t, c.Regressed())
	assert.Contains(t, c.Regressions, capability.StatusChange{Control: "DSO-TST-01", From: capability.StatusPass, To: capability.StatusFail})
	assert.Less(t, c.RateDelta, 0.0)
	assert.Less(t, c.AreaDeltas[capability.Pipeline], 0.0)

	back := before.Compare(after)
	assert.Contains(t, back.Improvements, capability.StatusChange{Control: "DSO-TST-01", From: capability.StatusFail, To: capability.StatusPass})
	assert.False(t, back.Regressed())
	assert.False(t, before.Compare(before).Regressed())
}

func TestAssessRejectsBadScope(t *testing.T) {
	s := capabilitytest.New(t)
	ctx := context.Background()
	bad := s.Scope
	bad.Subjects = []supplychain.Subject{{Name: "x", Digest: supplychain.DigestSet{"sha256": "zz"}}}
	bad.Released = []string{"md5:00"}
	bad.Since, bad.Until = capabilitytest.Now, capabilitytest.Now.Add(-time.Hour)
	_, err := capability.Assess(ctx, s.Map, s.Store, s.Engine, bad)
	require.ErrorIs(t, err, capability.ErrInvalidScope)
	for _, field := range []string{"subjects[0]", "released[0]", "until"} {
		assert.Contains(t, err.Error(), field)
	}
	_, err = capability.Assess(ctx, s.Map, nil, s.Engine, s.Scope)
	assert.ErrorContains(t, err, "nil store")
	_, err = capability.Assess(ctx, s.Map, s.Store, s.Engine, s.Scope, capability.WithExpiryWindow(0))
	assert.ErrorContains(t, err, "WithExpiryWindow")
	assert.False(t, errors.Is(err, capability.ErrInvalidScope))
}

func TestBindingsCarryTheMap(t *testing.T) {
	m := capability.Default()
	bs := m.Bindings()
	assert.Len(t, bs, m.Summarize().Controls)
	for _, b := range bs {
		if b.Control == "DSO-BLD-04" {
			assert.Equal(t, policy.Mandatory, b.Enforcement)
			assert.Equal(t, []string{"build"}, b.Stages)
			assert.Equal(t, []string{"https://cyclonedx.org/bom"}, b.Evidence)
			assert.NotEmpty(t, b.Mappings)
		}
		if b.Control == "DSO-GOV-01" {
			assert.True(t, b.Manual)
		}
		if b.Control == "DSO-BLD-05" {
			assert.Equal(t, map[string]time.Duration{attest.PredicateVulns: 7 * 24 * time.Hour}, b.MaxAge)
		}
	}
	_, err := policy.New(context.Background(), policy.Builtin(), policy.WithBindings(bs...))
	require.NoError(t, err, "the engine accepts every binding")
}

func TestPolicyExceptionsScopedToSubjects(t *testing.T) {
	s := capabilitytest.New(t)
	art := capabilitytest.Artifact()
	xs := s.Map.PolicyExceptions(capability.Target{Service: capabilitytest.Service, Environment: "prod"}, []supplychain.Subject{art})
	require.Len(t, xs, 1)
	assert.Equal(t, []string{"sha256:" + art.Digest["sha256"]}, xs[0].Digests)
	require.NoError(t, xs[0].Check(capabilitytest.Now, s.Map.ExceptionPolicy.Max()))
	assert.Empty(t, s.Map.PolicyExceptions(capability.Target{Service: "other"}, []supplychain.Subject{art}))
}

func TestAssessmentJSONRoundTripCompares(t *testing.T) {
	s := capabilitytest.New(t)
	a := s.Assess(t)
	b, err := json.Marshal(a)
	require.NoError(t, err)
	var stored capability.Assessment
	require.NoError(t, json.Unmarshal(b, &stored))
	assert.Equal(t, a.ID, stored.ID)
	assert.Equal(t, a.Statuses(), stored.Statuses())
	assert.Equal(t, a.Overall, stored.Overall)
	c := a.Compare(&stored)
	assert.False(t, c.Regressed())
	assert.Empty(t, c.Improvements)
}

func TestAssessStaleEvidenceIsNoEvidence(t *testing.T) {
	s := capabilitytest.New(t)
	s.Record(t, "operate", attesttest.Samples()[2], capabilitytest.Artifact()) // a vulnerability scan
	s.Scope.Controls = []string{"DSO-CMP-03"}                                  // vulns, at most a day old
	fresh := s.Assess(t)
	assert.NotEqual(t, capability.StatusNoEvidence, mustControl(t, fresh, "DSO-CMP-03").Status)
	assert.Len(t, mustControl(t, fresh, "DSO-CMP-03").Evidence, 1)

	later, err := capability.Assess(context.Background(), s.Map, s.Store, s.Engine, s.Scope,
		capability.WithAssessClock(func() time.Time { return capabilitytest.Now.Add(2 * 24 * time.Hour) }))
	require.NoError(t, err)
	c := mustControl(t, later, "DSO-CMP-03")
	assert.Equal(t, capability.StatusNoEvidence, c.Status)
	assert.Contains(t, c.Message, attest.PredicateVulns)
	assert.Empty(t, c.Evidence)
}
