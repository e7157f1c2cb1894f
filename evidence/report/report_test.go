package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability/capabilitytest"
	"github.com/paved-dev/paved/evidence/report"
	"github.com/paved-dev/paved/internal/browsertest"
	"github.com/paved-dev/paved/supplychain/attest"
)

// build assesses the scenario twice (tests failed, then fixed) and
// reports the second assessment with the first as history.
func build(t *testing.T) (*capabilitytest.Scenario, *report.Report) { return buildTB(t) }

func buildTB(t testing.TB) (*capabilitytest.Scenario, *report.Report) {
	t.Helper()
	s := capabilitytest.New(t)
	first := s.Assess(t)
	first.At = first.At.Add(-24 * time.Hour)
	first.Overall.Rate = 10
	a := s.Assess(t)
	r, err := report.New(context.Background(), s.Store, s.Map, a, report.WithHistory(first))
	require.NoError(t, err)
	return s, r
}

func TestNewGathersApprovalsExceptionsAndTrend(t *testing.T) {
	s, r := build(t)
	require.Len(t, r.Approvals, 1)
	ap := r.Approvals[0]
	assert.Equal(t, "bob@example.com", ap.Approver)
	assert.Equal(t, "PR-7", ap.ChangeID)
	assert.Equal(t, s.Records["approval"].ID, ap.Record)
	assert.Equal(t, []string{"ci"}, ap.Signers)

	require.Len(t, r.Exceptions, 1)
	assert.Equal(t, "EX-VULN", r.Exceptions[0].ID)
	assert.True(t, r.Exceptions[0].Applied)
	assert.True(t, r.Exceptions[0].ExpiresSoon)

	require.Len(t, r.Trend, 2)
	assert.InDelta(t, 10, r.Trend[0].Rate, 1e-9, "history first")
	assert.Equal(t, r.Assessment.ID, r.Trend[1].ID)
	assert.Equal(t, "paved default DevSecOps capability: shop 1.4.2 in prod", r.Title)

	_, err := report.New(context.Background(), s.Store, s.Map, r.Assessment, report.WithTitle(" "), report.WithHistory(nil))
	assert.ErrorContains(t, err, "WithTitle")
	assert.ErrorContains(t, err, "WithHistory")
}

func TestJSONAndMarkdown(t *testing.T) {
	_, r := build(t)
	var js bytes.Buffer
	require.NoError(t, r.WriteJSON(&js))
	var back report.Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, r.Assessment.ID, back.Assessment.ID)
	assert.Len(t, back.Assessment.Controls, len(r.Assessment.Controls))

	var md bytes.Buffer
	require.NoError(t, r.WriteMarkdown(&md))
	out := md.String()
	assert.Contains(t, out, "# paved default DevSecOps capability: shop 1.4.2 in prod")
	assert.Regexp(t, `\| DSO-BLD-01 \| [^|]+ \| fail \| release-engineering \| .*trusted builder`, out)
	assert.Regexp(t, `\| DSO-REL-01 \| [^|]+ \| pass \| [^|]+ \| +\| #1 sha256:`, out, "the approval is record 1")
	assert.Contains(t, out, "## Trend")
	assert.Contains(t, out, "| EX-VULN | DSO-BLD-05 |")
	assert.Contains(t, out, "| PR-7 | bob@example.com | approved |")
	assert.Contains(t, out, "## Backlog")
}

func TestHTMLRendersInChromium(t *testing.T) {
	_, r := build(t)
	var b bytes.Buffer
	require.NoError(t, r.WriteHTML(&b))
	page := b.String()
	assert.NotRegexp(t, `(?i)(src|href)\s*=\s*"(https?:)?//`, page, "self-contained")
	assert.Contains(t, page, "default-src 'none'")

	// One bar segment per area and status present.
	segments := 0
	for _, ar := range r.Assessment.Areas {
		for _, n := range ar.Counts {
			if n > 0 {
				segments++
			}
		}
	}
	dom := browsertest.DumpDOM(t, b.Bytes())
	assert.Contains(t, dom, `data-bars="`+strconv.Itoa(segments)+`"`)
	assert.Contains(t, dom, `data-bars-drawn="`+strconv.Itoa(segments)+`"`, "the page's script found every segment drawn")
	assert.Contains(t, dom, `data-trend-drawn="2"`)
	assert.Contains(t, dom, `<polyline class="line"`)
	for _, c := range r.Assessment.Controls {
		assert.Contains(t, dom, `data-control="`+c.Control+`" data-status="`+string(c.Status)+`"`)
	}
	assert.Regexp(t, regexp.MustCompile(`data-control="DSO-REL-01"[\s\S]*?#1 <code title="sha256:[0-9a-f]{64}">`), dom)
	assert.Contains(t, dom, "<td>EX-VULN</td>")
	assert.Contains(t, dom, "<td>bob@example.com</td>")
}

func TestSARIF(t *testing.T) {
	_, r := build(t)
	b, err := r.SARIF()
	require.NoError(t, err)
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID       string            `json:"ruleId"`
				Level        string            `json:"level"`
				Suppressions []json.RawMessage `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(b, &log))
	assert.Equal(t, "2.1.0", log.Version)
	require.Len(t, log.Runs, 1)
	assert.Len(t, log.Runs[0].Results, len(r.Assessment.Backlog), "one result per gap")
	levels := map[string]string{}
	for _, res := range log.Runs[0].Results {
		levels[res.RuleID] = res.Level
		if res.RuleID == "DSO-BLD-05" {
			assert.Len(t, res.Suppressions, 1, "waived by EX-VULN")
		}
	}
	assert.Equal(t, "error", levels["DSO-BLD-01"])
	assert.Equal(t, "warning", levels["DSO-PLT-01"])
	assert.NotContains(t, levels, "DSO-TST-01", "a pass is no result")
}

func TestVSA(t *testing.T) {
	s, r := build(t)
	st, err := r.VSA("https://paved.dev/verifier/assess")
	require.NoError(t, err)
	var vsa attest.VSA
	require.NoError(t, st.Decode(&vsa))
	assert.Equal(t, "FAILED", vsa.Message().GetVerificationResult(), "DSO-BLD-01 fails")
	assert.Len(t, vsa.Message().GetInputAttestations(), len(r.Assessment.Records))
	assert.True(t, st.About(capabilitytest.Artifact().Digest))

	// Only the controls that pass: the release verifies.
	s.Scope.Controls = []string{"DSO-TST-01", "DSO-REL-01", "DSO-BLD-05"}
	a := s.Assess(t)
	r, err = report.New(context.Background(), s.Store, s.Map, a)
	require.NoError(t, err)
	st, err = r.VSA("https://paved.dev/verifier/assess")
	require.NoError(t, err)
	require.NoError(t, st.Decode(&vsa))
	assert.Equal(t, "PASSED", vsa.Message().GetVerificationResult())
	assert.Equal(t, []string{report.VerifiedLevel}, vsa.Message().GetVerifiedLevels())

	_, err = r.VSA("")
	assert.Error(t, err)
}
