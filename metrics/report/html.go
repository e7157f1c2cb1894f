package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/paved-dev/paved/metrics"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 640.0, 180.0
	padL, padR     = 56.0, 12.0
	padT, padB     = 10.0, 28.0
)

// chart is one metric's series, laid out.
type chart struct {
	Title, Unit string
	Bands       []band
	Lines       []string // polyline points, one per run of defined values
	Dots        []dot
	Ticks       []tick
	Labels      []tick
	Defined     int
}

type band struct {
	Y, H  float64
	Tier  string
	Label string
}

type dot struct {
	X, Y  float64
	Title string
}

type tick struct {
	X, Y float64
	Text string
}

// scale maps values to the plot's height, linear or logarithmic.
type scale struct {
	lo, hi float64
	log    bool
}

func (s scale) y(v float64) float64 {
	f := func(x float64) float64 { return x }
	if s.log {
		f = math.Log10
		v = math.Max(v, s.lo)
	}
	t := (f(v) - f(s.lo)) / (f(s.hi) - f(s.lo))
	t = math.Max(0, math.Min(1, t))
	return padT + (1-t)*(chartH-padT-padB)
}

func newChart(m metric, g metrics.Group, table metrics.TierTable, hasTiers bool) chart {
	c := chart{Title: m.name, Unit: m.unit}
	var tiers []metrics.Tier
	if hasTiers && m.tiers != nil {
		tiers = m.tiers(table)
	}
	// The scale spans the values and the tier bounds.
	sc := scale{lo: 0, hi: 1, log: m.log}
	if m.log {
		sc.lo, sc.hi = math.Inf(1), math.Inf(-1)
		widen := func(v float64) {
			if v > 0 {
				sc.lo, sc.hi = math.Min(sc.lo, v), math.Max(sc.hi, v)
			}
		}
		for _, p := range g.Series {
			if v := m.get(&p.Metrics); v.Defined {
				widen(v.Value)
			}
		}
		for _, t := range tiers {
			widen(t.Bound)
		}
		if math.IsInf(sc.lo, 1) {
			sc.lo, sc.hi = 0.1, 10
		}
		sc.lo, sc.hi = sc.lo/2, sc.hi*2
	}
	// Bands: tier i runs from the previous bound to its own.
	for i, t := range tiers {
		from, to := sc.hi, sc.lo // better end first
		if !m.higher {
			from, to = sc.lo, sc.hi
		}
		if i > 0 {
			from = tiers[i-1].Bound
		}
		if i < len(tiers)-1 {
			to = t.Bound
		}
		y1, y2 := sc.y(from), sc.y(to)
		c.Bands = append(c.Bands, band{Y: math.Min(y1, y2), H: math.Abs(y2 - y1), Tier: t.Name, Label: t.Published})
	}
	n := len(g.Series)
	x := func(i int) float64 {
		if n == 1 {
			return padL + (chartW-padL-padR)/2
		}
		return padL + float64(i)*(chartW-padL-padR)/float64(n-1)
	}
	var run []string
	for i, p := range g.Series {
		v := m.get(&p.Metrics)
		if !v.Defined || (m.log && v.Value <= 0) {
			if len(run) > 0 {
				c.Lines = append(c.Lines, strings.Join(run, " "))
				run = nil
			}
			continue
		}
		c.Defined++
		px, py := x(i), sc.y(v.Value)
		run = append(run, fmt.Sprintf("%.1f,%.1f", px, py))
		c.Dots = append(c.Dots, dot{X: px, Y: py, Title: fmt.Sprintf("%s: %s (n=%d) %s", p.Start.Format("2006-01-02"), format(v, m.unit), v.N, v.Tier)})
	}
	if len(run) > 0 {
		c.Lines = append(c.Lines, strings.Join(run, " "))
	}
	for _, v := range ticksFor(sc) {
		c.Ticks = append(c.Ticks, tick{X: padL - 4, Y: sc.y(v), Text: short(v, m.unit)})
	}
	step := max(1, n/8)
	for i := 0; i < n; i += step {
		c.Labels = append(c.Labels, tick{X: x(i), Y: chartH - 8, Text: g.Series[i].Start.Format("Jan 2")})
	}
	return c
}

func ticksFor(s scale) []float64 {
	if !s.log {
		return []float64{0, 0.25, 0.5, 0.75, 1}
	}
	var out []float64
	for e := math.Floor(math.Log10(s.lo)); e <= math.Ceil(math.Log10(s.hi)); e++ {
		if v := math.Pow(10, e); v >= s.lo && v <= s.hi {
			out = append(out, v)
		}
	}
	return out
}

func short(v float64, unit string) string {
	if unit == "share" {
		return fmt.Sprintf("%.0f%%", 100*v)
	}
	return fmt.Sprintf("%g", v)
}

type htmlGroup struct {
	Service, Environment string
	Rows                 []htmlRow
	QuickCheck           string
	Charts               []chart
}

type htmlRow struct {
	Name, Value, Tier, Excluded string
	N                           int
}

