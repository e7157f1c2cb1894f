package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/browsertest"
	"github.com/paved-dev/paved/metrics"
	"github.com/paved-dev/paved/metrics/report"
)

// sample is eight weeks of two services: api deploys daily, with a
// rollback every other week; web deploys weekly and has an incident; one
// week of api has no deployment.
func sample(t *testing.T) *metrics.Result {
	t.Helper()
	start := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)
	var ev metrics.Events
	for d := range 56 {
		if d/7 == 5 {
			continue // api: a quiet week
		}
		fin := start.AddDate(0, 0, d).Add(14 * time.Hour)
		id := fmt.Sprintf("api-%d", d)
		c := fmt.Sprintf("c-%d", d)
		ev.Changes = append(ev.Changes, metrics.Change{ID: c, CommittedAt: fin.Add(-time.Duration(2+d%20) * time.Hour)})
		ev.Deployments = append(ev.Deployments, metrics.Deployment{ID: id, Service: "api", Environment: "prod", FinishedAt: fin, Changes: []string{c}})
		if d%14 == 3 {
			ev.Deployments = append(ev.Deployments, metrics.Deployment{ID: id + "-rb", Service: "api", Environment: "prod", FinishedAt: fin.Add(40 * time.Minute), Kind: metrics.KindRollback})
		}
	}
	for w := range 8 {
		fin := start.AddDate(0, 0, 7*w+2).Add(10 * time.Hour)
		ev.Deployments = append(ev.Deployments, metrics.Deployment{ID: fmt.Sprintf("web-%d", w), Service: "web <b>", Environment: "prod", FinishedAt: fin})
	}
	ev.Incidents = append(ev.Incidents, metrics.Incident{ID: "i1", Service: "web <b>", Environment: "prod", CausedBy: "web-4",
		DetectedAt: start.AddDate(0, 0, 30), ResolvedAt: start.AddDate(0, 0, 31)})
	ev.Deployments = append(ev.Deployments, metrics.Deployment{ID: "bad", Service: "api", Environment: "prod", FinishedAt: start, Kind: "canary"})
	c, err := metrics.New()
	require.NoError(t, err)
	r, err := c.Compute(ev, metrics.Window{Start: start, End: start.AddDate(0, 0, 56)})
	require.NoError(t, err)
	return r
}

func TestJSON(t *testing.T) {
	r := sample(t)
	var b bytes.Buffer
	require.NoError(t, report.JSON(&b, r))
	var back metrics.Result
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, r.Groups[0].Metrics.LeadTime, back.Groups[0].Metrics.LeadTime)
	assert.Equal(t, len(r.Groups[0].Series), len(back.Groups[0].Series))
	// The quiet week's lead time is null, not 0.
	assert.Contains(t, b.String(), `"leadTime": {
              "value": null,
              "n": 0`)
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, report.Markdown(&b, sample(t)))
	md := b.String()
	for _, want := range []string{
		"# Delivery metrics, 2024-06-03 00:00 UTC to 2024-07-29 00:00 UTC",
		"| Lead-time clock starts at | commit |",
		"## api in prod",
		"## web <b> in prod",
		// api: 49 daily deployments (56 days less the quiet week) and 4
		// rollbacks (days 3, 17, 31, 45): 53 over 56 days = 0.946/day,
		// under once a day: 2024 high. 4 failed of 53 = 7.5%, just over
		// the 7.5% edge between elite and medium.
		"| Deployment frequency | 0.946 per day | 53 | high |  |",
		"| Change fail rate | 7.5% | 53 | medium |  |",
		// web: i1 (30 June 00:00 -> 1 July 00:00) names web-4: 24h.
		"| Failed deployment recovery time | 24.00 h | 1 | medium |  |",
		"- deployment bad: unknown kind: kind canary",
		"undefined (n=0)",
	} {
		assert.Contains(t, md, want)
	}
}

func TestHTMLRendersInChromium(t *testing.T) {
	r := sample(t)
	var b bytes.Buffer
	require.NoError(t, report.HTML(&b, r))
	html := b.String()
	// Self-contained: no URL to fetch anything from.
	assert.NotRegexp(t, `(?i)(src|href)\s*=\s*"(https?:)?//`, html)
	assert.Contains(t, html, "default-src 'none'")
	assert.Contains(t, html, "web &lt;b&gt;") // escaped

	dom := browsertest.DumpDOM(t, b.Bytes())

	// 2 groups x 5 metrics: 10 charts. The page's script (its attributes
	// exist only if it ran) found a drawn line or point in 9: web has no
	// lead time at all, so its chart holds only the tier bands.
	assert.Contains(t, dom, `data-charts="10"`)
	assert.Contains(t, dom, `data-charts-drawn="9"`)
	assert.Equal(t, 9, strings.Count(dom, `data-drawn="yes"`))
	assert.Regexp(t, `data-metric="Change lead time" data-points="0" data-bands="4"[^>]*data-drawn="no"`, dom)
	// The api charts: the lead-time chart has 7 of 8 weeks (one quiet week),
	// with the 2024 tier bands behind it.
	re := regexp.MustCompile(`<svg class="chart" data-metric="Change lead time" data-points="(\d+)" data-bands="(\d+)"`)
	m := re.FindAllStringSubmatch(dom, -1)
	require.Len(t, m, 2)
	assert.Equal(t, []string{"7", "4"}, m[0][1:])
	// Four tiered metrics with four 2024 bands each, in two groups.
	assert.Equal(t, 32, strings.Count(dom, `<rect class="band band-`))
	assert.Contains(t, dom, `class="band band-elite"`)
	assert.Contains(t, dom, `<polyline class="line"`)
}
