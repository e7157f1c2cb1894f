package oscal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability/capabilitytest"
	"github.com/paved-dev/paved/evidence/report"
	"github.com/paved-dev/paved/evidence/report/oscal"
)

func sample(t *testing.T) *report.Report {
	t.Helper()
	s := capabilitytest.New(t)
	r, err := report.New(context.Background(), s.Store, s.Map, s.Assess(t))
	require.NoError(t, err)
	return r
}

// schema compiles paved's transcription of the assessment-results model
// (see the file's $comment).
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile("testdata/assessment-results.subset.schema.json")
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource("ar.json", doc))
	s, err := c.Compile("ar.json")
	require.NoError(t, err)
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, b []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return s.Validate(v)
}

func TestAssessmentResultsValidate(t *testing.T) {
	r := sample(t)
	var b bytes.Buffer
	require.NoError(t, oscal.Write(&b, r))
	s := schema(t)
	require.NoError(t, validate(t, s, b.Bytes()))

	// The schema bites: a state OSCAL does not define, or a missing
	// required field, is rejected.
	bad := strings.Replace(b.String(), `"state": "satisfied"`, `"state": "passed"`, 1)
	assert.Error(t, validate(t, s, []byte(bad)))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	delete(doc["assessment-results"].(map[string]any), "import-ap")
	noAP, err := json.Marshal(doc)
	require.NoError(t, err)
	assert.Error(t, validate(t, s, noAP))

	// Same report, same bytes.
	var again bytes.Buffer
	require.NoError(t, oscal.Write(&again, r))
	assert.Equal(t, b.String(), again.String())
}

func TestFindingsFollowStatuses(t *testing.T) {
	r := sample(t)
	doc, err := oscal.FromReport(r)
	require.NoError(t, err)
	require.Len(t, doc.AssessmentResults.Results, 1)
	res := doc.AssessmentResults.Results[0]
	assert.Equal(t, oscal.Version, doc.AssessmentResults.Metadata.OSCALVersion)
	assert.Len(t, res.ReviewedControls.ControlSelections[0].IncludeControls, len(r.Assessment.Controls))

	judged := r.Assessment.Overall.Judged
	assert.Len(t, res.Findings, judged, "one finding per control judged from evidence")
	findings := map[string]oscal.Finding{}
	for _, f := range res.Findings {
		findings[f.Target.TargetID] = f
	}
	assert.Equal(t, oscal.ObjectiveStatus{State: "satisfied", Reason: "pass"}, findings["DSO-TST-01"].Target.Status)
	assert.Equal(t, oscal.ObjectiveStatus{State: "not-satisfied", Reason: "fail"}, findings["DSO-BLD-01"].Target.Status)
	assert.Equal(t, oscal.ObjectiveStatus{State: "not-satisfied", Reason: "waived"}, findings["DSO-BLD-05"].Target.Status)
	assert.Contains(t, findings["DSO-BLD-05"].Props, oscal.Property{Name: "exception", Value: "EX-VULN", NS: oscal.NS})
	assert.NotContains(t, findings, "DSO-GOV-01", "manual")

	// The passing control's observation points at its evidence record.
	tst, _ := r.Assessment.Control("DSO-TST-01")
	f := findings["DSO-TST-01"]
	require.Len(t, f.RelatedObservations, 1)
	var obs *oscal.Observation
	for i := range res.Observations {
		if res.Observations[i].UUID == f.RelatedObservations[0].ObservationUUID {
			obs = &res.Observations[i]
		}
	}
	require.NotNil(t, obs)
	require.Len(t, obs.RelevantEvidence, 1)
	assert.Equal(t, "urn:paved:evidence:"+tst.Evidence[0].ID, obs.RelevantEvidence[0].Href)

	_, err = oscal.FromReport(&report.Report{})
	assert.Error(t, err)
}
