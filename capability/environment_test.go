package capability_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
)

func TestDefaultEnvironments(t *testing.T) {
	m := capability.Default()
	prod, ok := m.Boundary("prod")
	require.True(t, ok)
	assert.Equal(t, capability.TierProd, prod.Tier)
	assert.Equal(t, "staging", prod.PromoteFrom)
	assert.Equal(t, int64(24*3600), prod.SoakSeconds)
	assert.Equal(t, []string{"deploy-bot@example.com", "release-manager@example.com"}, prod.Deployers)
	assert.Equal(t, []string{"release-manager@example.com", "sre-lead@example.com"}, prod.Approvers)
	assert.Contains(t, prod.Controls, "DSO-REL-01")

	dev, ok := m.Boundary("dev")
	require.True(t, ok)
	assert.Empty(t, dev.PromoteFrom)
	assert.Equal(t, []string{}, dev.Approvers, "no approval needed, encoded as an empty list")

	_, ok = m.Boundary("qa")
	assert.False(t, ok)
}

func TestIdentitiesExpandsOwners(t *testing.T) {
	m := validMap()
	assert.Equal(t,
		[]string{"alice@acme.example", "carol@acme.example", "ciso@acme.example"},
		m.Identities([]string{"appsec", "ciso", "carol@acme.example", "payments"}),
		"a team gives its members, a person their contact, an identity itself; sorted without duplicates")
}

func TestGuardrailDataIsPolicyJSON(t *testing.T) {
	b, err := json.Marshal(capability.Default().GuardrailData())
	require.NoError(t, err)
	var got struct {
		Environments map[string]struct {
			Deployers   []string `json:"deployers"`
			PromoteFrom string   `json:"promoteFrom"`
			SoakSeconds int64    `json:"soakSeconds"`
		} `json:"environments"`
	}
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Len(t, got.Environments, 3)

	// Each entry is the environment's Boundary, field for field.
	m := capability.Default()
	for name, v := range m.GuardrailData()["environments"].(map[string]any) {
		boundary, ok := m.Boundary(name)
		require.True(t, ok)
		want, err := json.Marshal(boundary)
		require.NoError(t, err)
		have, err := json.Marshal(v)
		require.NoError(t, err)
		assert.JSONEq(t, string(want), string(have), name)
	}
	assert.Equal(t, "dev", got.Environments["staging"].PromoteFrom)
	assert.Equal(t, int64(86400), got.Environments["prod"].SoakSeconds)
}

// TestLoadLocatesEnvironmentProblems: the loader reports each environment
// problem at its line and column.
func TestLoadLocatesEnvironmentProblems(t *testing.T) {
	doc := string(capability.DefaultDocument()) + `
  - name: qa
    tier: test
    owner: sre
    deployers: [mallory@evil.example]
    controls: [DSO-NOPE-01]
    promotion:
      from: qa
`
	_, err := capability.Load(strings.NewReader(doc), capability.WithFilename("map.yaml"))
	require.Error(t, err)
	lines := strings.Count(string(capability.DefaultDocument()), "\n")
	msg := err.Error()
	assert.Contains(t, msg, fmt.Sprintf("map.yaml:%d:17: environments[3].deployers[0]: unknown identity", lines+5))
	assert.Contains(t, msg, fmt.Sprintf("map.yaml:%d:16: environments[3].controls[0]: dangling reference", lines+6))
	assert.Contains(t, msg, fmt.Sprintf("map.yaml:%d:13: environments[3].promotion.from: promotion order has a cycle: qa -> qa", lines+8))
}
