package policy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain/attest"
)

func TestEvaluateReleasePasses(t *testing.T) {
	e := newEngine(t)
	d, err := e.Evaluate(context.Background(), releaseRequest(50, 20))
	require.NoError(t, err)
	assert.Equal(t, map[string]policy.Status{
		"DSO-BLD-01": policy.StatusPass,
		"DSO-BLD-02": policy.StatusPass,
		"DSO-BLD-03": policy.StatusNotApplicable,
		"DSO-BLD-04": policy.StatusPass,
		"DSO-BLD-05": policy.StatusPass,
		"DSO-GOV-04": policy.StatusPass,
		"DSO-PLN-01": policy.StatusNotApplicable,
		"DSO-PLN-02": policy.StatusNotApplicable,
		"DSO-REL-01": policy.StatusPass,
		"DSO-REL-02": policy.StatusPass,
		"DSO-SUP-01": policy.StatusPass,
		"DSO-SUP-02": policy.StatusPass,
		"DSO-SUP-04": policy.StatusPass,
		"DSO-SUP-05": policy.StatusPass,
		"DSO-REL-03": policy.StatusNotApplicable,
		"DSO-RLB-01": policy.StatusNotApplicable,
		"DSO-RLB-02": policy.StatusNotApplicable,
		"DSO-TST-01": policy.StatusPass,
		"DSO-TST-02": policy.StatusNotApplicable,
		"DSO-TST-03": policy.StatusNotApplicable,
		"DSO-CMP-02": policy.StatusPass,
		"DSO-CMP-03": policy.StatusNotApplicable,
		"DSO-OPS-01": policy.StatusNotApplicable,
		"DSO-OPS-03": policy.StatusNotApplicable,
		"DSO-PLT-01": policy.StatusPass,
		"DSO-PLT-02": policy.StatusPass,
		"DSO-BLD-06": policy.StatusNotApplicable,
		"DSO-SUP-03": policy.StatusNotApplicable,
		"DSO-REL-04": policy.StatusPass,
		"DSO-XCT-01": policy.StatusPass,
		"DSO-XCT-05": policy.StatusPass,
	}, statuses(d))
	assert.Equal(t, policy.Allowed, d.Outcome)
	assert.Equal(t, when, d.Time)
	assert.Equal(t, e.PolicyDigest(), d.PolicyDigest)
	assert.Len(t, d.Evidence, 20)
	assert.Contains(t, d.Query, "deny := data.paved.release.deny")
	assert.Equal(t, policy.DefaultVerifier, d.Verifier)
	assert.Regexp(t, "^[0-9a-f]{32}$", d.ID)
}

func TestEvaluateFailuresBlock(t *testing.T) {
	e := newEngine(t)
	req := releaseRequest(10, 6)
	req.Approvals = req.Approvals[:1] // a high-risk change needs two
	req.Signatures = nil
	d, err := e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	st := statuses(d)
	assert.Equal(t, policy.StatusFail, st["DSO-REL-01"])
	assert.Equal(t, policy.StatusFail, st["DSO-SUP-01"])
	assert.Equal(t, policy.StatusPass, st["DSO-BLD-04"])
	assert.Equal(t, policy.Blocked, d.Outcome)
	assert.True(t, d.Blocked())
	rel, ok := d.Control("DSO-REL-01")
	require.True(t, ok)
	require.Len(t, rel.Violations, 1)
	assert.Equal(t, "high-risk change CHG-1 has 1 approvals by someone other than its author alice@example.com; 2 required", rel.Violations[0].Msg)
	assert.Equal(t, "data.paved.release", rel.Violations[0].Package)
	assert.Equal(t, "deny", d.Predicate().Result)
}

func TestMissingEvidenceIsError(t *testing.T) {
	e := newEngine(t)
	req := releaseRequest(10, 6)
	req.Evidence = req.Evidence[0:1] // provenance only: no SBOM, vulns, scan, tests, VSA
	d, err := e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	for _, id := range []string{"DSO-BLD-02", "DSO-BLD-04", "DSO-BLD-05", "DSO-TST-01", "DSO-SUP-02"} {
		c, ok := d.Control(id)
		require.True(t, ok, id)
		assert.Equal(t, policy.StatusError, c.Status, id)
		assert.Contains(t, c.Message, "missing evidence", id)
	}
	// A policy that finds nothing wrong without evidence still gets no pass.
	vuln, _ := d.Control("DSO-BLD-05")
	assert.Empty(t, vuln.Violations)
	assert.Equal(t, policy.Blocked, d.Outcome)
}

