package report_test

import (
	"fmt"
	"os"
	"time"

	"github.com/paved-dev/paved/metrics"
	"github.com/paved-dev/paved/metrics/report"
)

// Write a result as Markdown.
func ExampleMarkdown() {
	calc, err := metrics.New(metrics.WithBuckets(metrics.BucketDay))
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := calc.Compute(metrics.Events{Deployments: []metrics.Deployment{
		{ID: "d1", Service: "shop", Environment: "prod", FinishedAt: time.Date(2024, 6, 3, 10, 0, 0, 0, time.UTC)},
	}}, metrics.Window{Start: time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 6, 5, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := report.Markdown(os.Stdout, r); err != nil {
		fmt.Println(err)
	}
	// Output:
	// # Delivery metrics, 2024-06-03 00:00 UTC to 2024-06-05 00:00 UTC
	//
	// | Setting | Choice |
	// |---|---|
	// | Lead-time clock starts at | commit |
	// | Incident links | explicit, version, nearest (nearest within 24h0m0s) |
	// | Median | type7 |
	// | Buckets | day, calendar buckets, weeks start Monday, time zone UTC |
	// | Negative durations | drop |
	// | Performance tiers | DORA 2024 |
	//
	// ## shop in prod
	//
	// | Metric | Value | n | Tier | Excluded |
	// |---|---|---|---|---|
	// | Deployment frequency | 0.5 per day | 1 | high |  |
	// | Change lead time | undefined | 0 |  |  |
	// | Change fail rate | 0.0% | 1 | elite |  |
	// | Failed deployment recovery time | undefined | 0 |  |  |
	// | Deployment rework rate | 0.0% | 1 |  |  |
	// | Toil (manual share of step time) | undefined | 0 | | |
	//
	// | Bucket | Deployment frequency | Change lead time | Change fail rate | Failed deployment recovery time | Deployment rework rate |
	// |---|---|---|---|---|---|
	// | 2024-06-03 00:00 UTC | 1 per day (n=1) | undefined (n=0) | 0.0% (n=1) | undefined (n=0) | 0.0% (n=1) |
	// | 2024-06-04 00:00 UTC | 0 per day (n=0) | undefined (n=0) | undefined (n=0) | undefined (n=0) | undefined (n=0) |
}
