package cdevents_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/metrics"
	"github.com/paved-dev/paved/metrics/cdevents"
)

func utc(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

func TestReadDelivery(t *testing.T) {
	f, err := os.Open("testdata/delivery.jsonl")
	require.NoError(t, err)
	defer f.Close()
	ev, err := cdevents.Read(f)
	require.NoError(t, err)
	assert.Equal(t, []metrics.Change{
		{ID: "pr-101", Repository: "acme/shop", CommittedAt: utc(t, "2024-06-03T09:00:00Z"), MergedAt: utc(t, "2024-06-03T09:00:00Z")},
		{ID: "pr-102", Repository: "acme/shop", CommittedAt: utc(t, "2024-06-03T11:00:00Z"), MergedAt: utc(t, "2024-06-03T11:00:00Z")},
	}, ev.Changes)
	assert.Equal(t, []metrics.Deployment{
		{ID: "deploy-7", Service: "shop", Environment: "prod", FinishedAt: utc(t, "2024-06-03T12:00:00Z"), Version: "pkg:oci/shop@sha256%3Aaaaa",
			Kind: metrics.KindNormal, Changes: []string{"pr-101", "pr-102"}},
		{ID: "deploy-8", Service: "shop", Environment: "prod", FinishedAt: utc(t, "2024-06-03T13:00:00Z"), Version: "pkg:oci/shop@sha256%3Azzzz",
			Kind: metrics.KindRollback},
	}, ev.Deployments)
	// Detected at the earlier of detected (12:30) and reported (12:40).
	assert.Equal(t, []metrics.Incident{{ID: "inc-9", Service: "shop", Environment: "prod", Version: "pkg:oci/shop@sha256%3Aaaaa",
		DetectedAt: utc(t, "2024-06-03T12:30:00Z"), ResolvedAt: utc(t, "2024-06-03T13:30:00Z")}}, ev.Incidents)

	// The metrics of the day: lead times 3h and 1h, median 2h; deploy-7
	// failed (rolled back, and the incident names its artifact): fail rate
	// 1/2; recovery from the incident, 12:30 -> 13:30 = 1h.
	c, err := metrics.New()
	require.NoError(t, err)
	r, err := c.Compute(ev, metrics.Window{Start: utc(t, "2024-06-03T00:00:00Z"), End: utc(t, "2024-06-04T00:00:00Z")})
	require.NoError(t, err)
	m := r.Groups[0].Metrics
	assert.Equal(t, 2.0, m.LeadTime.Value)
	assert.Equal(t, 0.5, m.ChangeFailRate.Value)
	assert.Equal(t, 1.0, m.RecoveryTime.Value)
}

func TestReadForms(t *testing.T) {
	one := `{"context":{"specversion":"0.5.0","id":"e1","source":"/s","type":"dev.cdevents.change.merged.0.3.0","timestamp":"2024-06-03T09:00:00+02:00"},"subject":{"id":"c1","content":{"repository":{"id":"r"}}}}`
	for name, doc := range map[string]string{"object": one, "array": "[" + one + "," + one + "]", "lines": one + "\n" + one + "\n", "empty": "  "} {
		t.Run(name, func(t *testing.T) {
			ev, err := cdevents.Read(strings.NewReader(doc))
			require.NoError(t, err)
			for _, c := range ev.Changes {
				assert.True(t, c.CommittedAt.Equal(utc(t, "2024-06-03T07:00:00Z")))
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string
		version   bool
	}{
		{name: "not JSON", doc: `{"context":`, want: []string{"event 0"}},
		{name: "array of junk", doc: `[1,`, want: []string{"array is not JSON"}},
		{name: "not an object", doc: `{"context":{}} 42`, want: []string{"event 1: cdevents: invalid event: not a JSON object"}},
		{name: "empty", doc: `{}`, want: []string{"context.specversion: cdevents: invalid event: required", "context.id", "context.source", "context.type", "context.timestamp", "subject.id"}},
		{name: "old spec", doc: `{"context":{"specversion":"0.3.0","id":"e","source":"s","type":"dev.cdevents.change.merged.0.1.2","timestamp":"2024-06-03T09:00:00Z"},"subject":{"id":"c","content":{"repository":{"id":"r"}}}}`,
			want: []string{`event 0: context.specversion: cdevents: unsupported spec version: "0.3.0"`}, version: true},
		{name: "bad type", doc: `{"context":{"specversion":"0.4.1","id":"e","source":"s","type":"dev.cdevents.change.merged.1.0.0","timestamp":"2024-06-03T09:00:00Z"},"subject":{"id":"c"}}`,
			want: []string{"context.type"}},
		{name: "subject type mismatch", doc: `{"context":{"specversion":"0.4.1","id":"e","source":"s","type":"dev.cdevents.service.deployed.0.2.0","timestamp":"2024-06-03T09:00:00Z"},"subject":{"id":"svc","type":"artifact","content":{"environment":{"id":"prod"},"artifactId":"a"}}}`,
			want: []string{"subject.type"}},
		{name: "deployment without environment and artifact", doc: `{"context":{"specversion":"0.4.1","id":"e","source":"s","type":"dev.cdevents.service.deployed.0.2.0","timestamp":"2024-06-03T09:00:00Z"},"subject":{"id":"svc"}}`,
			want: []string{"event 0: subject.content.environment.id: cdevents: invalid event: required", "subject.content.artifactId"}},
		{name: "incident without service", doc: `{"context":{"specversion":"0.4.1","id":"e","source":"s","type":"dev.cdevents.incident.detected.0.2.0","timestamp":"yesterday"},"subject":{"id":"i","content":{"environment":{"id":"prod"}}}}`,
			want: []string{"subject.content.service.id", `context.timestamp: cdevents: invalid event: "yesterday" is not an RFC 3339 time`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := cdevents.Read(strings.NewReader(tc.doc))
			require.Error(t, err)
			assert.Equal(t, metrics.Events{}, ev)
			var ee *cdevents.EventError
			require.ErrorAs(t, err, &ee)
			for _, w := range tc.want {
				assert.ErrorContains(t, err, w)
			}
			if tc.version {
				assert.ErrorIs(t, err, cdevents.ErrUnsupportedVersion)
			} else {
				assert.ErrorIs(t, err, cdevents.ErrInvalidEvent)
			}
		})
	}
}
