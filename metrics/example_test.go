package metrics_test

import (
	"fmt"
	"time"

	"github.com/paved-dev/paved/metrics"
)

// Compute one week of a service's delivery: two deployments, the second
// rolled back half an hour later.
func ExampleCalculator_Compute() {
	day := func(d, h, m int) time.Time { return time.Date(2024, 6, d, h, m, 0, 0, time.UTC) }
	ev := metrics.Events{
		Changes: []metrics.Change{
			{ID: "c1", CommittedAt: day(3, 9, 0)},
			{ID: "c2", CommittedAt: day(4, 8, 0)},
		},
		Deployments: []metrics.Deployment{
			{ID: "d1", Service: "shop", Environment: "prod", FinishedAt: day(3, 12, 0), Changes: []string{"c1"}},
			{ID: "d2", Service: "shop", Environment: "prod", FinishedAt: day(4, 10, 0), Changes: []string{"c2"}},
			{ID: "d3", Service: "shop", Environment: "prod", FinishedAt: day(4, 10, 30), Kind: metrics.KindRollback, Previous: "d2"},
		},
	}
	calc, err := metrics.New(metrics.WithTierYear(2024))
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := calc.Compute(ev, metrics.Window{Start: day(3, 0, 0), End: day(10, 0, 0)})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := r.Groups[0].Metrics
	fmt.Println("deployments per day:", m.DeploymentFrequency, m.DeploymentFrequency.Tier)
	fmt.Println("lead time (hours):", m.LeadTime, m.LeadTime.Tier)
	fmt.Println("change fail rate:", m.ChangeFailRate, m.ChangeFailRate.Tier)
	fmt.Println("recovery (hours):", m.RecoveryTime, m.RecoveryTime.Tier)
	fmt.Println("rework rate:", m.ReworkRate)
	// Output:
	// deployments per day: 0.4286 (n=3) high
	// lead time (hours): 2.5 (n=2) elite
	// change fail rate: 0.3333 (n=3) low
	// recovery (hours): 0.5 (n=1) elite
	// rework rate: 0 (n=3)
}

// A Stream takes events as they happen, in any order; a late change updates
// the week it belongs to.
func ExampleStream() {
	calc, err := metrics.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	week := metrics.Window{Start: time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 6, 10, 0, 0, 0, 0, time.UTC)}
	s := calc.NewStream()
	s.AddDeployment(metrics.Deployment{ID: "d1", Service: "shop", Environment: "prod",
		FinishedAt: time.Date(2024, 6, 5, 12, 0, 0, 0, time.UTC), Changes: []string{"c1"}})
	r, err := s.Result(week)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Groups[0].Metrics.LeadTime, r.Groups[0].Metrics.LeadTime.Excluded)

	s.AddChange(metrics.Change{ID: "c1", CommittedAt: time.Date(2024, 6, 5, 8, 0, 0, 0, time.UTC)})
	s.AddChange(metrics.Change{ID: "c1", CommittedAt: time.Date(2024, 6, 5, 8, 0, 0, 0, time.UTC)}) // a repeat: no effect
	r, err = s.Result(week)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Groups[0].Metrics.LeadTime)
	// Output:
	// undefined (n=0) [change c1: unknown change: in deployment d1]
	// 4 (n=1)
}

// The performance tiers are versioned data; the caller picks the year.
func ExampleTiers() {
	t, ok := metrics.Tiers(2023)
	fmt.Println(ok, t.LeadTime[0].Name, t.LeadTime[0].Published)
	_, ok = metrics.Tiers(2025)
	fmt.Println(ok)
	// Output:
	// true elite less than one day
	// false
}
