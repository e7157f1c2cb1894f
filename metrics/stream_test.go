package metrics_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/metrics"
)

// randomEvents makes a small, messy set of events: few IDs, so that
// duplicates, conflicts and links happen; invalid records; unknown changes;
// times around a three-week window in several zones.
func randomEvents(r *rand.Rand) metrics.Events {
	base := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)
	zones := []*time.Location{time.UTC, time.FixedZone("JST", 9*3600), time.FixedZone("EDT", -4*3600)}
	when := func() time.Time {
		return base.Add(time.Duration(r.Int64N(int64(25*24*time.Hour))) - 2*24*time.Hour).In(zones[r.IntN(len(zones))])
	}
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	var ev metrics.Events
	for range r.IntN(40) {
		c := metrics.Change{ID: fmt.Sprintf("c%d", r.IntN(30)), Repository: pick("", "r1"), CommittedAt: when()}
		if r.IntN(3) > 0 {
			c.AuthoredAt = c.CommittedAt.Add(-time.Duration(r.IntN(48)) * time.Hour)
			c.PRCreatedAt = c.CommittedAt.Add(time.Duration(r.IntN(5)) * time.Hour)
			c.MergedAt = c.PRCreatedAt.Add(time.Duration(r.IntN(30)) * time.Hour)
		}
		if r.IntN(20) == 0 {
			c.CommittedAt = time.Time{}
		}
		ev.Changes = append(ev.Changes, c)
		if r.IntN(8) == 0 {
			ev.Changes = append(ev.Changes, c) // an identical duplicate
		}
	}
	for range r.IntN(30) {
		d := metrics.Deployment{
			ID: fmt.Sprintf("d%d", r.IntN(25)), Service: pick("api", "web"), Environment: pick("prod", "staging"),
			FinishedAt: when(), Version: pick("", "v1", "v2", "v3"),
			Kind:    metrics.Kind(pick("", "normal", "normal", "rollback", "hotfix", "unplanned", "canary")),
			Outcome: metrics.Outcome(pick("", "succeeded", "succeeded", "failed", "rolled_back")),
		}
		d.StartedAt = d.FinishedAt.Add(-time.Duration(r.IntN(90)) * time.Minute)
		if r.IntN(4) == 0 {
			d.Previous = fmt.Sprintf("d%d", r.IntN(25))
		}
		if r.IntN(4) == 0 {
			d.Repository = "r1"
		} else {
			for range r.IntN(6) {
				d.Changes = append(d.Changes, fmt.Sprintf("c%d", r.IntN(35)))
			}
		}
		ev.Deployments = append(ev.Deployments, d)
	}
	for range r.IntN(12) {
		in := metrics.Incident{ID: fmt.Sprintf("i%d", r.IntN(10)), Service: pick("api", "web"), Environment: pick("prod", "staging"),
			DetectedAt: when(), Version: pick("", "v1", "v2")}
		if r.IntN(3) == 0 {
			in.CausedBy = fmt.Sprintf("d%d", r.IntN(25))
		}
		if r.IntN(5) > 0 {
			in.ResolvedAt = in.DetectedAt.Add(time.Duration(r.IntN(20)-2) * time.Hour)
		}
		ev.Incidents = append(ev.Incidents, in)
	}
	for range r.IntN(6) {
		run := metrics.Run{ID: fmt.Sprintf("p%d", r.IntN(5)), Service: "api", Environment: "prod", StartedAt: when()}
		for range r.IntN(4) {
			run.Steps = append(run.Steps, metrics.Step{Name: pick("build", "approve"), Manual: r.IntN(2) == 0, Duration: time.Duration(r.IntN(600)-20) * time.Second})
		}
		ev.Runs = append(ev.Runs, run)
	}
	return ev
}

func randomOptions(r *rand.Rand) []metrics.Option {
	opts := []metrics.Option{
		metrics.WithBuckets([]metrics.Bucket{metrics.BucketDay, metrics.BucketWeek, metrics.BucketMonth}[r.IntN(3)]),
		metrics.WithLeadTimeStart([]metrics.ClockStart{metrics.ClockFirstCommit, metrics.ClockCommit, metrics.ClockPRCreated, metrics.ClockMerge}[r.IntN(4)]),
		metrics.WithQuantile([]metrics.Quantile{metrics.QuantileType7, metrics.QuantileLowerMedian}[r.IntN(2)]),
		metrics.WithNegative([]metrics.Negative{metrics.NegativeDrop, metrics.NegativeClamp}[r.IntN(2)]),
		metrics.WithWeekStart(time.Weekday(r.IntN(7))),
	}
	if r.IntN(3) == 0 {
		opts = append(opts, metrics.WithRolling(time.Duration(1+r.IntN(20))*24*time.Hour))
	}
	if r.IntN(2) == 0 {
		opts = append(opts, metrics.WithLocation(time.FixedZone("X", (r.IntN(27)-12)*3600)))
	}
	return opts
}