func TestBindingsDecideEnforcementAndStages(t *testing.T) {
	e := newEngine(t, policy.WithBindings(
		policy.Binding{Control: "DSO-SUP-01", Title: "Release artifacts are signed", Enforcement: policy.Advisory, Stages: []string{"release"},
			Mappings: map[string][]string{"ssdf": {"PS.2.1"}, "nist-800-53": {"SI-7", "CM-14"}}},
		policy.Binding{Control: "DSO-BLD-04", Enforcement: policy.Mandatory, Stages: []string{"build"}},
		policy.Binding{Control: "DSO-GOV-01", Title: "Programme has a named accountable owner", Enforcement: policy.Mandatory, Manual: true},
		policy.Binding{Control: "DSO-FND-04", Enforcement: policy.Mandatory, Stages: []string{"release"}},
	))
	req := releaseRequest(10, 6)
	req.Signatures = nil
	d, err := e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	sup, _ := d.Control("DSO-SUP-01")
	assert.Equal(t, policy.StatusWarn, sup.Status, "an advisory control's deny is a warn")
	assert.Equal(t, policy.Advisory, sup.Enforcement)
	assert.Equal(t, "Release artifacts are signed", sup.Title)
	assert.Equal(t, []string{"PS.2.1"}, sup.Mappings["ssdf"])
	bld, _ := d.Control("DSO-BLD-04")
	assert.Equal(t, policy.StatusNotApplicable, bld.Status)
	gov, _ := d.Control("DSO-GOV-01")
	assert.Equal(t, policy.StatusManual, gov.Status)
	fnd, _ := d.Control("DSO-FND-04")
	assert.Equal(t, policy.StatusError, fnd.Status)
	assert.Equal(t, "no policy checks this control", fnd.Message)
	assert.Equal(t, policy.Blocked, d.Outcome, "a bound mandatory control without a policy blocks")
}

func TestStageSkipsControls(t *testing.T) {
	e := newEngine(t)
	req := releaseRequest(10, 6)
	req.Stage = policy.StagePlan
	d, err := e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	st := statuses(d)
	assert.Equal(t, policy.StatusNotApplicable, st["DSO-BLD-04"])
	assert.Equal(t, policy.StatusNotApplicable, st["DSO-REL-01"])
	assert.Equal(t, policy.StatusPass, st["DSO-GOV-04"], "exceptions are checked at every stage")
	assert.Equal(t, policy.StatusPass, st["DSO-PLN-01"])
	assert.Equal(t, "deny := data.paved.cross_cutting.deny; deny := data.paved.governance.deny; deny := data.paved.plan.deny; warn := data.paved.plan.warn; deny := data.paved.platform.deny; warn := data.paved.platform.warn", d.Query, "packages with nothing applicable are not evaluated")
}

func TestBypassIsRecorded(t *testing.T) {
	e := newEngine(t)
	req := releaseRequest(10, 6)
	req.Signatures = nil
	req.Bypass = &policy.Bypass{By: "cto@example.com", Reason: "incident INC-9 hotfix"}
	d, err := e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, policy.Bypassed, d.Outcome)
	assert.Equal(t, req.Bypass, d.Bypass)
	assert.False(t, d.Blocked())
}

func TestInvalidRequest(t *testing.T) {
	e := newEngine(t)
	req := releaseRequest(1, 6)
	req.Stage = "deploy"
	req.Evidence[2].Digest = "md5:abc"
	req.Released = []string{"sha256:XYZ"}
	req.Approvals[0].Approver = ""
	_, err := e.Evaluate(context.Background(), req)
	require.ErrorIs(t, err, policy.ErrInvalidRequest)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var re *policy.RequestError
		require.ErrorAs(t, e, &re)
		fields = append(fields, re.Field)
	}
	assert.Equal(t, []string{"stage", "evidence[2].digest", "released[0]", "approvals[0]"}, fields)
}

func TestInputOverCap(t *testing.T) {
	e := newEngine(t, policy.WithMaxInputBytes(64<<10))
	_, err := e.Evaluate(context.Background(), releaseRequest(5000, 6))
	require.ErrorIs(t, err, policy.ErrInputTooLarge)
	d, err := e.Evaluate(context.Background(), releaseRequest(10, 6))
	require.NoError(t, err, "the engine keeps serving")
	assert.Equal(t, policy.Allowed, d.Outcome)
}

