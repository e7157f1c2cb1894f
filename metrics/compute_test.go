package metrics_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/metrics"
)

func TestBadInputIsExcludedWithReason(t *testing.T) {
	fin := at(t, "2024-06-04T10:00:00Z")
	ev := metrics.Events{
		Changes: []metrics.Change{
			{ID: "c1", CommittedAt: fin.Add(-2 * time.Hour)},
			{ID: "c1", CommittedAt: fin.Add(-2 * time.Hour)}, // identical: counts once
			{ID: "c2", CommittedAt: fin.Add(-1 * time.Hour)},
			{ID: "c2", CommittedAt: fin.Add(-3 * time.Hour)}, // conflicting: neither counts
			{ID: "", CommittedAt: fin},
			{ID: "c3"},
		},
		Deployments: []metrics.Deployment{
			{ID: "d1", Service: "api", Environment: "prod", FinishedAt: fin, Changes: []string{"c1", "c2", "c3"}},
			{ID: "d2", Service: "api", Environment: "prod", FinishedAt: fin, Kind: "canary"},
			{ID: "d3", Service: "api", Environment: "prod", FinishedAt: fin, Outcome: "unknown"},
			{ID: "d4", Service: "api", FinishedAt: fin},
			{ID: "d5", Service: "api", Environment: "prod", StartedAt: fin.Add(time.Hour), FinishedAt: fin},
			{ID: "d6", Service: "api", Environment: "prod", FinishedAt: fin.Add(time.Hour), Outcome: metrics.OutcomeFailed},
		},
		Incidents: []metrics.Incident{
			{ID: "i1", Service: "api", Environment: "prod", DetectedAt: fin.Add(time.Hour), ResolvedAt: fin},
		},
		Runs: []metrics.Run{
			{ID: "r1", Service: "api", Environment: "prod", StartedAt: fin, Steps: []metrics.Step{{Name: "deploy", Duration: -time.Second}}},
		},
	}
	r := compute(t, ev, week23)
	assert.Equal(t, []metrics.Exclusion{
		{Record: metrics.RecordChange, ID: "", Reason: metrics.ReasonMissingField, Detail: "id"},
		{Record: metrics.RecordChange, ID: "c2", Reason: metrics.ReasonConflictingDuplicate},
		{Record: metrics.RecordDeployment, ID: "d2", Reason: metrics.ReasonUnknownKind, Detail: "kind canary"},
		{Record: metrics.RecordDeployment, ID: "d3", Reason: metrics.ReasonUnknownKind, Detail: "outcome unknown"},
		{Record: metrics.RecordDeployment, ID: "d4", Reason: metrics.ReasonMissingField, Detail: "environment"},
		{Record: metrics.RecordDeployment, ID: "d5", Reason: metrics.ReasonEndsBeforeStart, Detail: "finishedAt before startedAt"},
		{Record: metrics.RecordIncident, ID: "i1", Reason: metrics.ReasonEndsBeforeStart, Detail: "resolvedAt before detectedAt"},
		{Record: metrics.RecordRun, ID: "r1", Reason: metrics.ReasonNegativeDuration, Detail: "step deploy"},
	}, r.Excluded)
	m := only(t, r).Metrics
	// Only d1 counts; d6 never ran. Only c1 has a lead time (2h); c2 is
	// unknown, c3 has no commit time.
	assert.Equal(t, 1, m.DeploymentFrequency.N)
	assert.Equal(t, []metrics.Exclusion{{Record: metrics.RecordDeployment, ID: "d6", Reason: metrics.ReasonNotInProduction}}, m.DeploymentFrequency.Excluded)
	assert.Equal(t, metrics.Value{Defined: true, Value: 2, N: 1, Tier: "elite", Excluded: []metrics.Exclusion{
		{Record: metrics.RecordChange, ID: "c2", Reason: metrics.ReasonUnknownChange, Detail: "in deployment d1"},
		{Record: metrics.RecordChange, ID: "c3", Reason: metrics.ReasonNoClockStart, Detail: "commit"},
	}}, m.LeadTime)
}

