package route_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/capability/route"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sbom"
)

var at = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// inbox is a Notifier that keeps what it is sent, and fails while fail is
// set.
type inbox struct {
	mu   sync.Mutex
	got  []route.Notification
	fail error
}

func (b *inbox) Notify(_ context.Context, n route.Notification) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.got = append(b.got, n)
	return nil
}

func TestRouteByOwnership(t *testing.T) {
	m := capability.Default()
	pager, chat := &inbox{}, &inbox{}
	r, err := route.New(m, []route.Rule{
		{Kinds: []route.Kind{route.Vulnerability, route.Drift}, MinSeverity: route.Critical, Route: "pager", Owner: "sre", Continue: true},
		{Route: "chat"},
	}, map[string]route.Notifier{"pager": pager, "chat": chat})
	require.NoError(t, err)

	owner := func(e route.Event) string {
		ns, err := r.Route(e)
		require.NoError(t, err)
		return ns[len(ns)-1].Owner.ID
	}
	assert.Equal(t, "release-engineering", owner(route.Event{Kind: route.GateFailure, Control: "DSO-BLD-01"}), "the control's owner")
	assert.Equal(t, "security-engineering", owner(route.Event{Kind: route.GateFailure, Control: "DSO-GOV-04"}), "a control's own owner")
	assert.Equal(t, "platform-engineering", owner(route.Event{Kind: route.Drift, Area: capability.Platform}), "the area's owner")
	assert.Equal(t, "sre", owner(route.Event{Kind: route.Drift, Environment: "prod"}), "the environment's owner")
	assert.Equal(t, "devsecops-lead", owner(route.Event{Kind: route.Bypass}), "the programme's owner")

	crit := route.Event{Kind: route.Drift, Severity: route.Critical, Service: "shop", Environment: "staging", Summary: "shop runs an unreleased digest"}
	ns, err := r.Route(crit)
	require.NoError(t, err)
	require.Len(t, ns, 2, "paged and posted")
	assert.Equal(t, "pager", ns[0].Route)
	assert.Equal(t, "sre", ns[0].Owner.ID, "the rule's owner")
	assert.Equal(t, "sre@example.com", ns[0].Owner.Contact)
	assert.Equal(t, "chat", ns[1].Route)
	assert.Equal(t, "platform-engineering", ns[1].Owner.ID, "staging's owner")
	assert.NotEmpty(t, ns[0].Event.ID, "derived")

	warn := crit
	warn.Severity = route.Warning
	ns, err = r.Route(warn)
	require.NoError(t, err)
	require.Len(t, ns, 1, "below the pager's severity")

	none, err := route.New(m, []route.Rule{{Kinds: []route.Kind{route.Bypass}, Route: "chat"}}, map[string]route.Notifier{"chat": chat})
	require.NoError(t, err)
	_, err = none.Route(crit)
	assert.ErrorIs(t, err, route.ErrNoRoute)
}

func TestNotifyDeliversOncePerRouteAndRetriesFailures(t *testing.T) {
	ctx := context.Background()
	pager, chat := &inbox{}, &inbox{fail: errors.New("chat is down")}
	r, err := route.New(capability.Default(), []route.Rule{{Route: "pager", Continue: true}, {Route: "chat"}},
		map[string]route.Notifier{"pager": pager, "chat": chat})
	require.NoError(t, err)
	e := route.Event{ID: "gate:1:DSO-BLD-01", Kind: route.GateFailure, Severity: route.Critical, Control: "DSO-BLD-01", At: at}

	err = r.Notify(ctx, e)
	var de *route.DeliveryError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "chat", de.Route)
	assert.Len(t, pager.got, 1)

	chat.fail = nil
	require.NoError(t, r.Notify(ctx, e, e))
	assert.Len(t, pager.got, 1, "not sent twice")
	assert.Len(t, chat.got, 1, "the failed delivery is retried once")
}

func TestNewRejectsBadRules(t *testing.T) {
	_, err := route.New(capability.Default(), []route.Rule{{Route: "nowhere"}, {Route: "chat", Owner: "ghost", MinSeverity: "meh"}},
		map[string]route.Notifier{"chat": &inbox{}, "nil": nil})
	for _, want := range []string{`rules[0].route: no notifier "nowhere"`, `rules[1].owner: "ghost"`, `rules[1].minSeverity`, `notifier "nil" is nil`} {
		assert.ErrorContains(t, err, want)
	}
	_, err = route.New(nil, nil, nil)
	assert.ErrorContains(t, err, "nil map")
}

