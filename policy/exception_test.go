package policy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	vulnsv02 "github.com/in-toto/attestation/go/predicates/vulns/v02"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain/attest"
)

// overdueRequest is a release request with two critical findings past
// their 15-day SLA.
func overdueRequest() policy.Request {
	req := releaseRequest(10, 6)
	req.Evidence[2] = evidence(attest.NewVulns(&vulnsv02.Vulns{Scanner: &vulnsv02.Scanner{
		Uri: "pkg:golang/golang.org/x/vuln",
		Result: []*vulnsv02.Result{
			finding("CVE-2026-1111", "9.8", when.AddDate(0, 0, -40)),
			finding("CVE-2026-2222", "9.1", when.AddDate(0, 0, -20)),
		},
	}}), "scanner@example.com")
	return req
}

func waiver() policy.Exception {
	return policy.Exception{
		ID:            "EX-7",
		Controls:      []string{"DSO-BLD-05"},
		Digests:       []string{"sha256:" + strings.Repeat("ab", 32)},
		Justification: "the vulnerable code path is not reachable; fix scheduled",
		RequestedBy:   "alice@example.com",
		ApprovedBy:    "security@example.com",
		Granted:       when.AddDate(0, 0, -5),
		Expires:       when.AddDate(0, 0, 25),
	}
}

func TestExceptionWaivesControl(t *testing.T) {
	e := newEngine(t)
	req := overdueRequest()
	d, err := e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	c, _ := d.Control("DSO-BLD-05")
	require.Equal(t, policy.StatusFail, c.Status)
	require.Len(t, c.Violations, 2)

	req.Exceptions = []policy.Exception{waiver()}
	d, err = e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	c, _ = d.Control("DSO-BLD-05")
	assert.Equal(t, policy.StatusWaived, c.Status)
	assert.Equal(t, []string{"EX-7"}, c.Exceptions)
	for _, v := range c.Violations {
		assert.Equal(t, "EX-7", v.WaivedBy)
	}
	assert.Equal(t, []policy.AppliedException{{ID: "EX-7", Controls: []string{"DSO-BLD-05"}, Justification: waiver().Justification,
		RequestedBy: "alice@example.com", ApprovedBy: "security@example.com", Expires: when.AddDate(0, 0, 25)}}, d.Exceptions)
	assert.Equal(t, policy.Allowed, d.Outcome)
	assert.Empty(t, d.Notes)
}

func TestExceptionWaivesOneFinding(t *testing.T) {
	e := newEngine(t)
	req := overdueRequest()
	x := waiver()
	x.Findings = []string{"CVE-2026-2222"}
	req.Exceptions = []policy.Exception{x}
	d, err := e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	c, _ := d.Control("DSO-BLD-05")
	assert.Equal(t, policy.StatusFail, c.Status, "the other finding stands")
	waived := map[string]string{}
	for _, v := range c.Violations {
		waived[v.Finding] = v.WaivedBy
	}
	assert.Equal(t, map[string]string{"CVE-2026-1111": "", "CVE-2026-2222": "EX-7"}, waived)
}

func TestExpiredExceptionDoesNotApply(t *testing.T) {
	e := newEngine(t)
	req := overdueRequest()
	x := waiver()
	x.Granted = when.AddDate(0, 0, -60)
	x.Expires = when.Add(-time.Second)
	req.Exceptions = []policy.Exception{x}
	d, err := e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	c, _ := d.Control("DSO-BLD-05")
	assert.Equal(t, policy.StatusFail, c.Status)
	assert.Empty(t, c.Exceptions)
	assert.Empty(t, d.Exceptions)
	assert.Equal(t, []policy.Note{{Exception: "EX-7", Control: "DSO-BLD-05",
		Message: "not applied: expires: expired at 2026-11-28T11:59:59Z"}}, d.Notes)
	assert.Equal(t, policy.Blocked, d.Outcome)

	// The exception expiring exactly now has expired too.
	req.Exceptions[0].Expires = when
	d, err = e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	c, _ = d.Control("DSO-BLD-05")
	assert.Equal(t, policy.StatusFail, c.Status)
	assert.Len(t, d.Notes, 1)
}

