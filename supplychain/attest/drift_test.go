package attest_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
)

func TestDriftPredicatesAgreeWithSchemas(t *testing.T) {
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	sha := "sha256:" + strings.Repeat("ab", 32)
	valid := []attest.Predicate{
		attest.DeploymentDrift{Environment: "prod", Checked: []string{"api"}, Drifts: []attest.Drift{}, CheckedAt: at},
		attest.DeploymentDrift{Environment: "prod", Checked: []string{"api", "web"}, CheckedAt: at, Drifts: []attest.Drift{
			{Service: "api", ExpectedVersion: "1.2.0", Expected: []string{sha}, Observed: "sha256:" + strings.Repeat("cd", 32), Reason: "runs another digest"},
			{Service: "web", Observed: sha, Reason: "runs, but the ledger records no deployment of it in prod"}}},
		attest.ConfigDrift{Name: "deploy/api.yaml", Environment: "prod", Desired: sha, Actual: sha, Differences: []attest.ConfigDifference{}, CheckedAt: at},
		attest.ConfigDrift{Name: "deploy/api.yaml", Desired: sha, Actual: sha, CheckedAt: at, Differences: []attest.ConfigDifference{
			{Path: "$.spec.replicas", Kind: "changed", Desired: 3.0, Actual: 1.0}, {Path: "$.metadata.labels.team", Kind: "added", Actual: "x"}}},
	}
	invalid := []attest.Predicate{
		attest.DeploymentDrift{Checked: []string{}, Drifts: []attest.Drift{}, CheckedAt: at},
		attest.DeploymentDrift{Environment: "prod", Checked: []string{}, Drifts: []attest.Drift{{Service: "api", Observed: "md5:00", Reason: "x"}}, CheckedAt: at},
		attest.ConfigDrift{Name: "x", Desired: sha, Actual: "nope", Differences: []attest.ConfigDifference{}, CheckedAt: at},
		attest.ConfigDrift{Name: "x", Desired: sha, Actual: sha, Differences: []attest.ConfigDifference{{Path: "spec", Kind: "moved"}}, CheckedAt: at},
	}
	compile := func(typ string) *jsonschema.Schema {
		raw, ok := attest.Schema(typ)
		require.True(t, ok, typ)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		require.NoError(t, err)
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		require.NoError(t, c.AddResource(typ+"/schema.json", doc))
		s, err := c.Compile(typ + "/schema.json")
		require.NoError(t, err)
		return s
	}
	conforms := func(p attest.Predicate) error {
		b, err := json.Marshal(p)
		require.NoError(t, err)
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		require.NoError(t, err)
		return compile(p.PredicateType()).Validate(v)
	}
	for i, p := range valid {
		assert.NoError(t, p.Validate(), "valid %d", i)
		assert.NoError(t, conforms(p), "valid %d", i)
		st, err := attest.Build(p, attesttest.Subject())
		require.NoError(t, err)
		back, err := attest.Parse(st.Bytes())
		require.NoError(t, err)
		assert.Equal(t, p.PredicateType(), back.PredicateType())
	}
	for i, p := range invalid {
		err := p.Validate()
		assert.ErrorIs(t, err, attest.ErrInvalidPredicate, "invalid %d", i)
		assert.Error(t, conforms(p), "invalid %d", i)
	}
}