func TestGateEvents(t *testing.T) {
	subj := supplychain.Subject{Name: "bin/shop", Digest: supplychain.DigestSet{"sha256": "ab"}}
	d := &policy.Decision{ID: "d1", Time: at, Stage: "release", Environment: "prod", Subject: subj, Outcome: policy.Blocked,
		Controls: []policy.ControlResult{
			{Control: "DSO-REL-01", Status: policy.StatusFail, Enforcement: policy.Mandatory, Violations: []policy.Violation{{Msg: "no approval", Rule: "deny"}}},
			{Control: "DSO-REL-03", Status: policy.StatusError, Enforcement: policy.Advisory, Message: "evidence missing"},
			{Control: "DSO-SUP-01", Status: policy.StatusPass, Enforcement: policy.Mandatory},
		}}
	es := route.GateEvents(d, "shop", "sha256:rec")
	require.Len(t, es, 2)
	assert.Equal(t, route.Event{ID: "gate:d1:DSO-REL-01", Kind: route.GateFailure, Severity: route.Critical, Control: "DSO-REL-01", Service: "shop",
		Environment: "prod", Records: []string{"sha256:rec"}, At: at, Summary: "release gate: DSO-REL-01 fail for bin/shop: no approval"}, es[0])
	assert.Equal(t, route.Warning, es[1].Severity, "advisory")

	d.Outcome, d.Bypass = policy.Bypassed, &policy.Bypass{By: "oncall@example.com", Reason: "hotfix for INC-9"}
	es = route.GateEvents(d, "shop", "")
	require.Len(t, es, 1)
	assert.Equal(t, route.Bypass, es[0].Kind)
	assert.Contains(t, es[0].Summary, "oncall@example.com: hotfix for INC-9")

	d.Outcome = policy.Allowed
	assert.Empty(t, route.GateEvents(d, "shop", ""))
}

func TestEventsFromExceptionsDriftAndVulnerabilities(t *testing.T) {
	m := capability.Default()
	m.Exceptions = append(m.Exceptions,
		capability.Exception{ID: "EX-1", Control: "DSO-BLD-05", Scope: capability.Scope{Services: []string{"shop"}}, Reason: "waiting on upstream",
			RequestedBy: "alice@example.com", ApprovedBy: "appsec@example.com", Expires: at.Add(3 * 24 * time.Hour)},
		capability.Exception{ID: "EX-2", Control: "DSO-BLD-04", Reason: "later", RequestedBy: "a", ApprovedBy: "b", Expires: at.Add(60 * 24 * time.Hour)})
	es := route.ExpiringEvents(m, at, 14*24*time.Hour)
	require.Len(t, es, 1)
	assert.Equal(t, "exception:EX-1:2026-12-01", es[0].ID)
	assert.Equal(t, "shop", es[0].Service)
	assert.Contains(t, es[0].Summary, "in 72h0m0s")

	check := attest.DeploymentDrift{Environment: "prod", Checked: []string{"api", "web"}, CheckedAt: at,
		Drifts: []attest.Drift{{Service: "web", Observed: "sha256:cd", Expected: []string{"sha256:ab"}, Reason: "runs sha256:cd, not release web@2"}}}
	es = route.DeploymentDriftEvents(check, "sha256:rec")
	require.Len(t, es, 1)
	assert.Equal(t, route.Critical, es[0].Severity)
	assert.Equal(t, "web in prod: runs sha256:cd, not release web@2", es[0].Summary)

	cd := attest.ConfigDrift{Name: "deploy/shop.yaml", Environment: "prod", Desired: "sha256:aa", Actual: "sha256:bb", CheckedAt: at,
		Differences: []attest.ConfigDifference{{Path: "$.a", Kind: "added"}, {Path: "$.b", Kind: "removed"}, {Path: "$.c", Kind: "changed"}, {Path: "$.d", Kind: "changed"}}}
	es = route.ConfigDriftEvents(cd, "shop", "sha256:rec")
	require.Len(t, es, 1)
	assert.Equal(t, "deploy/shop.yaml differs from its desired state in 4 place(s): added $.a, removed $.b, changed $.c, ...", es[0].Summary)
	cd.Differences = nil
	assert.Empty(t, route.ConfigDriftEvents(cd, "shop", ""))

	rep := &ledger.ComponentReport{Shipped: []ledger.Shipped{
		{Release: ledger.Release{Service: "shop", Version: "1.4.2"}, Component: sbom.Component{Name: "log4j-core", Version: "2.14.1"}, SBOM: "sha256:sb", Environments: []string{"prod", "staging"}},
		{Release: ledger.Release{Service: "cart", Version: "0.9"}, Component: sbom.Component{Name: "log4j-core", Version: "2.14.0"}, SBOM: "sha256:sc"},
	}}
	es = route.VulnerabilityEvents("CVE-2021-44228", route.Critical, rep, at)
	require.Len(t, es, 2, "one per environment the release runs in; never-deployed releases are not shipped")
	assert.Equal(t, "vuln:CVE-2021-44228:shop@1.4.2:prod", es[0].ID)
	assert.Equal(t, "CVE-2021-44228 affects log4j-core 2.14.1 (in shop@1.4.2), shipped in prod", es[0].Summary)
}

func TestConcurrentNotifyDeliversOnce(t *testing.T) {
	box := &inbox{}
	r, err := route.New(capability.Default(), []route.Rule{{Route: "box"}}, map[string]route.Notifier{"box": box})
	require.NoError(t, err)
	e := route.Event{ID: "drift:prod:web", Kind: route.Drift, Severity: route.Critical, At: at}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() { assert.NoError(t, r.Notify(context.Background(), e)) })
	}
	wg.Wait()
	assert.Len(t, box.got, 1)
}
