package iac_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/platform/iac"
	"github.com/paved-dev/paved/policy"
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