type page struct {
	Title    string
	Settings [][2]string
	Groups   []htmlGroup
	Excluded []string
}

// HTML writes r as a self-contained HTML page with charts.
func HTML(w io.Writer, r *metrics.Result) error {
	table, hasTiers := metrics.Tiers(r.Settings.TierYear)
	p := page{
		Title:    fmt.Sprintf("Delivery metrics, %s to %s", day(r.Window.Start), day(r.Window.End)),
		Settings: settings(r.Settings),
	}
	for _, g := range r.Groups {
		hg := htmlGroup{Service: g.Service, Environment: g.Environment}
		for _, m := range five {
			v := m.get(&g.Metrics)
			hg.Rows = append(hg.Rows, htmlRow{Name: m.name, Value: format(v, m.unit), N: v.N, Tier: v.Tier, Excluded: excluded(v.Excluded)})
			hg.Charts = append(hg.Charts, newChart(m, g, table, hasTiers))
		}
		t := g.Metrics.Toil
		hg.Rows = append(hg.Rows, htmlRow{Name: "Toil (manual share of step time)", Value: format(t.ManualShare, "share"), N: t.ManualShare.N})
		if q := g.Metrics.QuickCheck; q != nil {
			hg.QuickCheck = fmt.Sprintf("%.1f / 10", *q)
		}
		p.Groups = append(p.Groups, hg)
	}
	for _, e := range r.Excluded {
		p.Excluded = append(p.Excluded, e.String())
	}
	if err := pageTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
svg.chart { display: block; margin: 0.5em 0 1.5em; background: #fafafa; }
.band-elite { fill: #cdeccd; } .band-high { fill: #e5f4cc; } .band-medium { fill: #fbf1c7; } .band-low { fill: #f8d7d3; }
.line { fill: none; stroke: #1f4e9c; stroke-width: 2; }
.dot { fill: #1f4e9c; }
.tick, .label { font-size: 10px; fill: #555; }
.frame { fill: none; stroke: #999; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<table class="settings"><tr><th>Setting</th><th>Choice</th></tr>
{{range .Settings}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>
{{end}}</table>
{{range .Groups}}<section class="group" data-service="{{.Service}}" data-environment="{{.Environment}}">
<h2>{{.Service}} in {{.Environment}}</h2>
<table><tr><th>Metric</th><th>Value</th><th>n</th><th>Tier</th><th>Excluded</th></tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td>{{.Value}}</td><td>{{.N}}</td><td>{{.Tier}}</td><td>{{.Excluded}}</td></tr>
{{end}}</table>
{{if .QuickCheck}}<p>Quick Check score: {{.QuickCheck}}</p>{{end}}
{{range .Charts}}<h3>{{.Title}} ({{.Unit}})</h3>
<svg class="chart" data-metric="{{.Title}}" data-points="{{.Defined}}" data-bands="{{len .Bands}}" role="img" aria-label="{{.Title}} per bucket" width="640" height="180" viewBox="0 0 640 180" xmlns="http://www.w3.org/2000/svg">
{{range .Bands}}<rect class="band band-{{.Tier}}" x="56" y="{{printf "%.1f" .Y}}" width="572" height="{{printf "%.1f" .H}}"><title>{{.Tier}}: {{.Label}}</title></rect>
{{end}}<rect class="frame" x="56" y="10" width="572" height="142"></rect>
{{range .Ticks}}<text class="tick" x="{{printf "%.1f" .X}}" y="{{printf "%.1f" .Y}}" text-anchor="end" dominant-baseline="middle">{{.Text}}</text>
{{end}}{{range .Labels}}<text class="label" x="{{printf "%.1f" .X}}" y="{{printf "%.1f" .Y}}" text-anchor="middle">{{.Text}}</text>
{{end}}{{range .Lines}}<polyline class="line" points="{{.}}"></polyline>
{{end}}{{range .Dots}}<circle class="dot" cx="{{printf "%.1f" .X}}" cy="{{printf "%.1f" .Y}}" r="3"><title>{{.Title}}</title></circle>
{{end}}</svg>
{{end}}</section>
{{end}}{{if .Excluded}}<h2>Excluded records</h2>
<ul>{{range .Excluded}}<li>{{.}}</li>{{end}}</ul>{{end}}
<script>
// Count the charts the browser drew: a chart counts when its line or
// points have a non-empty bounding box.
(function () {
  var drawn = 0, charts = document.querySelectorAll("svg.chart");
  charts.forEach(function (svg) {
    var ok = false;
    svg.querySelectorAll("polyline, circle").forEach(function (el) {
      var b = el.getBBox();
      if (b.width > 0 || b.height > 0) { ok = true; }
    });
    svg.setAttribute("data-drawn", ok ? "yes" : "no");
    if (ok) { drawn++; }
  });
  document.body.setAttribute("data-charts", String(charts.length));
  document.body.setAttribute("data-charts-drawn", String(drawn));
})();
</script>
</body>
</html>
`))
