package policy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/policy"
)

func TestSBOMValidate(t *testing.T) {
	ok := policy.SBOM{Type: policy.PredicateCycloneDX, Format: "CycloneDX", SpecVersion: "1.6", Components: 3,
		PURLs: []string{"pkg:golang/example.com/app", "pkg:golang/golang.org/x/text@v0.21.0"}, Root: "pkg:golang/example.com/app", Hashed: 1}
	require.NoError(t, ok.Validate())
	for name, tc := range map[string]struct {
		edit func(*policy.SBOM)
		want string
	}{
		"no type":            {func(s *policy.SBOM) { s.Type = "" }, "type: required"},
		"format":             {func(s *policy.SBOM) { s.Format = "SWID" }, `format: "SWID" is not CycloneDX or SPDX`},
		"fewer components":   {func(s *policy.SBOM) { s.Components = 1; s.Hashed = 0 }, "components: 1 is fewer than the 2 purls"},
		"negative hashed":    {func(s *policy.SBOM) { s.Hashed = -1 }, "hashed: -1 is not between 0 and the 3 components"},
		"more hashed than c": {func(s *policy.SBOM) { s.Hashed = 4 }, "hashed: 4 is not between 0 and the 3 components"},
	} {
		s := ok
		tc.edit(&s)
		assert.EqualError(t, s.Validate(), tc.want, name)
	}
}

// The input carries the SBOM's root and hashed count; root only when
// the SBOM names one.
func TestSBOMInput(t *testing.T) {
	e := newEngine(t)
	req := releaseRequest(2, 7)
	in, err := e.Input(req)
	require.NoError(t, err)
	var doc struct {
		Evidence map[string][]struct {
			Predicate map[string]any `json:"predicate"`
		} `json:"evidence"`
	}
	require.NoError(t, json.Unmarshal(in, &doc))
	sbom := doc.Evidence[policy.PredicateCycloneDX][0].Predicate
	assert.Equal(t, subject.PURL, sbom["root"])
	assert.EqualValues(t, 2, sbom["hashed"])

	req.Evidence[1].Predicate = policy.SBOM{Type: policy.PredicateCycloneDX, Format: "CycloneDX", SpecVersion: "1.6", Components: 1}
	in, err = e.Input(req)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(in, &doc))
	sbom = doc.Evidence[policy.PredicateCycloneDX][0].Predicate
	assert.NotContains(t, sbom, "root")
	assert.EqualValues(t, 0, sbom["hashed"])
}

// DSO-BLD-03 reads the summary's root and hashed count: the root needs no
// version, and every other component a version and a digest.
func TestSBOMPinnedAndLocked(t *testing.T) {
	e := newEngine(t)
	req := releaseRequest(3, 7)
	req.Stage = policy.StageBuild
	c, _ := mustEvaluate(t, e, req).Control("DSO-BLD-03")
	assert.Equal(t, policy.StatusPass, c.Status, c.Message)

	s := req.Evidence[1].Predicate.(policy.SBOM)
	s.Root, s.PURLs[len(s.PURLs)-1] = "pkg:golang/example.com/app", "pkg:golang/example.com/app" // a working tree's build
	req.Evidence[1].Predicate = s
	c, _ = mustEvaluate(t, e, req).Control("DSO-BLD-03")
	assert.Equal(t, policy.StatusPass, c.Status, c.Message)

	s.Hashed = 2
	req.Evidence[1].Predicate = s
	c, _ = mustEvaluate(t, e, req).Control("DSO-BLD-03")
	assert.Equal(t, policy.StatusWarn, c.Status)
	require.Len(t, c.Violations, 1)
	assert.Contains(t, c.Violations[0].Msg, "1 of the 3 dependencies")
}
