package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain/attest"
)

// encodings returns every serialized form of d.
func encodings(t *testing.T, d *policy.Decision) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var err error
	out["json"], err = d.JSON()
	require.NoError(t, err)
	st, err := d.Statement()
	require.NoError(t, err)
	out["statement"] = st.Bytes()
	vsa, err := d.VSA()
	require.NoError(t, err)
	out["vsa"] = vsa.Bytes()
	out["sarif"], err = d.SARIF()
	require.NoError(t, err)
	out["junit"], err = d.JUnit()
	require.NoError(t, err)
	return out
}

func TestDecisionIsByteIdentical(t *testing.T) {
	req := overdueRequest()
	x := waiver()
	x.Findings = []string{"CVE-2026-2222"}
	req.Exceptions = []policy.Exception{x}
	first := encodings(t, mustEvaluate(t, newEngine(t), req))
	for range 10 {
		// A new engine each time: nothing cached carries over.
		again := encodings(t, mustEvaluate(t, newEngine(t), req))
		for form, b := range first {
			assert.Equal(t, string(b), string(again[form]), form)
		}
	}
	// A different time is a different decision.
	later, err := policy.New(context.Background(), policy.Builtin(), policy.WithData(settings()),
		policy.WithClock(func() time.Time { return when.Add(time.Second) }))
	require.NoError(t, err)
	d := mustEvaluate(t, later, req)
	assert.NotEqual(t, string(first["json"]), string(encodings(t, d)["json"]))
}

func mustEvaluate(t *testing.T, e *policy.Engine, req policy.Request) *policy.Decision {
	t.Helper()
	d, err := e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	return d
}

func TestDecisionStatement(t *testing.T) {
	d := mustEvaluate(t, newEngine(t), overdueRequest())
	st, err := d.Statement()
	require.NoError(t, err)
	parsed, err := attest.Parse(st.Bytes())
	require.NoError(t, err)
	assert.Equal(t, attest.PredicatePolicyDecision, parsed.PredicateType())
	var p attest.PolicyDecision
	require.NoError(t, parsed.Decode(&p))
	assert.Equal(t, "deny", p.Result)
	assert.Equal(t, d.PolicyDigest, p.PolicyDigest)
	assert.Equal(t, d.InputDigest, p.InputDigest)
	assert.Equal(t, "release", p.Stage)
	assert.Equal(t, when, p.DecidedAt)
	assert.Contains(t, p.Violations, attest.Violation{Control: "DSO-BLD-05", Message: "CVE-2026-1111 (critical) has been open 40 days, past its 15-day SLA", Enforcement: "mandatory"})
	assert.True(t, parsed.About(subject.Digest))

	schema, ok := attest.Schema(attest.PredicatePolicyDecision)
	require.True(t, ok)
	validate(t, schema, parsed.PredicateJSON())
}

func TestDecisionVSA(t *testing.T) {
	e := newEngine(t, policy.WithVerifier("https://ci.example.com/gate"))
	for _, tc := range []struct {
		req    policy.Request
		result string
		levels []string
	}{
		{releaseRequest(10, 6), "PASSED", []string{"PAVED_RELEASE_GATE"}},
		{overdueRequest(), "FAILED", []string{"FAILED"}},
	} {
		d := mustEvaluate(t, e, tc.req)
		st, err := d.VSA()
		require.NoError(t, err)
		parsed, err := attest.Parse(st.Bytes())
		require.NoError(t, err)
		var vsa attest.VSA
		require.NoError(t, parsed.Decode(&vsa))
		m := vsa.Message()
		assert.Equal(t, tc.result, m.GetVerificationResult())
		assert.Equal(t, tc.levels, m.GetVerifiedLevels())
		assert.Equal(t, "https://ci.example.com/gate", m.GetVerifier().GetId())
		assert.Equal(t, subject.PURL, m.GetResourceUri())
		assert.Equal(t, d.PolicyDigest[len("sha256:"):], m.GetPolicy().GetDigest()["sha256"])
		assert.Len(t, m.GetInputAttestations(), len(d.Evidence))
		assert.Equal(t, when, m.GetTimeVerified().AsTime())
	}
}

