package metrics_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/metrics"
)

// The scenarios of this file are computed by hand; each comment shows the
// arithmetic. Week 23 of 2024 runs from Monday 3 June to Monday 10 June.

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

var week23 = func() metrics.Window {
	s, _ := time.Parse(time.RFC3339, "2024-06-03T00:00:00Z")
	return metrics.Window{Start: s, End: s.AddDate(0, 0, 7)}
}()

func compute(t *testing.T, ev metrics.Events, w metrics.Window, opts ...metrics.Option) *metrics.Result {
	t.Helper()
	c, err := metrics.New(opts...)
	require.NoError(t, err)
	r, err := c.Compute(ev, w)
	require.NoError(t, err)
	return r
}

func only(t *testing.T, r *metrics.Result) metrics.Group {
	t.Helper()
	require.Len(t, r.Groups, 1)
	return r.Groups[0]
}

func TestScenarioNoDeploymentInWindow(t *testing.T) {
	// One deployment on 28 May (week 22) with one change; an incident in
	// week 22 too. Week 23 has no deployment at all.
	ev := metrics.Events{
		Changes: []metrics.Change{{ID: "c1", CommittedAt: at(t, "2024-05-27T10:00:00Z")}},
		Deployments: []metrics.Deployment{{ID: "d1", Service: "api", Environment: "prod",
			FinishedAt: at(t, "2024-05-28T10:00:00Z"), Changes: []string{"c1"}}},
	}
	g := only(t, compute(t, ev, week23))
	m := g.Metrics
	// Frequency: 0 deployments / 7 days = 0, and it is a real 0: the
	// window was observed.
	assert.True(t, m.DeploymentFrequency.Defined)
	assert.Equal(t, 0.0, m.DeploymentFrequency.Value)
	assert.Equal(t, 0, m.DeploymentFrequency.N)
	// Everything that divides by deployments or takes a median of nothing
	// is undefined, not 0.
	for name, v := range map[string]metrics.Value{"lead time": m.LeadTime, "change fail rate": m.ChangeFailRate,
		"recovery time": m.RecoveryTime, "rework rate": m.ReworkRate} {
		assert.False(t, v.Defined, name)
		assert.Equal(t, 0, v.N, name)
		assert.Empty(t, v.Tier, name)
	}
	assert.Nil(t, m.QuickCheck)
	// One week bucket, the window itself.
	require.Len(t, g.Series, 1)
	assert.Equal(t, week23.Start, g.Series[0].Start)
	assert.Equal(t, week23.End, g.Series[0].End)
}

func TestScenarioOneDeploymentFiftyChanges(t *testing.T) {
	// Deployment d1 finishes Wednesday 5 June 12:00. Change i (1..50) was
	// committed i hours earlier, so the lead times are 1h, 2h, ..., 50h.
	fin := at(t, "2024-06-05T12:00:00Z")
	d := metrics.Deployment{ID: "d1", Service: "api", Environment: "prod", StartedAt: fin.Add(-10 * time.Minute), FinishedAt: fin}
	var ev metrics.Events
	for i := 1; i <= 50; i++ {
		id := fmt.Sprintf("c%02d", i)
		ev.Changes = append(ev.Changes, metrics.Change{ID: id, CommittedAt: fin.Add(-time.Duration(i) * time.Hour)})
		d.Changes = append(d.Changes, id)
	}
	ev.Deployments = []metrics.Deployment{d}

	m := only(t, compute(t, ev, week23)).Metrics
	// Frequency: 1 deployment / 7 days = 0.142857/day: 2024 "high" (at
	// least once a week, 1/7).
	assert.InDelta(t, 1.0/7, m.DeploymentFrequency.Value, 1e-12)
	assert.Equal(t, 1, m.DeploymentFrequency.N)
	assert.Equal(t, "high", m.DeploymentFrequency.Tier)
	// Lead time, type 7: n=50, h=(50-1)/2=24.5, between the 25th and 26th
	// smallest (25h, 26h): 25 + 0.5*(26-25) = 25.5h; "high" (1d..1w).
	assert.Equal(t, 50, m.LeadTime.N)
	assert.InDelta(t, 25.5, m.LeadTime.Value, 1e-9)
	assert.Equal(t, "high", m.LeadTime.Tier)
	// No rollback, hotfix or incident: change fail rate 0/1, rework 0/1,
	// and no failed deployment to recover: recovery undefined.
	assert.Equal(t, metrics.Value{Defined: true, Value: 0, N: 1, Tier: "elite"}, m.ChangeFailRate)
	assert.Equal(t, metrics.Value{Defined: true, Value: 0, N: 1}, m.ReworkRate)
	assert.False(t, m.RecoveryTime.Defined)
	// Quick Check: frequency 0.1429/day is at least once a month and once
	// a week but not daily: 3 of 5 steps = 6; lead time 25.5h is under a
	// week but not a day: 3 steps = 6; fail rate 0 is under every edge: 10.
	// Recovery undefined: (6+6+10)/3 = 7.333...
	require.NotNil(t, m.QuickCheck)
	assert.InDelta(t, 22.0/3, *m.QuickCheck, 1e-12)

	// The lower median takes the 25th smallest: 25h.
	lower := only(t, compute(t, ev, week23, metrics.WithQuantile(metrics.QuantileLowerMedian))).Metrics
	assert.InDelta(t, 25.0, lower.LeadTime.Value, 1e-9)
	assert.Equal(t, metrics.QuantileLowerMedian, compute(t, ev, week23, metrics.WithQuantile(metrics.QuantileLowerMedian)).Settings.Quantile)
}

