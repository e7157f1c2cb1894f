package metrics_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/paved-dev/paved/metrics"
)

// The size of the benchmarks' year of delivery, by default the issue's:
// 10M changes, 1M deployments, 50k incidents over 100 services.
var (
	benchChanges     = flag.Int("metrics.changes", 10_000_000, "changes in the benchmarks' year")
	benchDeployments = flag.Int("metrics.deployments", 1_000_000, "deployments in the benchmarks' year")
	benchIncidents   = flag.Int("metrics.incidents", 50_000, "incidents in the benchmarks' year")
	benchServices    = flag.Int("metrics.services", 100, "services in the benchmarks' year")
)

var year2024 = metrics.Window{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}

// yearOfDelivery generates a deterministic year: deployments spread evenly
// over the services and the year, each carrying changes/deployments
// changes committed 10 minutes to ~300 hours before it finished; 2%
// rollbacks and 3% hotfixes (naming the deployment they replace), 1%
// unplanned, 1% failed and 0.5% rolled back by the tool; incidents caused
// by a random deployment, detected 5 minutes to 2 hours after it, resolved
// 10 minutes to 2 days later, 2% still open. Every link is explicit and
// names a deployment that reached production, so that SQL over the same
// rows computes the same metrics.
func yearOfDelivery(changes, deployments, incidents, services int) metrics.Events {
	r := rand.New(rand.NewPCG(2024, 8))
	span := year2024.End.Sub(year2024.Start)
	per := max(1, changes/deployments)
	ev := metrics.Events{
		Changes:     make([]metrics.Change, 0, changes),
		Deployments: make([]metrics.Deployment, deployments),
		Incidents:   make([]metrics.Incident, 0, incidents),
	}
	svc := make([]string, services)
	for i := range svc {
		svc[i] = fmt.Sprintf("service-%03d", i)
	}
	for i := range ev.Deployments {
		fin := year2024.Start.Add(time.Duration(float64(span) * (float64(i) + r.Float64()) / float64(deployments)))
		d := metrics.Deployment{
			ID: "d" + strconv.Itoa(i), Service: svc[i%services], Environment: "prod",
			StartedAt: fin.Add(-time.Duration(2+r.IntN(20)) * time.Minute), FinishedAt: fin,
			Version: "v" + strconv.Itoa(i), Kind: metrics.KindNormal, Outcome: metrics.OutcomeSucceeded,
		}
		// The deployment a rollback or hotfix replaces: this service's
		// last one that reached production.
		prev := i - services
		for prev >= 0 && ev.Deployments[prev].Outcome == metrics.OutcomeFailed {
			prev -= services
		}
		if prev >= 0 {
			switch x := r.Float64(); {
			case x < 0.02:
				d.Kind, d.Previous = metrics.KindRollback, ev.Deployments[prev].ID
			case x < 0.05:
				d.Kind, d.Previous = metrics.KindHotfix, ev.Deployments[prev].ID
			case x < 0.06:
				d.Kind = metrics.KindUnplanned
			}
		}
		switch x := r.Float64(); {
		case x < 0.01:
			d.Outcome = metrics.OutcomeFailed
		case x < 0.015:
			d.Outcome = metrics.OutcomeRolledBack
		}
		d.Changes = make([]string, 0, per)
		for range per {
			if len(ev.Changes) == changes {
				break
			}
			lead := 10*time.Minute + time.Duration(r.Float64()*r.Float64()*r.Float64()*float64(300*time.Hour))
			committed := fin.Add(-lead)
			c := metrics.Change{
				ID: "c" + strconv.Itoa(len(ev.Changes)), Repository: d.Service,
				Commit:      fmt.Sprintf("%016x%016x%08x", r.Uint64(), r.Uint64(), r.Uint32()),
				AuthoredAt:  committed.Add(-time.Duration(r.IntN(72)) * time.Hour),
				CommittedAt: committed, PRCreatedAt: committed.Add(time.Duration(r.IntN(60)) * time.Minute),
			}
			c.MergedAt = c.PRCreatedAt.Add(time.Duration(r.IntN(5*60)) * time.Minute)
			ev.Changes = append(ev.Changes, c)
			d.Changes = append(d.Changes, c.ID)
		}
		ev.Deployments[i] = d
	}
	for i := range incidents {
		d := &ev.Deployments[r.IntN(deployments)]
		for d.Outcome == metrics.OutcomeFailed {
			d = &ev.Deployments[r.IntN(deployments)]
		}
		in := metrics.Incident{ID: "i" + strconv.Itoa(i), Service: d.Service, Environment: d.Environment, CausedBy: d.ID,
			DetectedAt: d.FinishedAt.Add(time.Duration(5+r.IntN(115)) * time.Minute)}
		if r.Float64() >= 0.02 {
			in.ResolvedAt = in.DetectedAt.Add(time.Duration(10+r.IntN(2*24*60)) * time.Minute)
		}
		ev.Incidents = append(ev.Incidents, in)
	}
	return ev
}

// BenchmarkComputeYear computes all five metrics, per service, for the
// year and in weekly buckets, over the generated year. Run it on one core
// (-cpu 1); B/op is what the computation allocates beyond its input.
func BenchmarkComputeYear(b *testing.B) {
	ev := yearOfDelivery(*benchChanges, *benchDeployments, *benchIncidents, *benchServices)
	c, err := metrics.New()
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC() // the generator's garbage is not the computation's
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		r, err := c.Compute(ev, year2024)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Groups) != *benchServices || len(r.Groups[0].Series) != 53 {
			b.Fatalf("%d groups, %d weeks", len(r.Groups), len(r.Groups[0].Series))
		}
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(*benchChanges), "changes")
}

// cpuTime is the CPU time the process has used, all threads: on a shared
// machine it says what a run cost when the wall clock says how long it
// waited.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStream adds typed events one at a time to a Stream, in the
// order a delivery system emits them (a deployment's changes, then the
// deployment; incidents as they happen), and reports events per second.
func BenchmarkStream(b *testing.B) {
	ev := yearOfDelivery(*benchChanges/10, *benchDeployments/10, *benchIncidents/10, *benchServices)
	c, err := metrics.New()
	if err != nil {
		b.Fatal(err)
	}
	n := len(ev.Changes) + len(ev.Deployments) + len(ev.Incidents)
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		s := c.NewStream()
		ci, ii := 0, 0
		for _, d := range ev.Deployments {
			for range d.Changes {
				s.AddChange(ev.Changes[ci])
				ci++
			}
			s.AddDeployment(d)
			for ii < len(ev.Incidents) && ii*len(ev.Deployments) < ci*len(ev.Incidents)/max(1, len(ev.Changes)/len(ev.Deployments)) {
				s.AddIncident(ev.Incidents[ii])
				ii++
			}
		}
		for ; ii < len(ev.Incidents); ii++ {
			s.AddIncident(ev.Incidents[ii])
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(n)*float64(b.N)/(cpuTime()-cpu).Seconds(), "events/cpu-s")
}
