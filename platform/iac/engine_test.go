package iac_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/platform/iac"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// TestWithThePolicyEngine runs the guardrails in paved's policy engine,
// beside its built-in library and with the default map's bindings: the
// change set reaches the policies as iac-plan evidence, a planted
// misconfiguration fails its control and the clean plan passes them all.
func TestWithThePolicyEngine(t *testing.T) {
	m := capability.Default()
	data := m.GuardrailData()
	data["iac"] = iacSettings["iac"]
	e, err := policy.New(t.Context(), policy.Merge(policy.Builtin(), policy.FS(iac.Policies())),
		policy.WithData(map[string]any{"guardrails": data}), policy.WithBindings(m.Bindings()...))
	require.NoError(t, err)

	gate := func(fixture string) *policy.Decision {
		p := parseFile(t, fixture)
		d, err := e.Evaluate(t.Context(), policy.Request{
			Stage:    policy.StagePlan,
			Subject:  p.Subject(fixture),
			Evidence: []policy.Evidence{{Predicate: p.Predicate(), Digest: "sha256:" + p.Digest, Signers: []string{"ci"}}},
		})
		require.NoError(t, err)
		return d
	}
	iacControls := []string{"DSO-FND-06", "DSO-FND-07", "DSO-FND-08", "DSO-FND-09", "DSO-FND-10"}
	clean := gate("clean.json")
	for _, id := range iacControls {
		c, ok := clean.Control(id)
		require.True(t, ok, id)
		assert.Equal(t, policy.StatusPass, c.Status, "%s on the clean plan: %+v", id, c)
	}
	for fixture, control := range map[string]string{
		"public-storage.json": "DSO-FND-06", "admin-ingress.json": "DSO-FND-07", "unencrypted.json": "DSO-FND-08",
		"protected-replace.json": "DSO-FND-09", "unpinned-module.json": "DSO-FND-10",
	} {
		d := gate(fixture)
		c, ok := d.Control(control)
		require.True(t, ok, control)
		assert.Equal(t, policy.StatusFail, c.Status, "%s on %s", control, fixture)
		assert.True(t, d.Blocked(), fixture)
	}
}

// TestPromotionWithThePolicyEngine: through the engine, a prod deployment
// of a digest never deployed to staging fails DSO-FND-02, and one that ran
// a healthy day in staging passes it. (The deployer's identity is not yet
// part of policy.Request, so DSO-FND-05 is checked by the Rego tests and
// TestDeploymentsAgainstTheDefaultMap.)
func TestPromotionWithThePolicyEngine(t *testing.T) {
	m := capability.Default()
	e, err := policy.New(t.Context(), policy.FS(iac.Policies()),
		policy.WithData(map[string]any{"guardrails": m.GuardrailData()}), policy.WithClock(func() time.Time { return when }))
	require.NoError(t, err)
	subject := supplychain.Subject{Name: "bin/api", Digest: supplychain.DigestSet{"sha256": strings.Repeat("ab", 32)}}
	staging := attest.Deployment{ID: "D-1", Service: "api", Environment: "staging", Version: "v1", Deployer: "deploy-bot@example.com",
		Kind: "normal", Outcome: "succeeded", StartedAt: when.Add(-30 * hour), FinishedAt: when.Add(-25 * hour)}
	status := func(evidence ...policy.Evidence) policy.Status {
		d, err := e.Evaluate(t.Context(), policy.Request{
			Stage: policy.StageRelease, Environment: "prod", Subject: subject, Evidence: evidence,
			Approvals: []attest.Approval{{Approver: "sre-lead@example.com", Decision: "approved", ChangeID: "R-1", Environment: "prod", DecidedAt: when}},
		})
		require.NoError(t, err)
		c, ok := d.Control("DSO-FND-02")
		require.True(t, ok)
		return c.Status
	}
	assert.Equal(t, policy.StatusFail, status(), "never deployed to staging")
	assert.Equal(t, policy.StatusPass, status(policy.Evidence{Predicate: staging, Digest: "sha256:" + strings.Repeat("cd", 32), Signers: []string{"ci"}}))
}

func TestBoundaryWithThePolicyEngine(t *testing.T) {
	m := capability.Default()
	e, err := policy.New(t.Context(), policy.FS(iac.Policies()),
		policy.WithData(map[string]any{"guardrails": m.GuardrailData()}), policy.WithClock(func() time.Time { return when }))
	require.NoError(t, err)
	subject := supplychain.Subject{Name: "bin/api", Digest: supplychain.DigestSet{"sha256": strings.Repeat("ab", 32)}}
	status := func(deployer string) policy.Status {
		d, err := e.Evaluate(t.Context(), policy.Request{
			Stage: policy.StageRelease, Environment: "prod", Deployer: deployer, Subject: subject,
			Approvals: []attest.Approval{{Approver: "sre-lead@example.com", Decision: "approved", ChangeID: "R-1", Environment: "prod", DecidedAt: when}},
		})
		require.NoError(t, err)
		c, ok := d.Control("DSO-FND-05")
		require.True(t, ok)
		return c.Status
	}
	assert.Equal(t, policy.StatusPass, status("deploy-bot@example.com"), "inside prod's boundary")
	assert.Equal(t, policy.StatusFail, status("mallory@example.com"), "outside prod's boundary")
	assert.Equal(t, policy.StatusFail, status(""), "an unknown deployer fails closed")
}