func TestScenarioRollback(t *testing.T) {
	// d1 Monday 10:00, d2 Tuesday 10:00, d3 rolls d2 back Tuesday 10:30.
	ev := metrics.Events{Deployments: []metrics.Deployment{
		{ID: "d1", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-03T10:00:00Z")},
		{ID: "d2", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-04T10:00:00Z")},
		{ID: "d3", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-04T10:30:00Z"), Kind: metrics.KindRollback, Previous: "d2"},
	}}
	m := only(t, compute(t, ev, week23)).Metrics
	// Frequency 3/7 per day; one failed deployment (d2) of 3: 1/3, 2024
	// tier "low" (above the 30% bound).
	assert.InDelta(t, 3.0/7, m.DeploymentFrequency.Value, 1e-12)
	assert.InDelta(t, 1.0/3, m.ChangeFailRate.Value, 1e-12)
	assert.Equal(t, 3, m.ChangeFailRate.N)
	assert.Equal(t, "low", m.ChangeFailRate.Tier)
	// Recovery of d2: from its end (10:00) to the rollback's end (10:30):
	// 0.5h, "elite" (under an hour).
	assert.Equal(t, metrics.Value{Defined: true, Value: 0.5, N: 1, Tier: "elite"}, m.RecoveryTime)
	// A rollback is not rework: 0/3.
	assert.Equal(t, 0.0, m.ReworkRate.Value)
	// Without Previous, the rollback blames the deployment just before it:
	// the same answer.
	ev.Deployments[2].Previous = ""
	assert.Equal(t, m, only(t, compute(t, ev, week23)).Metrics)
}

func TestScenarioHotfix(t *testing.T) {
	// d1 Thursday 09:00, hotfix d2 at 11:00 (no Previous: it blames d1).
	// d2 carries change c1, committed at 10:15.
	ev := metrics.Events{
		Changes: []metrics.Change{{ID: "c1", CommittedAt: at(t, "2024-06-06T10:15:00Z")}},
		Deployments: []metrics.Deployment{
			{ID: "d1", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-06T09:00:00Z")},
			{ID: "d2", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-06T11:00:00Z"), Kind: metrics.KindHotfix, Changes: []string{"c1"}},
		},
	}
	m := only(t, compute(t, ev, week23)).Metrics
	// d1 failed: 1/2. Recovery 09:00 -> 11:00 = 2h. Rework: the hotfix,
	// 1/2. Lead time of c1: 10:15 -> 11:00 = 0.75h.
	assert.Equal(t, metrics.Value{Defined: true, Value: 0.5, N: 2, Tier: "low"}, m.ChangeFailRate)
	assert.Equal(t, metrics.Value{Defined: true, Value: 2, N: 1, Tier: "high"}, m.RecoveryTime)
	assert.Equal(t, metrics.Value{Defined: true, Value: 0.5, N: 2}, m.ReworkRate)
	assert.Equal(t, metrics.Value{Defined: true, Value: 0.75, N: 1, Tier: "elite"}, m.LeadTime)
}

func TestScenarioIncidentWithoutDeployment(t *testing.T) {
	// d1 on Monday 08:00. Incident i1 on Friday 14:00, four days later:
	// beyond the 24h link window, with no CausedBy and no version. It links
	// to nothing.
	ev := metrics.Events{
		Deployments: []metrics.Deployment{{ID: "d1", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-03T08:00:00Z")}},
		Incidents: []metrics.Incident{{ID: "i1", Service: "api", Environment: "prod",
			DetectedAt: at(t, "2024-06-07T14:00:00Z"), ResolvedAt: at(t, "2024-06-07T15:00:00Z")}},
	}
	m := only(t, compute(t, ev, week23)).Metrics
	// The fail rate stays 0/1 and the incident is listed, with its reason,
	// where it would have counted.
	want := metrics.Exclusion{Record: metrics.RecordIncident, ID: "i1", Reason: metrics.ReasonNoLinkedDeployment}
	assert.Equal(t, metrics.Value{Defined: true, Value: 0, N: 1, Tier: "elite", Excluded: []metrics.Exclusion{want}}, m.ChangeFailRate)
	assert.Equal(t, metrics.Value{Excluded: []metrics.Exclusion{want}}, m.RecoveryTime)

	// A wider link window (5 days) blames d1: 1/1, recovery 1h.
	m = only(t, compute(t, ev, week23, metrics.WithLinkWindow(5*24*time.Hour))).Metrics
	assert.Equal(t, 1.0, m.ChangeFailRate.Value)
	assert.Equal(t, 1.0, m.RecoveryTime.Value)
	// With no link rules, nothing links even when the incident names d1.
	ev.Incidents[0].CausedBy = "d1"
	m = only(t, compute(t, ev, week23, metrics.WithIncidentLinks())).Metrics
	assert.Equal(t, 0.0, m.ChangeFailRate.Value)
}

func TestScenarioIncidentSpanningWindowEdge(t *testing.T) {
	// d1 Sunday 9 June 22:00 (the last day of week 23); incident i1, caused
	// by d1, detected 23:00 and resolved Monday 10 June 03:00 (week 24).
	ev := metrics.Events{
		Deployments: []metrics.Deployment{{ID: "d1", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-09T22:00:00Z")}},
		Incidents: []metrics.Incident{{ID: "i1", Service: "api", Environment: "prod", CausedBy: "d1",
			DetectedAt: at(t, "2024-06-09T23:00:00Z"), ResolvedAt: at(t, "2024-06-10T03:00:00Z")}},
	}
	two := metrics.Window{Start: week23.Start, End: week23.End.AddDate(0, 0, 7)}
	g := only(t, compute(t, ev, two))
	require.Len(t, g.Series, 2)
	// The failure and its whole recovery (23:00 -> 03:00 = 4h, not cut at
	// midnight) are filed under the deployment's week, 23.
	w23, w24 := g.Series[0].Metrics, g.Series[1].Metrics
	assert.Equal(t, metrics.Value{Defined: true, Value: 4, N: 1, Tier: "high"}, w23.RecoveryTime)
	assert.Equal(t, 1.0, w23.ChangeFailRate.Value)
	// Week 24 saw no deployment: frequency 0, the rest undefined.
	assert.Equal(t, 0, w24.DeploymentFrequency.N)
	assert.False(t, w24.RecoveryTime.Defined)
	assert.False(t, w24.ChangeFailRate.Defined)
	// An open incident leaves recovery undefined, with the reason.
	ev.Incidents[0].ResolvedAt = time.Time{}
	g = only(t, compute(t, ev, two))
	assert.Equal(t, metrics.Value{Excluded: []metrics.Exclusion{{Record: metrics.RecordDeployment, ID: "d1", Reason: metrics.ReasonUnresolved}}}, g.Series[0].Metrics.RecoveryTime)
	assert.Equal(t, 1.0, g.Series[0].Metrics.ChangeFailRate.Value)
}

func TestScenarioTimeZones(t *testing.T) {
	// c1 committed 2024-06-04 09:00 in Tokyo (+09:00) = 00:00 UTC.
	// d1 finished 2024-06-03 23:30 in New York (-04:00) = 03:30 UTC on 4
	// June. Lead time: 3.5h, whatever zones the times were written in.
	ev := metrics.Events{
		Changes: []metrics.Change{{ID: "c1", CommittedAt: at(t, "2024-06-04T09:00:00+09:00")}},
		Deployments: []metrics.Deployment{
			{ID: "d1", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-03T23:30:00-04:00"), Changes: []string{"c1"}},
			// d2: 2024-06-05 01:00 in Berlin (+02:00) = 4 June 23:00 UTC.
			{ID: "d2", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-05T01:00:00+02:00")},
		},
	}
	days := metrics.Window{Start: at(t, "2024-06-03T00:00:00Z"), End: at(t, "2024-06-06T00:00:00Z")}
	g := only(t, compute(t, ev, days, metrics.WithBuckets(metrics.BucketDay)))
	assert.InDelta(t, 3.5, g.Metrics.LeadTime.Value, 1e-9)
	// Day buckets in UTC: both deployments fall on 4 June (03:30 and 23:00).
	require.Len(t, g.Series, 3)
	assert.Equal(t, []int{0, 2, 0}, frequencyNs(g))

	// Day buckets in New York: d1 is 3 June 23:30, d2 is 4 June 19:00. The
	// window starts at midnight UTC, 20:00 on 2 June in New York, so the
	// first bucket is [2 June 20:00 NY, 3 June 00:00 NY): 4 hours; then 3,
	// 4 and 5 June (the last cut at the window's end, 20:00 on 5 June).
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	g = only(t, compute(t, ev, days, metrics.WithBuckets(metrics.BucketDay), metrics.WithLocation(ny)))
	require.Len(t, g.Series, 4)
	assert.Equal(t, []int{0, 1, 1, 0}, frequencyNs(g))
	assert.Equal(t, 4*time.Hour, g.Series[0].End.Sub(g.Series[0].Start))
	// The 4-hour bucket's frequency is per day of its own length: 0/(4/24).
	// 3 June: 1 deployment in 24 hours = 1/day.
	assert.InDelta(t, 1.0, g.Series[1].Metrics.DeploymentFrequency.Value, 1e-12)
	assert.Equal(t, "America/New_York", compute(t, ev, days, metrics.WithLocation(ny)).Settings.Location)
}

func frequencyNs(g metrics.Group) []int {
	var out []int
	for _, p := range g.Series {
		out = append(out, p.Metrics.DeploymentFrequency.N)
	}
	return out
}