func TestSARIF(t *testing.T) {
	req := overdueRequest()
	x := waiver()
	x.Findings = []string{"CVE-2026-2222"}
	req.Exceptions = []policy.Exception{x}
	d := mustEvaluate(t, newEngine(t), req)
	b, err := d.SARIF()
	require.NoError(t, err)
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID       string `json:"ruleId"`
				Level        string `json:"level"`
				Suppressions []struct {
					Kind          string `json:"kind"`
					Justification string `json:"justification"`
				} `json:"suppressions"`
				Properties map[string]string `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(b, &log))
	assert.Equal(t, "2.1.0", log.Version)
	require.Len(t, log.Runs, 1)
	// DSO-SUP-04 warns that the exception, not a VEX statement, accepts
	// CVE-2026-2222.
	require.Len(t, log.Runs[0].Tool.Driver.Rules, 2)
	assert.Equal(t, "DSO-BLD-05", log.Runs[0].Tool.Driver.Rules[0].ID)
	assert.Equal(t, "DSO-SUP-04", log.Runs[0].Tool.Driver.Rules[1].ID)
	require.Len(t, log.Runs[0].Results, 3)
	byFinding := map[string]int{}
	for i, r := range log.Runs[0].Results {
		if r.RuleID == "DSO-SUP-04" {
			assert.Equal(t, "warning", r.Level)
			assert.Equal(t, "CVE-2026-2222", r.Properties["finding"])
			continue
		}
		assert.Equal(t, "error", r.Level)
		byFinding[r.Properties["finding"]] = i
	}
	open, waived := log.Runs[0].Results[byFinding["CVE-2026-1111"]], log.Runs[0].Results[byFinding["CVE-2026-2222"]]
	assert.Empty(t, open.Suppressions)
	require.Len(t, waived.Suppressions, 1)
	assert.Equal(t, "external", waived.Suppressions[0].Kind)
	assert.Contains(t, waived.Suppressions[0].Justification, "exception EX-7 approved by security@example.com until 2026-12-23T12:00:00Z")
}

func TestJUnit(t *testing.T) {
	e := newEngine(t, policy.WithBindings(policy.Binding{Control: "DSO-GOV-01", Enforcement: policy.Mandatory, Manual: true}))
	req := overdueRequest()
	req.Evidence = append(req.Evidence[:3], req.Evidence[4:]...) // no secret scan
	d := mustEvaluate(t, e, req)
	b, err := d.JUnit()
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte(xml.Header)))
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Cases    []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Error   *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	}
	require.NoError(t, xml.Unmarshal(b, &suite))
	assert.Equal(t, 32, suite.Tests)
	assert.Equal(t, 1, suite.Failures)
	assert.Equal(t, 1, suite.Errors)
	assert.Equal(t, 14, suite.Skipped, "DSO-GOV-01 is manual; the Plan, Build-only, Test-only and Operate controls are not applicable")
	for _, c := range suite.Cases {
		switch {
		case c.Failure != nil:
			assert.Contains(t, c.Name, "DSO-BLD-05")
		case c.Error != nil:
			assert.Contains(t, c.Name, "DSO-BLD-02")
			assert.Contains(t, c.Error.Message, "missing evidence")
		case c.Skipped != nil:
			assert.Regexp(t, "^DSO-(GOV-01|PLN-01|PLN-02|BLD-03|BLD-06|SUP-03|TST-02|TST-03|CMP-03|OPS-01|OPS-03|REL-03|RLB-01|RLB-02)", c.Name)
		}
	}
}

// validate checks doc against a JSON schema.
func validate(t *testing.T, schema, doc []byte) {
	t.Helper()
	s, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource("schema.json", s))
	compiled, err := c.Compile("schema.json")
	require.NoError(t, err)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(t, err)
	require.NoError(t, compiled.Validate(v))
}

func TestInputMatchesSchema(t *testing.T) {
	e := newEngine(t)
	req := overdueRequest()
	req.Exceptions = []policy.Exception{waiver()}
	req.Evidence[0].Time = when.Add(-time.Hour)
	req.Deployer = "deploy-bot@example.com"
	in, err := e.Input(req)
	require.NoError(t, err)
	validate(t, policy.InputSchema(), in)
	assert.True(t, json.Valid(in))
	assert.Contains(t, string(in), `"deployer":"deploy-bot@example.com"`)
	assert.Contains(t, string(in), `"time":"2026-11-28T11:00:00Z"`)

	// The digest the decision records is the digest of these bytes.
	d := mustEvaluate(t, e, req)
	assert.Equal(t, digest(string(in)), d.InputDigest)

	// And the schema has teeth.
	var doc map[string]any
	require.NoError(t, json.Unmarshal(in, &doc))
	doc["stage"] = "deploy"
	bad, err := json.Marshal(doc)
	require.NoError(t, err)
	s, err := jsonschema.UnmarshalJSON(bytes.NewReader(policy.InputSchema()))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("schema.json", s))
	compiled, err := c.Compile("schema.json")
	require.NoError(t, err)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	require.NoError(t, err)
	assert.Error(t, compiled.Validate(v))
}
