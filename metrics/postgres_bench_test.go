package metrics_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paved-dev/paved/metrics"
)

// The Four Keys way: the same year in PostgreSQL tables, and the metrics
// as SQL with medians by percentile_cont, per service and ISO week, on one
// core (no parallel workers).
const (
	fourKeysSchema = `
CREATE TABLE changes (id text NOT NULL, committed_at timestamptz NOT NULL);
CREATE TABLE deployments (id text NOT NULL, service text NOT NULL, environment text NOT NULL,
	finished_at timestamptz NOT NULL, kind text NOT NULL, outcome text NOT NULL, previous text NOT NULL);
CREATE TABLE deployment_changes (deployment_id text NOT NULL, change_id text NOT NULL);
CREATE TABLE incidents (id text NOT NULL, service text NOT NULL, environment text NOT NULL,
	detected_at timestamptz NOT NULL, resolved_at timestamptz, caused_by text NOT NULL);`

	// Lead time: from commit to the end of the deployment carrying the
	// change (rollbacks carry none; failed deployments never ran).
	fourKeysLeadTime = `
SELECT d.service, date_trunc('week', d.finished_at) AS week, count(*),
	percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.finished_at - c.committed_at)) / 3600
FROM deployments d
JOIN deployment_changes dc ON dc.deployment_id = d.id
JOIN changes c ON c.id = dc.change_id
WHERE d.outcome <> 'failed' AND d.kind <> 'rollback'
GROUP BY 1, 2`

	// Frequency, change fail rate, recovery and rework: a deployment
	// failed if the tool rolled it back, a rollback or hotfix replaced it
	// (the one it names if earlier in its service, else the one before
	// it), or an incident names it; recovery runs over its incidents, or
	// to the end of the deployment that replaced it.
	fourKeysDeployments = `
WITH d AS (
	SELECT id, service, environment, finished_at, kind, outcome, previous,
		lag(id) OVER (PARTITION BY service, environment ORDER BY finished_at, id) AS before
	FROM deployments WHERE outcome <> 'failed'),
blame AS (
	SELECT CASE WHEN p.id IS NOT NULL AND (p.finished_at, p.id) < (r.finished_at, r.id) THEN p.id ELSE r.before END AS id,
		r.finished_at
	FROM d r LEFT JOIN d p ON p.id = r.previous AND p.service = r.service AND p.environment = r.environment
	WHERE r.kind IN ('rollback', 'hotfix')),
remedy AS (SELECT id, min(finished_at) AS fixed FROM blame WHERE id IS NOT NULL GROUP BY id),
inc AS (
	SELECT caused_by AS id, min(detected_at) AS detected, max(resolved_at) AS resolved, bool_or(resolved_at IS NULL) AS open
	FROM incidents GROUP BY caused_by),
f AS (
	SELECT d.service, date_trunc('week', d.finished_at) AS week,
		(d.outcome = 'rolled_back' OR remedy.id IS NOT NULL OR inc.id IS NOT NULL) AS failed,
		CASE WHEN inc.id IS NOT NULL THEN CASE WHEN inc.open THEN NULL ELSE extract(epoch FROM inc.resolved - inc.detected) END
			WHEN remedy.id IS NOT NULL THEN extract(epoch FROM remedy.fixed - d.finished_at) END AS recovery,
		d.kind IN ('hotfix', 'unplanned') AS rework
	FROM d LEFT JOIN remedy ON remedy.id = d.id LEFT JOIN inc ON inc.id = d.id)
SELECT service, week, count(*), avg(failed::int),
	percentile_cont(0.5) WITHIN GROUP (ORDER BY recovery) FILTER (WHERE failed AND recovery IS NOT NULL) / 3600,
	avg(rework::int)
FROM f GROUP BY 1, 2`
)

