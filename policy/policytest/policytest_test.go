package policytest_test

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/policy/policytest"
)

var policies = fstest.MapFS{
	"gate.rego": {Data: []byte(`package paved.gate

# METADATA
# custom:
#   control: G-1
deny contains v if {
	input.risk == "high"
	v := {"control": "G-1", "msg": sprintf("risk is high at %d", [time.now_ns()])}
}
`)},
	"gate_test.rego": {Data: []byte(`package paved.gate_test

import data.paved.gate

test_high_risk_denied if {
	some v in gate.deny with input as {"risk": "high"}
	v.control == "G-1"
}

test_low_risk_denied_wrongly if {
	some v in gate.deny with input as {"risk": "low"}
	v.control == "G-1"
}

test_reads_data if data.settings.level == 3
`)},
}

func TestResults(t *testing.T) {
	results, err := policytest.Results(context.Background(), policies, policytest.WithData(map[string]any{"settings": map[string]any{"level": 3}}))
	require.NoError(t, err)
	require.Len(t, results, 3)
	byName := map[string]policytest.Result{}
	for _, r := range results {
		byName[r.Name] = r
	}
	assert.True(t, byName["data.paved.gate_test.test_high_risk_denied"].Passed)
	assert.True(t, byName["data.paved.gate_test.test_reads_data"].Passed)
	failed := byName["data.paved.gate_test.test_low_risk_denied_wrongly"]
	assert.False(t, failed.Passed)
	assert.Equal(t, "gate_test.rego:10", failed.Location)
	assert.NotEmpty(t, failed.Message)
}

func TestResultsUseHermeticCapabilities(t *testing.T) {
	fsys := fstest.MapFS{"net_test.rego": {Data: []byte("package x_test\n\ntest_net if http.send({\"method\": \"GET\", \"url\": \"https://example.com\"})\n")}}
	_, err := policytest.Results(context.Background(), fsys)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "undefined function http.send")
}

func TestRunPassingSuite(t *testing.T) {
	results := policytest.Run(t, policy.Library())
	assert.Greater(t, len(results), 20)
}

// Results runs a policy set's Rego tests; Run does the same under go test,
// one subtest per Rego test.
func ExampleResults() {
	results, err := policytest.Results(context.Background(), policies, policytest.WithData(map[string]any{"settings": map[string]any{"level": 3}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range results {
		fmt.Println(r.Name, r.Passed)
	}
	// Output:
	// data.paved.gate_test.test_high_risk_denied true
	// data.paved.gate_test.test_low_risk_denied_wrongly false
	// data.paved.gate_test.test_reads_data true
}