// TestStreamEqualsBatch is the property: for random events, added to a
// Stream in a random order with repeats and with results read in between,
// the Stream's result equals Compute's over the events.
func TestStreamEqualsBatch(t *testing.T) {
	window := metrics.Window{Start: time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 6, 24, 0, 0, 0, 0, time.UTC)}
	for seed := range uint64(400) {
		r := rand.New(rand.NewPCG(seed, 7))
		ev := randomEvents(r)
		calc, err := metrics.New(randomOptions(r)...)
		require.NoError(t, err)
		want, err := calc.Compute(ev, window)
		require.NoError(t, err)

		var adds []func(*metrics.Stream)
		for _, c := range ev.Changes {
			adds = append(adds, func(s *metrics.Stream) { s.AddChange(c) })
		}
		for _, d := range ev.Deployments {
			adds = append(adds, func(s *metrics.Stream) { s.AddDeployment(d) })
		}
		for _, in := range ev.Incidents {
			adds = append(adds, func(s *metrics.Stream) { s.AddIncident(in) })
		}
		for _, run := range ev.Runs {
			adds = append(adds, func(s *metrics.Stream) { s.AddRun(run) })
		}
		for range len(adds) / 3 {
			adds = append(adds, adds[r.IntN(len(adds))]) // repeats
		}
		r.Shuffle(len(adds), func(i, j int) { adds[i], adds[j] = adds[j], adds[i] })
		s := calc.NewStream()
		for _, add := range adds {
			add(s)
			if r.IntN(5) == 0 {
				_, err := s.Result(window) // caches facts that later events must invalidate
				require.NoError(t, err)
			}
		}
		got, err := s.Result(window)
		require.NoError(t, err)
		if !assert.Equal(t, want, got, "seed %d", seed) {
			return
		}
	}
}

// TestStreamEqualsBatchLarge runs the property on a generated quarter big
// enough for Compute's join to use many partitions, with repeats and
// conflicting records added.
func TestStreamEqualsBatchLarge(t *testing.T) {
	ev := yearOfDelivery(40_000, 4_000, 200, 7)
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		c := ev.Changes[r.IntN(len(ev.Changes))]
		if r.IntN(2) == 0 {
			c.CommittedAt = c.CommittedAt.Add(time.Minute) // a conflict
		}
		ev.Changes = append(ev.Changes, c)
	}
	for range 100 {
		d := ev.Deployments[r.IntN(len(ev.Deployments))]
		d.Changes = append(d.Changes, ev.Changes[r.IntN(len(ev.Changes))].ID, "c-unknown")
		d.ID += "-again"
		ev.Deployments = append(ev.Deployments, d)
	}
	calc, err := metrics.New(metrics.WithBuckets(metrics.BucketMonth))
	require.NoError(t, err)
	want, err := calc.Compute(ev, year2024)
	require.NoError(t, err)
	s := calc.NewStream()
	for _, i := range r.Perm(len(ev.Changes)) {
		s.AddChange(ev.Changes[i])
	}
	for _, i := range r.Perm(len(ev.Deployments)) {
		s.AddDeployment(ev.Deployments[i])
	}
	for _, in := range ev.Incidents {
		s.AddIncident(in)
	}
	got, err := s.Result(year2024)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.NotEmpty(t, want.Excluded)
	assert.Greater(t, want.Groups[0].Metrics.LeadTime.N, 1000)
}

func TestStreamLateEventUpdatesItsBucket(t *testing.T) {
	calc, err := metrics.New()
	require.NoError(t, err)
	two := metrics.Window{Start: week23.Start, End: week23.End.AddDate(0, 0, 7)}
	s := calc.NewStream()
	s.AddDeployment(metrics.Deployment{ID: "d1", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-04T10:00:00Z"), Changes: []string{"c1"}})
	s.AddDeployment(metrics.Deployment{ID: "d2", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-12T10:00:00Z")})
	r, err := s.Result(two)
	require.NoError(t, err)
	// c1 is not known yet: week 23's lead time is undefined and says why.
	assert.Equal(t, metrics.Value{Excluded: []metrics.Exclusion{{Record: metrics.RecordChange, ID: "c1", Reason: metrics.ReasonUnknownChange, Detail: "in deployment d1"}}},
		r.Groups[0].Series[0].Metrics.LeadTime)

	// The change arrives late: committed 4 June 06:00, lead time 4h in
	// week 23. Then a late rollback of d2 in week 24.
	s.AddChange(metrics.Change{ID: "c1", CommittedAt: at(t, "2024-06-04T06:00:00Z")})
	s.AddDeployment(metrics.Deployment{ID: "d3", Service: "api", Environment: "prod", FinishedAt: at(t, "2024-06-12T11:00:00Z"), Kind: metrics.KindRollback})
	r, err = s.Result(two)
	require.NoError(t, err)
	w23, w24 := r.Groups[0].Series[0].Metrics, r.Groups[0].Series[1].Metrics
	assert.Equal(t, metrics.Value{Defined: true, Value: 4, N: 1, Tier: "elite"}, w23.LeadTime)
	assert.Equal(t, 0.0, w23.ChangeFailRate.Value)
	// Week 24: d2 failed, d3 rolled it back: 1/2, recovery 1h.
	assert.Equal(t, 0.5, w24.ChangeFailRate.Value)
	assert.Equal(t, 1.0, w24.RecoveryTime.Value)
}

func TestStreamConcurrentAdds(t *testing.T) {
	calc, err := metrics.New()
	require.NoError(t, err)
	s := calc.NewStream()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				fin := week23.Start.Add(time.Duration(i) * time.Hour)
				s.AddDeployment(metrics.Deployment{ID: fmt.Sprintf("d%d-%d", w, i), Service: "api", Environment: "prod", FinishedAt: fin})
				if i%10 == 0 {
					_, err := s.Result(week23)
					assert.NoError(t, err)
				}
			}
		})
	}
	wg.Wait()
	r, err := s.Result(week23)
	require.NoError(t, err)
	assert.Equal(t, 400, r.Groups[0].Metrics.DeploymentFrequency.N)
}