func TestIncidentLinkRules(t *testing.T) {
	// d1 (v1) Monday 10:00, d2 (v2) Monday 12:00. The incident is detected
	// Monday 13:00 and resolved 15:00.
	deps := []metrics.Deployment{
		{ID: "d1", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-03T10:00:00Z"), Version: "v1"},
		{ID: "d2", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-03T12:00:00Z"), Version: "v2"},
	}
	inc := metrics.Incident{ID: "i1", Service: "api", Environment: "prod", DetectedAt: at(t, "2024-06-03T13:00:00Z"), ResolvedAt: at(t, "2024-06-03T15:00:00Z")}
	failed := func(in metrics.Incident, opts ...metrics.Option) []bool {
		// A one-minute window from each deployment's end holds it alone.
		ev := metrics.Events{Deployments: deps, Incidents: []metrics.Incident{in}}
		var out []bool
		for _, d := range deps {
			w := metrics.Window{Start: d.FinishedAt, End: d.FinishedAt.Add(time.Minute)}
			out = append(out, only(t, compute(t, ev, w, opts...)).Metrics.ChangeFailRate.Value == 1)
		}
		return out
	}
	// Nearest earlier deployment within 24h: d2.
	assert.Equal(t, []bool{false, true}, failed(inc))
	// The version names d1, before the nearest rule.
	withVersion := inc
	withVersion.Version = "v1"
	assert.Equal(t, []bool{true, false}, failed(withVersion))
	// The explicit link wins over the version.
	explicit := withVersion
	explicit.CausedBy = "d2"
	assert.Equal(t, []bool{false, true}, failed(explicit))
	// The rule order is the caller's: version first.
	assert.Equal(t, []bool{true, false}, failed(explicit, metrics.WithIncidentLinks(metrics.LinkVersion, metrics.LinkExplicit)))
	// A window of one hour (13:00 - 12:00 = 1h, inclusive) still reaches
	// d2; 59 minutes does not.
	assert.Equal(t, []bool{false, true}, failed(inc, metrics.WithLinkWindow(time.Hour)))
	assert.Equal(t, []bool{false, false}, failed(inc, metrics.WithLinkWindow(59*time.Minute)))
}

func TestLeadTimeClockAndNegative(t *testing.T) {
	// c1: authored 00:00, committed 02:00, PR opened 03:00, merged 07:00;
	// deployed at 08:00. c2 has no PR. c3 was committed after the deploy
	// finished (clock skew): -1h.
	fin := at(t, "2024-06-04T08:00:00Z")
	ev := metrics.Events{
		Changes: []metrics.Change{
			{ID: "c1", AuthoredAt: at(t, "2024-06-04T00:00:00Z"), CommittedAt: at(t, "2024-06-04T02:00:00Z"),
				PRCreatedAt: at(t, "2024-06-04T03:00:00Z"), MergedAt: at(t, "2024-06-04T07:00:00Z")},
			{ID: "c2", CommittedAt: at(t, "2024-06-04T04:00:00Z")},
			{ID: "c3", CommittedAt: at(t, "2024-06-04T09:00:00Z")},
		},
		Deployments: []metrics.Deployment{{ID: "d1", Service: "api", Environment: "prod", FinishedAt: fin, Changes: []string{"c1", "c2", "c3"}}},
	}
	lead := func(opts ...metrics.Option) metrics.Value {
		return only(t, compute(t, ev, week23, opts...)).Metrics.LeadTime
	}
	// Commit (default): c1 6h, c2 4h, c3 dropped: median (4+6)/2 = 5h.
	v := lead()
	assert.InDelta(t, 5, v.Value, 1e-9)
	assert.Equal(t, 2, v.N)
	require.Len(t, v.Excluded, 1)
	assert.Equal(t, metrics.ReasonNegativeDuration, v.Excluded[0].Reason)
	// Clamped, c3 counts 0h: median of 0, 4, 6 = 4h.
	assert.InDelta(t, 4, lead(metrics.WithNegative(metrics.NegativeClamp)).Value, 1e-9)
	// First commit: c1 8h (c2 and c3 have no AuthoredAt).
	v = lead(metrics.WithLeadTimeStart(metrics.ClockFirstCommit))
	assert.InDelta(t, 8, v.Value, 1e-9)
	assert.Len(t, v.Excluded, 2)
	assert.Equal(t, metrics.ReasonNoClockStart, v.Excluded[0].Reason)
	// PR created: 5h. Merge: 1h.
	assert.InDelta(t, 5, lead(metrics.WithLeadTimeStart(metrics.ClockPRCreated)).Value, 1e-9)
	assert.InDelta(t, 1, lead(metrics.WithLeadTimeStart(metrics.ClockMerge)).Value, 1e-9)
	// Error: a typed error naming the pair.
	c, err := metrics.New(metrics.WithNegative(metrics.NegativeError))
	require.NoError(t, err)
	_, err = c.Compute(ev, week23)
	var de *metrics.DurationError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, metrics.DurationError{Change: "c3", Deployment: "d1", Duration: -time.Hour}, *de)
}

func TestPreviousDeploymentDiff(t *testing.T) {
	// d1 started Monday 09:00; d2 (no change list, previous d1) started
	// Tuesday 09:00 and finished 10:00. It carries the repository's
	// changes committed in (Monday 09:00, Tuesday 09:00]: c2 (Monday
	// 12:00, 22h) and c3 (Tuesday 08:00, 2h), not c1 (before) or c4
	// (after), nor c5 of another repository.
	ev := metrics.Events{
		Changes: []metrics.Change{
			{ID: "c1", Repository: "r", CommittedAt: at(t, "2024-06-03T08:00:00Z")},
			{ID: "c2", Repository: "r", CommittedAt: at(t, "2024-06-03T12:00:00Z")},
			{ID: "c3", Repository: "r", CommittedAt: at(t, "2024-06-04T08:00:00Z")},
			{ID: "c4", Repository: "r", CommittedAt: at(t, "2024-06-04T09:30:00Z")},
			{ID: "c5", Repository: "other", CommittedAt: at(t, "2024-06-04T08:00:00Z")},
		},
		Deployments: []metrics.Deployment{
			{ID: "d1", Service: "api", Environment: "prod", StartedAt: at(t, "2024-06-03T09:00:00Z"), FinishedAt: at(t, "2024-06-03T09:30:00Z")},
			{ID: "d2", Service: "api", Environment: "prod", StartedAt: at(t, "2024-06-04T09:00:00Z"), FinishedAt: at(t, "2024-06-04T10:00:00Z"), Previous: "d1", Repository: "r"},
		},
	}
	v := only(t, compute(t, ev, week23)).Metrics.LeadTime
	// Median of 2h and 22h: 12h.
	assert.Equal(t, metrics.Value{Defined: true, Value: 12, N: 2, Tier: "elite"}, v)
}

func TestRollingAndDST(t *testing.T) {
	// A deployment every day at 12:00 UTC for March 2024.
	var ev metrics.Events
	for d := range 31 {
		ev.Deployments = append(ev.Deployments, metrics.Deployment{ID: string(rune('a'+d%26)) + string(rune('0'+d/26)), Service: "api", Environment: "prod",
			FinishedAt: time.Date(2024, 3, 1+d, 12, 0, 0, 0, time.UTC)})
	}
	march := metrics.Window{Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)}
	// Weekly 14-day rolling points: each point ends where its week ends
	// (Mondays 4, 11, 18, 25 March; the last is cut at 1 April) and
	// reaches back 14 days. The first covers 19 Feb - 4 Mar: 3 deployments
	// (1, 2, 3 March) over 14 days.
	g := only(t, compute(t, ev, march, metrics.WithRolling(14*24*time.Hour)))
	require.Len(t, g.Series, 5)
	assert.Equal(t, time.Date(2024, 2, 19, 0, 0, 0, 0, time.UTC), g.Series[0].Start)
	assert.InDelta(t, 3.0/14, g.Series[0].Metrics.DeploymentFrequency.Value, 1e-12)
	assert.Equal(t, 14, g.Series[2].Metrics.DeploymentFrequency.N)

	// Week buckets on Sundays in New York: summer time starts on Sunday 10
	// March, so that week is 167 hours long; it holds 7 deployments.
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	g = only(t, compute(t, ev, march, metrics.WithLocation(ny), metrics.WithWeekStart(time.Sunday)))
	var dstWeek metrics.Point
	for _, p := range g.Series {
		if p.Start.Equal(time.Date(2024, 3, 10, 0, 0, 0, 0, ny)) {
			dstWeek = p
		}
	}
	assert.Equal(t, 167*time.Hour, dstWeek.End.Sub(dstWeek.Start))
	assert.Equal(t, 7, dstWeek.Metrics.DeploymentFrequency.N)
	assert.InDelta(t, 7/(167.0/24), dstWeek.Metrics.DeploymentFrequency.Value, 1e-12)
}