func TestCancellation(t *testing.T) {
	slow := fstest.MapFS{"slow.rego": {Data: []byte(`package paved.slow

# METADATA
# custom:
#   control: SLOW-1
deny contains v if {
	n := count([x | some x in numbers.range(1, 100000000); x % 7 == 0])
	n < 0
	v := {"control": "SLOW-1", "msg": "never"}
}
`)}}
	e, err := policy.New(context.Background(), policy.FS(slow), policy.WithClock(clock))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = e.Evaluate(ctx, releaseRequest(1, 6))
	require.ErrorIs(t, err, policy.ErrEvaluation)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestPolicyErrorsAreControlErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"bad.rego": {Data: []byte(`package paved.bad

# METADATA
# custom:
#   control: BAD-1
deny contains v if {
	n := to_number(input.subject.name)
	v := {"control": "BAD-1", "msg": sprintf("%v", [n])}
}

# METADATA
# custom:
#   control: BAD-2
warn contains v if {
	v := {"control": "BAD-2", "msg": "fine"}
}
`)},
		"shape.rego": {Data: []byte(`package paved.shape

deny contains "a bare string"
`)},
	}
	e, err := policy.New(context.Background(), policy.FS(fsys), policy.WithClock(clock))
	require.NoError(t, err)
	d, err := e.Evaluate(context.Background(), releaseRequest(1, 6))
	require.NoError(t, err)
	bad, _ := d.Control("BAD-1")
	assert.Equal(t, policy.StatusError, bad.Status)
	assert.Contains(t, bad.Message, "to_number")
	bad2, _ := d.Control("BAD-2")
	assert.Equal(t, policy.StatusError, bad2.Status, "one package, one evaluation: its controls share its error")
	shape, _ := d.Control("data.paved.shape")
	assert.Equal(t, policy.StatusError, shape.Status)
	assert.Contains(t, shape.Message, `holds "a bare string", not an object with a msg and a control`)
	assert.Equal(t, policy.Blocked, d.Outcome)
}

func TestExplain(t *testing.T) {
	fsys := fstest.MapFS{"p.rego": {Data: []byte(`package paved.p

# METADATA
# custom:
#   control: P-1
deny contains v if {
	print("subject is", input.subject.name)
	input.stage == "build"
	v := {"control": "P-1", "msg": "no"}
}
`)}}
	e, err := policy.New(context.Background(), policy.FS(fsys), policy.WithClock(clock))
	require.NoError(t, err)
	plain, err := e.Evaluate(context.Background(), releaseRequest(1, 6))
	require.NoError(t, err)
	assert.Nil(t, plain.Explanation)
	d, err := e.Evaluate(context.Background(), releaseRequest(1, 6), policy.Explain())
	require.NoError(t, err)
	require.NotNil(t, d.Explanation)
	assert.Equal(t, []string{"p.rego:7: subject is bin/app"}, d.Explanation.Print)
	assert.Contains(t, d.Explanation.Trace, "# data.paved.p")
	assert.Contains(t, d.Explanation.Trace, `input.stage = "build"`)
	assert.Equal(t, plain.Controls, d.Controls)
}

func TestEvidenceTypesCountChangeAndApprovals(t *testing.T) {
	e := newEngine(t, policy.WithBindings(policy.Binding{Control: "DSO-REL-01", Enforcement: policy.Mandatory,
		Evidence: []string{attest.PredicateApproval}}))
	req := releaseRequest(1, 6)
	req.Approvals = nil
	d, err := e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	rel, _ := d.Control("DSO-REL-01")
	assert.Equal(t, policy.StatusError, rel.Status)
	assert.True(t, strings.HasPrefix(rel.Message, "missing evidence: none of "+attest.PredicateApproval))
	assert.NotEmpty(t, rel.Violations, "the policy's own findings stay visible")
	assert.False(t, errors.Is(err, policy.ErrEvaluation))
}

func TestStaleEvidenceIsError(t *testing.T) {
	e := newEngine(t, policy.WithBindings(policy.Binding{Control: "DSO-BLD-05", Enforcement: policy.Mandatory,
		Evidence: []string{attest.PredicateVulns}, MaxAge: map[string]time.Duration{attest.PredicateVulns: 7 * 24 * time.Hour}}))
	for _, tc := range []struct {
		age    time.Duration
		status policy.Status
	}{
		{0, policy.StatusError}, // no time: never fresh enough
		{3 * 24 * time.Hour, policy.StatusPass},
		{8 * 24 * time.Hour, policy.StatusError},
	} {
		req := releaseRequest(10, 7)
		if tc.age > 0 {
			req.Evidence[2].Time = when.Add(-tc.age)
		}
		d := mustEvaluate(t, e, req)
		c, _ := d.Control("DSO-BLD-05")
		assert.Equal(t, tc.status, c.Status, tc.age)
		if tc.status == policy.StatusError {
			assert.Equal(t, "stale evidence: "+attest.PredicateVulns+" (none newer than 168h0m0s)", c.Message)
		}
	}
	_, err := policy.New(context.Background(), policy.Builtin(), policy.WithBindings(policy.Binding{Control: "X", Enforcement: policy.Mandatory,
		MaxAge: map[string]time.Duration{attest.PredicateVulns: 0}}))
	require.ErrorIs(t, err, policy.ErrInvalidOption)
}

func TestNilPredicateIsAnError(t *testing.T) {
	e := newEngine(t)
	req := releaseRequest(1, 7)
	req.Evidence = append(req.Evidence, policy.Evidence{Predicate: (*policy.SBOM)(nil), Digest: digest("nil")})
	_, err := e.Evaluate(context.Background(), req)
	var re *policy.RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, fmt.Sprintf("evidence[%d].predicate", len(req.Evidence)-1), re.Field)
}
