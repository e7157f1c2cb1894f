package csv_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/metrics"
	"github.com/paved-dev/paved/metrics/csv"
)

func utc(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

func open(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestReadFiles(t *testing.T) {
	deps, err := csv.ReadDeployments(open(t, "deployments.csv"))
	require.NoError(t, err)
	require.Len(t, deps, 4)
	assert.Equal(t, metrics.Deployment{ID: "d1", Service: "api", Environment: "prod", StartedAt: utc(t, "2024-06-03T09:50:00Z"),
		FinishedAt: utc(t, "2024-06-03T10:00:00Z"), Outcome: metrics.OutcomeSucceeded, Version: "v1", Changes: []string{"c1", "c2"}, Kind: metrics.KindNormal}, deps[0])
	assert.Equal(t, metrics.KindRollback, deps[2].Kind)
	assert.Equal(t, "d2", deps[2].Previous)
	changes, err := csv.ReadChanges(open(t, "changes.csv"))
	require.NoError(t, err)
	require.Len(t, changes, 3)
	assert.True(t, changes[2].MergedAt.IsZero())

	// The metrics of 3-4 June (UTC): d1, d2, d3 count; d4's kind is
	// unknown and is listed. Lead times: c1 3h, c2 2h (d1 at 10:00), c3
	// 2h (d2 at 08:00 UTC): median 2h. d2 was rolled back 30 minutes
	// later: fail rate 1/3, recovery 0.5h.
	c, err := metrics.New()
	require.NoError(t, err)
	r, err := c.Compute(metrics.Events{Changes: changes, Deployments: deps}, metrics.Window{Start: utc(t, "2024-06-03T00:00:00Z"), End: utc(t, "2024-06-06T00:00:00Z")})
	require.NoError(t, err)
	assert.Equal(t, []metrics.Exclusion{{Record: metrics.RecordDeployment, ID: "d4", Reason: metrics.ReasonUnknownKind, Detail: "kind canary"}}, r.Excluded)
	m := r.Groups[0].Metrics
	assert.Equal(t, metrics.Value{Defined: true, Value: 2, N: 3, Tier: "elite"}, m.LeadTime)
	assert.InDelta(t, 1.0/3, m.ChangeFailRate.Value, 1e-12)
	assert.Equal(t, 0.5, m.RecoveryTime.Value)
}

func TestReadIncidentsAndRuns(t *testing.T) {
	incs, err := csv.ReadIncidents(strings.NewReader("id,service,environment,detected_at,resolved_at,caused_by,version\r\ni1,api,prod,2024-06-03T10:00:00Z,,d1,v1\r\n"))
	require.NoError(t, err)
	assert.Equal(t, []metrics.Incident{{ID: "i1", Service: "api", Environment: "prod", DetectedAt: utc(t, "2024-06-03T10:00:00Z"), CausedBy: "d1", Version: "v1"}}, incs)

	runs, err := csv.ReadRuns(strings.NewReader(`run_id,service,environment,started_at,step,manual,duration
r1,api,prod,2024-06-03T10:00:00Z,approve,true,10m
r2,api,prod,2024-06-03T11:00:00Z,build,false,5m
r1,api,prod,2024-06-03T10:00:00Z,build,false,1m30s
`))
	require.NoError(t, err)
	assert.Equal(t, []metrics.Run{
		{ID: "r1", Service: "api", Environment: "prod", StartedAt: utc(t, "2024-06-03T10:00:00Z"), Steps: []metrics.Step{
			{Name: "approve", Manual: true, Duration: 10 * time.Minute}, {Name: "build", Duration: 90 * time.Second}}},
		{ID: "r2", Service: "api", Environment: "prod", StartedAt: utc(t, "2024-06-03T11:00:00Z"), Steps: []metrics.Step{{Name: "build", Duration: 5 * time.Minute}}},
	}, runs)
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		read      func(string) error
		want      []string
	}{
		{"empty", "", deployments, []string{"csv: line 1: no header"}},
		{"unknown and repeated columns", "id,service,colour,service\n", deployments, []string{"line 1: colour: unknown column", "line 1: service: column given twice"}},
		{"no id column", "service\napi\n", deployments, []string{"line 1: id: required column missing"}},
		{"bad cells", "id,finished_at,started_at\nd1,yesterday,\nd2,2024-06-03T10:00:00Z,soon\n", deployments,
			[]string{`line 2: finished_at: "yesterday" is not an RFC 3339 time`, `line 3: started_at: "soon"`}},
		{"row length", "id,service\nd1,api,extra\nd2\n", deployments, []string{"line 2: wrong number of fields", "line 3: wrong number of fields"}},
		{"bad quote", "id\n\"d1\n", deployments, []string{"line 2"}},
		{"bad step", "run_id,manual,duration\nr1,maybe,-\n", runs, []string{`line 2: manual: "maybe" is not true or false`, `line 2: duration: "-" is not a duration`}},
		{"run disagrees", "run_id,service\nr1,api\nr1,web\n", runs, []string{"line 3: run_id: run \"r1\""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.read(tc.doc)
			require.ErrorIs(t, err, csv.ErrInvalid)
			var pe *csv.ParseError
			require.ErrorAs(t, err, &pe)
			for _, w := range tc.want {
				assert.ErrorContains(t, err, w)
			}
		})
	}
}

func deployments(doc string) error {
	_, err := csv.ReadDeployments(strings.NewReader(doc))
	return err
}

func runs(doc string) error {
	_, err := csv.ReadRuns(strings.NewReader(doc))
	return err
}