func TestToil(t *testing.T) {
	// Two runs: 10 min manual approval + 30 min automated build; then a
	// 20 min automated deploy. Manual share 10/60.
	ev := metrics.Events{Runs: []metrics.Run{
		{ID: "r1", Service: "api", Environment: "prod", StartedAt: at(t, "2024-06-04T10:00:00Z"), Steps: []metrics.Step{
			{Name: "approve", Manual: true, Duration: 10 * time.Minute}, {Name: "build", Duration: 30 * time.Minute}}},
		{ID: "r2", Service: "api", Environment: "prod", StartedAt: at(t, "2024-06-05T10:00:00Z"), Steps: []metrics.Step{
			{Name: "deploy", Duration: 20 * time.Minute}}},
	}}
	toil := only(t, compute(t, ev, week23)).Metrics.Toil
	assert.Equal(t, metrics.Toil{Runs: 2, ManualSteps: 1, AutomatedSteps: 2, ManualTime: 10 * time.Minute, AutomatedTime: 50 * time.Minute,
		ManualShare: metrics.Value{Defined: true, Value: 1.0 / 6, N: 3}}, toil)
}

func TestTiersByYear(t *testing.T) {
	// Change fail rate 12%. 2024 lists its tiers by value (elite 5%,
	// medium 10%, high 20%, low 40%): under the 15% midpoint, medium. 2023
	// (5, 10, 15, 64%): between the 7.5% and 12.5% midpoints, high. 2022
	// (high 0-15%): high. 2021 (elite 0-15%): elite. 2025: no tiers.
	deps := make([]metrics.Deployment, 25)
	for i := range deps {
		deps[i] = metrics.Deployment{ID: string(rune('a' + i)), Service: "api", Environment: "prod", FinishedAt: week23.Start.Add(time.Duration(i) * time.Hour)}
	}
	deps[24].Kind = metrics.KindRollback // blames deps[23]
	deps[10].Outcome = metrics.OutcomeRolledBack
	deps[5].Outcome = metrics.OutcomeRolledBack
	// 3 failed of 25 = 12%.
	for year, want := range map[int]string{2024: "medium", 2023: "high", 2022: "high", 2021: "elite", 2025: ""} {
		m := only(t, compute(t, metrics.Events{Deployments: deps}, week23, metrics.WithTierYear(year))).Metrics
		assert.InDelta(t, 0.12, m.ChangeFailRate.Value, 1e-12)
		assert.Equal(t, want, m.ChangeFailRate.Tier, "year %d", year)
	}
	_, ok := metrics.Tiers(2025)
	assert.False(t, ok)
	tt, ok := metrics.Tiers(2024)
	require.True(t, ok)
	assert.Equal(t, []string{"elite", "medium", "high", "low"}, []string{tt.ChangeFailRate[0].Name, tt.ChangeFailRate[1].Name, tt.ChangeFailRate[2].Name, tt.ChangeFailRate[3].Name})
	_, err := metrics.New(metrics.WithTierYear(2019))
	assert.Error(t, err)
}