func TestInvalidExceptionsDoNotApply(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*policy.Exception)
		note string
	}{
		"self-approved":    {func(x *policy.Exception) { x.ApprovedBy = x.RequestedBy }, `approvedBy: approved by its requester "alice@example.com"`},
		"too long":         {func(x *policy.Exception) { x.Expires = x.Granted.AddDate(0, 0, 91) }, "expires: lasts 2184h0m0s, longer than the maximum 2160h0m0s"},
		"not yet granted":  {func(x *policy.Exception) { x.Granted = when.Add(time.Hour) }, "granted: not until 2026-11-28T13:00:00Z"},
		"no justification": {func(x *policy.Exception) { x.Justification = " " }, "justification: required"},
		"no approver":      {func(x *policy.Exception) { x.ApprovedBy = "" }, "approvedBy: required"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t)
			req := overdueRequest()
			x := waiver()
			tc.edit(&x)
			req.Exceptions = []policy.Exception{x}
			d, err := e.Evaluate(context.Background(), req)
			require.NoError(t, err)
			c, _ := d.Control("DSO-BLD-05")
			assert.Equal(t, policy.StatusFail, c.Status)
			require.Len(t, d.Notes, 1)
			assert.Equal(t, "not applied: "+tc.note, d.Notes[0].Message)
			gov, _ := d.Control("DSO-GOV-04")
			if name == "not yet granted" {
				assert.Equal(t, policy.StatusPass, gov.Status, "well formed, only early")
			} else {
				assert.Equal(t, policy.StatusFail, gov.Status, "the governance guardrail flags a malformed exception")
			}
		})
	}
}

func TestExceptionScope(t *testing.T) {
	for name, tc := range map[string]struct {
		edit   func(*policy.Exception)
		waived bool
	}{
		"digest":               {func(x *policy.Exception) {}, true},
		"purl pattern":         {func(x *policy.Exception) { x.Digests = nil; x.PURLs = []string{"pkg:golang/example.com/app@*"} }, true},
		"other purl":           {func(x *policy.Exception) { x.Digests = nil; x.PURLs = []string{"pkg:golang/example.com/other@*"} }, false},
		"other digest":         {func(x *policy.Exception) { x.Digests = []string{digest("other")} }, false},
		"other control":        {func(x *policy.Exception) { x.Controls = []string{"DSO-BLD-04"} }, false},
		"matching environment": {func(x *policy.Exception) { x.Environments = []string{"staging", "production"} }, true},
		"other environment":    {func(x *policy.Exception) { x.Environments = []string{"staging"} }, false},
		"other stage":          {func(x *policy.Exception) { x.Stages = []string{"build"} }, false},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t)
			req := overdueRequest()
			x := waiver()
			tc.edit(&x)
			req.Exceptions = []policy.Exception{x}
			d, err := e.Evaluate(context.Background(), req)
			require.NoError(t, err)
			c, _ := d.Control("DSO-BLD-05")
			if tc.waived {
				assert.Equal(t, policy.StatusWaived, c.Status)
			} else {
				assert.Equal(t, policy.StatusFail, c.Status)
				assert.Empty(t, d.Notes, "an exception that does not cover the control leaves no note")
			}
		})
	}
}

func TestExceptionWaivesMissingEvidence(t *testing.T) {
	e := newEngine(t, policy.WithMaxExceptionDuration(30*24*time.Hour))
	req := releaseRequest(10, 6)
	req.Evidence = append(req.Evidence[:1], req.Evidence[2:]...) // no SBOM
	x := waiver()
	x.Controls = []string{"DSO-BLD-04"}
	req.Exceptions = []policy.Exception{x}
	d, err := e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	c, _ := d.Control("DSO-BLD-04")
	assert.Equal(t, policy.StatusWaived, c.Status)
	assert.Equal(t, policy.Allowed, d.Outcome)

	x.Expires = x.Granted.AddDate(0, 0, 31)
	req.Exceptions = []policy.Exception{x}
	d, err = e.Evaluate(context.Background(), req)
	require.NoError(t, err)
	c, _ = d.Control("DSO-BLD-04")
	assert.Equal(t, policy.StatusError, c.Status, "the engine's maximum duration applies")
}

func TestExceptionWithoutScopeFailsGovernance(t *testing.T) {
	e := newEngine(t)
	req := releaseRequest(10, 7)
	req.Exceptions = []policy.Exception{{ID: "EX-empty", Justification: "x", RequestedBy: "a@example.com", ApprovedBy: "b@example.com",
		Granted: when.Add(-time.Hour), Expires: when.Add(time.Hour)}}
	d := mustEvaluate(t, e, req)
	gov, _ := d.Control("DSO-GOV-04")
	assert.Equal(t, policy.StatusFail, gov.Status, "null lists in the input are findings, not evaluation errors")
	msgs := []string{}
	for _, v := range gov.Violations {
		msgs = append(msgs, v.Msg)
	}
	assert.ElementsMatch(t, []string{"exception EX-empty: names no control", "exception EX-empty: has no subject digests or purl patterns"}, msgs)
}
