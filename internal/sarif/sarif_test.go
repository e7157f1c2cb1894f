package sarif_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/sarif"
)

func TestMarshalAndParse(t *testing.T) {
	zero := 0
	log := sarif.New(sarif.Run{
		Tool: sarif.Tool{Driver: sarif.Driver{Name: "scanner", Rules: []sarif.Rule{{ID: "R1", ShortDescription: sarif.Message{Text: "rule one"}}}}},
		Results: []sarif.Result{{RuleID: "R1", RuleIndex: &zero, Level: sarif.Error, Message: sarif.Message{Text: "found"},
			Locations: []sarif.Location{{PhysicalLocation: &sarif.PhysicalLocation{ArtifactLocation: sarif.ArtifactLocation{URI: "a/b.go"},
				Region: &sarif.Region{StartLine: 3}}}},
			Suppressions: []sarif.Suppression{{Kind: "external", Status: "accepted", Justification: "waived"}}}},
	}, sarif.Run{Tool: sarif.Tool{Driver: sarif.Driver{Name: "empty"}}})
	b, err := log.Marshal()
	require.NoError(t, err)
	s := string(b)
	assert.Contains(t, s, `"$schema": "https://json.schemastore.org/sarif-2.1.0.json"`)
	assert.Contains(t, s, `"ruleIndex": 0`, "an explicit index of 0 is kept")
	assert.Contains(t, s, `"results": []`, "SARIF requires the arrays, even empty")
	assert.Contains(t, s, `"rules": []`)
	assert.NotContains(t, s, `"logicalLocations"`, "empty optional fields are left out")

	back, err := sarif.Parse(b)
	require.NoError(t, err)
	assert.Equal(t, "R1", back.Runs[0].Results[0].RuleID)
	assert.Equal(t, 3, back.Runs[0].Results[0].Locations[0].PhysicalLocation.Region.StartLine)

	_, err = sarif.Parse([]byte(`{"version": "2.0.0"}`))
	assert.ErrorContains(t, err, `version "2.0.0"`)
	_, err = sarif.Parse([]byte(`{`))
	assert.Error(t, err)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","rules":[]}},"results":[{"ruleId":"R","level":"error","message":{"text":"m"}}]}]}`))
	f.Add([]byte(`{"version":"2.1.0","runs":[]}`))
	f.Add([]byte(`{"version":"1.0"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := sarif.Parse(data)
		if err == nil {
			if _, err := l.Marshal(); err != nil {
				t.Fatalf("a parsed log does not marshal: %v", err)
			}
		}
	})
}