func TestOptionsAndWindowErrors(t *testing.T) {
	_, err := metrics.New(metrics.WithQuantile("mean"), metrics.WithBuckets("year"), metrics.WithLinkWindow(0),
		metrics.WithIncidentLinks(metrics.LinkExplicit, metrics.LinkExplicit), metrics.WithLocation(nil), metrics.WithRolling(-1),
		metrics.WithNegative("ignore"), metrics.WithLeadTimeStart("deploy"), metrics.WithWeekStart(9))
	require.Error(t, err)
	for _, want := range []string{"WithQuantile", "WithBuckets", "WithLinkWindow", "WithIncidentLinks", "WithLocation", "WithRolling", "WithNegative", "WithLeadTimeStart", "WithWeekStart"} {
		assert.ErrorContains(t, err, want)
	}
	c, err := metrics.New(metrics.WithBuckets(metrics.BucketDay))
	require.NoError(t, err)
	_, err = c.Compute(metrics.Events{}, metrics.Window{Start: week23.End, End: week23.Start})
	assert.ErrorIs(t, err, metrics.ErrInvalidWindow)
	_, err = c.Compute(metrics.Events{}, metrics.Window{Start: week23.Start, End: week23.Start.AddDate(300, 0, 0)})
	assert.ErrorIs(t, err, metrics.ErrInvalidWindow)
	_, err = c.NewStream().Result(metrics.Window{})
	assert.True(t, errors.Is(err, metrics.ErrInvalidWindow))
}

func TestValueJSON(t *testing.T) {
	b, err := json.Marshal(metrics.Metrics{DeploymentFrequency: metrics.Value{Defined: true, Value: 0.5, N: 3, Tier: "high"}})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"deploymentFrequency":{"value":0.5,"n":3,"tier":"high"}`)
	assert.Contains(t, string(b), `"leadTime":{"value":null,"n":0}`)
	var m metrics.Metrics
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, metrics.Value{Defined: true, Value: 0.5, N: 3, Tier: "high"}, m.DeploymentFrequency)
	assert.False(t, m.LeadTime.Defined)
	assert.Equal(t, "undefined (n=0)", m.LeadTime.String())
	assert.Equal(t, "0.5 (n=3)", m.DeploymentFrequency.String())
}
