package policy_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/policy/policytest"
	"github.com/paved-dev/paved/supplychain"
)

func TestLibraryRego(t *testing.T) {
	policytest.Run(t, policy.Library())
}

// Every control the built-in library checks has Rego tests that show it
// passing and failing, named test_<control>_pass_* and
// test_<control>_fail_* (the control ID in lower case, dashes as
// underscores).
func TestLibraryControlsHavePassingAndFailingTests(t *testing.T) {
	results, err := policytest.Results(t.Context(), policy.Library())
	require.NoError(t, err)
	e, err := policy.New(t.Context(), policy.Builtin())
	require.NoError(t, err)
	d, err := e.Evaluate(t.Context(), policy.Request{
		Stage:   policy.StageRelease,
		Subject: supplychain.Subject{Name: "x", Digest: supplychain.DigestSet{"sha256": strings.Repeat("0", 64)}},
	})
	require.NoError(t, err)
	require.Len(t, d.Controls, 31)
	for _, c := range d.Controls {
		prefix := "test_" + strings.ToLower(strings.ReplaceAll(c.Control, "-", "_")) + "_"
		var pass, fail int
		for _, r := range results {
			_, name, _ := strings.Cut(strings.TrimPrefix(r.Name, "data.paved."), ".")
			switch {
			case strings.HasPrefix(name, prefix+"pass"):
				pass++
			case strings.HasPrefix(name, prefix+"fail"):
				fail++
			}
		}
		assert.Positive(t, pass, "%s has no passing test", c.Control)
		assert.Positive(t, fail, "%s has no failing test", c.Control)
	}
}