// BenchmarkComputeYearPostgres is the baseline of BenchmarkComputeYear:
// it loads the same generated year into PostgreSQL (PAVED_POSTGRES_URL),
// reports the load's time, times the metric queries, and checks that
// every service's weekly numbers equal Compute's. Run both in one go with
// metrics/bench.sh.
func BenchmarkComputeYearPostgres(b *testing.B) {
	url := os.Getenv("PAVED_POSTGRES_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			b.Fatal("PAVED_POSTGRES_URL is not set, and CI=true")
		}
		b.Skip("PAVED_POSTGRES_URL is not set: no PostgreSQL baseline (metrics/bench.sh starts one)")
	}
	ctx := context.Background()
	ev := yearOfDelivery(*benchChanges, *benchDeployments, *benchIncidents, *benchServices)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("paved_fourkeys_%d", rand.Uint32())
	for _, q := range []string{
		"CREATE SCHEMA " + schema, "SET search_path TO " + schema, "SET TimeZone TO 'UTC'",
		"SET work_mem TO '256MB'", "SET max_parallel_workers_per_gather TO 0", fourKeysSchema,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	defer conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")

	start := time.Now()
	copyRows(b, conn, "changes", []string{"id", "committed_at"}, len(ev.Changes), func(i int) []any {
		return []any{ev.Changes[i].ID, ev.Changes[i].CommittedAt}
	})
	copyRows(b, conn, "deployments", []string{"id", "service", "environment", "finished_at", "kind", "outcome", "previous"}, len(ev.Deployments), func(i int) []any {
		d := &ev.Deployments[i]
		return []any{d.ID, d.Service, d.Environment, d.FinishedAt, string(d.Kind), string(d.Outcome), d.Previous}
	})
	var pairs [][2]string
	for _, d := range ev.Deployments {
		for _, c := range d.Changes {
			pairs = append(pairs, [2]string{d.ID, c})
		}
	}
	copyRows(b, conn, "deployment_changes", []string{"deployment_id", "change_id"}, len(pairs), func(i int) []any {
		return []any{pairs[i][0], pairs[i][1]}
	})
	copyRows(b, conn, "incidents", []string{"id", "service", "environment", "detected_at", "resolved_at", "caused_by"}, len(ev.Incidents), func(i int) []any {
		in := &ev.Incidents[i]
		var resolved *time.Time
		if !in.ResolvedAt.IsZero() {
			resolved = &in.ResolvedAt
		}
		return []any{in.ID, in.Service, in.Environment, in.DetectedAt, resolved, in.CausedBy}
	})
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)
	pairs = nil

	type week struct {
		service string
		start   time.Time
	}
	type row struct {
		n, leadN          int
		lead, cfr, rework float64
		recovery          *float64
	}
	var got map[week]*row
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		b.Fatal(err)
	}
	cpu, server := cpuTime(), processCPU(backend)
	for b.Loop() {
		got = map[week]*row{}
		rows, err := conn.Query(ctx, fourKeysDeployments)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var k week
			r := &row{}
			if err := rows.Scan(&k.service, &k.start, &r.n, &r.cfr, &r.recovery, &r.rework); err != nil {
				b.Fatal(err)
			}
			k.start = k.start.UTC()
			got[k] = r
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows, err = conn.Query(ctx, fourKeysLeadTime)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var k week
			var n int
			var lead float64
			if err := rows.Scan(&k.service, &k.start, &n, &lead); err != nil {
				b.Fatal(err)
			}
			k.start = k.start.UTC()
			if r := got[k]; r != nil {
				r.leadN, r.lead = n, lead
			}
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(load.Seconds(), "load-s")
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "client-cpu-s/op")
	if server >= 0 {
		b.ReportMetric((processCPU(backend)-server).Seconds()/float64(b.N), "server-cpu-s/op")
	}
	b.ReportMetric(float64(*benchChanges), "changes")

	// The same numbers as Compute's, week by week.
	c, err := metrics.New()
	if err != nil {
		b.Fatal(err)
	}
	res, err := c.Compute(ev, year2024)
	if err != nil {
		b.Fatal(err)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }
	checked := 0
	for _, g := range res.Groups {
		for _, p := range g.Series {
			r := got[week{g.Service, p.Start.UTC()}]
			m := p.Metrics
			if r == nil {
				if m.DeploymentFrequency.N > 0 {
					b.Fatalf("%s week of %v: no SQL row, Compute has %d deployments", g.Service, p.Start, m.DeploymentFrequency.N)
				}
				continue
			}
			recOK := (r.recovery == nil) == !m.RecoveryTime.Defined && (r.recovery == nil || near(*r.recovery, m.RecoveryTime.Value))
			if r.n != m.DeploymentFrequency.N || r.leadN != m.LeadTime.N || !near(r.lead, m.LeadTime.Value) ||
				!near(r.cfr, m.ChangeFailRate.Value) || !near(r.rework, m.ReworkRate.Value) || !recOK {
				b.Fatalf("%s week of %v: SQL %+v (recovery %v), Compute n=%d lead=%v cfr=%v recovery=%v rework=%v", g.Service, p.Start, *r, r.recovery,
					m.DeploymentFrequency.N, m.LeadTime, m.ChangeFailRate, m.RecoveryTime, m.ReworkRate)
			}
			checked++
		}
	}
	if checked == 0 {
		b.Fatal("no week compared")
	}
}

// processCPU is the CPU time of a process of this machine (the PostgreSQL
// backend serving the benchmark, when the server is local), or -1.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The fields after the command's closing parenthesis; utime and stime
	// are the 12th and 13th of them, in clock ticks (100 a second).
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.Atoi(f[11])
	s, err2 := strconv.Atoi(f[12])
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(u+s) * 10 * time.Millisecond
}

func copyRows(b *testing.B, conn *pgx.Conn, table string, cols []string, n int, row func(int) []any) {
	b.Helper()
	i := 0
	_, err := conn.CopyFrom(context.Background(), pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		i++
		return row(i - 1), nil
	}))
	if err != nil {
		b.Fatalf("copy %s: %v", table, err)
	}
}
