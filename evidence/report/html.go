package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/paved-dev/paved/capability"
)

// Chart geometry, in SVG user units.
const (
	areaChartW, areaLabelW, areaRowH = 720.0, 200.0, 24.0
	trendW, trendH, trendPad         = 720.0, 200.0, 36.0
)

type htmlPage struct {
	*Report
	A        *capability.Assessment
	Rate     string
	Counts   string
	Subjects []string
	Legend   []capability.Status
	AreaH    float64
	Areas    []areaBar
	Trend    trendChart
}

type areaBar struct {
	Title, Rate string
	Y           float64
	Segments    []segment
}

type segment struct {
	Status  capability.Status
	X, Y, W float64
	N       int
}

type trendChart struct {
	Points  string
	Dots    []trendDot
	Axis    []trendTick
	N       int
	W, H    float64
	PlotTop float64
	PlotBot float64
}

type trendDot struct {
	X, Y  float64
	Title string
}

type trendTick struct {
	Y    float64
	Text string
}

// WriteHTML writes the report as one self-contained HTML page for
// auditors and teams: no external resource (a Content Security Policy
// forbids any), the statuses per area as a stacked bar chart and the pass
// rate across assessments as a line, both inline SVG; then each control
// with its status, owner, reason, evidence records (index, ID, predicate
// type, signers) and deciding decisions; the backlog, the exceptions and
// the approvals. A short inline script checks, in the browser, that each
// chart drew and marks the body with the counts ("data-bars-drawn",
// "data-trend-drawn").
func (r *Report) WriteHTML(w io.Writer) error {
	a := r.Assessment
	p := htmlPage{Report: r, A: a, Rate: rate(a.Overall), Counts: counts(a.Overall.Counts), Legend: statusOrder}
	for _, s := range a.Scope.Subjects {
		for _, d := range s.Digest.Digests() {
			p.Subjects = append(p.Subjects, s.Name+" "+d.String())
		}
	}
	most := 1
	for _, ar := range a.Areas {
		most = max(most, ar.Total)
	}
	scale := (areaChartW - areaLabelW - 60) / float64(most)
	for i, ar := range a.Areas {
		bar := areaBar{Title: ar.Title, Rate: rate(ar.Score), Y: float64(i)*areaRowH + 4}
		x := areaLabelW
		for _, st := range statusOrder {
			if n := ar.Counts[st]; n > 0 {
				bar.Segments = append(bar.Segments, segment{Status: st, X: x, Y: bar.Y, W: float64(n) * scale, N: n})
				x += float64(n) * scale
			}
		}
		p.Areas = append(p.Areas, bar)
	}
	p.AreaH = float64(len(a.Areas))*areaRowH + 8
	p.Trend = newTrend(r.Trend)
	if err := pageTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

func newTrend(points []TrendPoint) trendChart {
	c := trendChart{N: len(points), W: trendW, H: trendH, PlotTop: trendPad / 2, PlotBot: trendH - trendPad}
	y := func(rate float64) float64 { return c.PlotBot - rate/100*(c.PlotBot-c.PlotTop) }
	for _, v := range []float64{0, 50, 100} {
		c.Axis = append(c.Axis, trendTick{Y: y(v), Text: fmt.Sprintf("%.0f%%", v)})
	}
	step := 0.0
	if len(points) > 1 {
		step = (trendW - 2*trendPad) / float64(len(points)-1)
	}
	var pts []string
	for i, p := range points {
		d := trendDot{X: trendPad + float64(i)*step, Y: y(p.Rate), Title: fmt.Sprintf("%s: %.1f%%", p.At.Format(time.RFC3339), p.Rate)}
		c.Dots = append(c.Dots, d)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", d.X, d.Y))
	}
	c.Points = strings.Join(pts, " ")
	return c
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"short": short,
	"date":  func(t time.Time) string { return t.Format(time.DateOnly) },
	"stamp": func(t time.Time) string { return t.Format(time.RFC3339) },
	"f1":    func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"join":  func(s []string) string { return strings.Join(s, ", ") },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
code { font-size: 12px; }
svg.chart { display: block; margin: 0.5em 0 1.5em; background: #fafafa; }
.st-fail { fill: #c0392b; } .st-error { fill: #8e44ad; } .st-no_evidence { fill: #e67e22; } .st-warn { fill: #f1c40f; }
.st-waived { fill: #95a5a6; } .st-pass { fill: #27ae60; } .st-manual { fill: #2980b9; } .st-not_applicable { fill: #dfe6e9; }
td.status { font-weight: bold; }
.legend span { display: inline-block; margin-right: 1em; }
.legend svg { vertical-align: middle; }
.line { fill: none; stroke: #1f4e9c; stroke-width: 2; }
.dot { fill: #1f4e9c; }
.label, .tick { font-size: 11px; fill: #444; }
.grid { stroke: #ddd; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>Assessment <code>{{.A.ID}}</code> at {{stamp .A.At}}; policy set <code>{{.A.PolicyDigest}}</code>.</p>
<ul>{{range .Subjects}}<li><code>{{.}}</code></li>{{end}}</ul>
<p id="overall" data-rate="{{f1 .A.Overall.Rate}}">Overall: {{.Rate}} of {{.A.Overall.Judged}} judged controls pass ({{.Counts}}).</p>

<h2>Status per area</h2>
<p class="legend">{{range .Legend}}<span><svg width="12" height="12"><rect class="st-{{.}}" width="12" height="12"></rect></svg> {{.}}</span>{{end}}</p>
<svg class="chart" id="areas" role="img" aria-label="Control statuses per area" width="720" height="{{f1 .AreaH}}" viewBox="0 0 720 {{f1 .AreaH}}" xmlns="http://www.w3.org/2000/svg">
{{range .Areas}}<g class="area" data-area="{{.Title}}">
<text class="label" x="4" y="{{f1 .Y}}" dy="14">{{.Title}}</text>
{{range .Segments}}<rect class="seg st-{{.Status}}" data-status="{{.Status}}" data-n="{{.N}}" x="{{f1 .X}}" y="{{f1 .Y}}" width="{{f1 .W}}" height="18"><title>{{.N}} {{.Status}}</title></rect>
{{end}}</g>
{{end}}</svg>

<h2>Pass rate across assessments</h2>
<svg class="chart" id="trend" data-points="{{.Trend.N}}" role="img" aria-label="Overall pass rate per assessment" width="720" height="200" viewBox="0 0 720 200" xmlns="http://www.w3.org/2000/svg">
{{range .Trend.Axis}}<line class="grid" x1="36" x2="684" y1="{{f1 .Y}}" y2="{{f1 .Y}}"></line><text class="tick" x="32" y="{{f1 .Y}}" text-anchor="end" dominant-baseline="middle">{{.Text}}</text>
{{end}}{{if gt .Trend.N 1}}<polyline class="line" points="{{.Trend.Points}}"></polyline>
{{end}}{{range .Trend.Dots}}<circle class="dot" cx="{{f1 .X}}" cy="{{f1 .Y}}" r="4"><title>{{.Title}}</title></circle>
{{end}}</svg>

<h2>Areas</h2>
<table><tr><th>Area</th><th>Controls</th><th>Judged</th><th>Pass rate</th></tr>
{{range .A.Areas}}<tr><td>{{.Title}}</td><td>{{.Total}}</td><td>{{.Judged}}</td><td>{{f1 .Rate}}%</td></tr>
{{end}}</table>

<h2>Controls and their evidence</h2>
<table id="controls"><tr><th>Control</th><th>Title</th><th>Status</th><th>Owner</th><th>Why</th><th>Evidence (index, record, type, signers)</th><th>Decisions</th></tr>
{{range .A.Controls}}<tr data-control="{{.Control}}" data-status="{{.Status}}"><td>{{.Control}}</td><td>{{.Title}}</td><td class="status">{{.Status}}</td><td>{{.Owner}}</td><td>{{.Message}}</td>
<td>{{range .Evidence}}<div>#{{.Index}} <code title="{{.ID}}">{{short .ID}}</code> {{.PredicateType}}{{if .Signers}} signed by {{join .Signers}}{{end}}</div>{{end}}</td>
<td>{{range .Decisions}}<div><code>{{.ID}}</code> {{.Stage}}: {{.Status}}</div>{{end}}</td></tr>
{{end}}</table>

<h2>Backlog</h2>
{{if .A.Backlog}}<table id="backlog"><tr><th>Control</th><th>Title</th><th>Status</th><th>Enforcement</th><th>Work</th><th>Owner</th><th>Contact</th></tr>
{{range .A.Backlog}}<tr><td>{{.Control}}</td><td>{{.Title}}</td><td>{{.Status}}</td><td>{{.Enforcement}}</td><td>{{.Work}}</td><td>{{or .OwnerName .Owner}}</td><td>{{.Contact}}</td></tr>
{{end}}</table>{{else}}<p>No gaps.</p>{{end}}

{{if .Exceptions}}<h2>Exceptions</h2>
<table id="exceptions"><tr><th>ID</th><th>Control</th><th>Reason</th><th>Requested by</th><th>Approved by</th><th>Expires</th><th>Applied</th><th>Expires soon</th></tr>
{{range .Exceptions}}<tr><td>{{.ID}}</td><td>{{.Control}}</td><td>{{.Reason}}</td><td>{{.RequestedBy}}</td><td>{{.ApprovedBy}}</td><td>{{date .Expires}}</td><td>{{if .Applied}}yes{{end}}</td><td>{{if .ExpiresSoon}}yes{{end}}</td></tr>
{{end}}</table>{{end}}

{{if .Approvals}}<h2>Approvals</h2>
<table id="approvals"><tr><th>Change</th><th>Approver</th><th>Decision</th><th>Stage</th><th>At</th><th>Record</th></tr>
{{range .Approvals}}<tr><td>{{.ChangeID}}</td><td>{{.Approver}}</td><td>{{.Decision}}</td><td>{{.Stage}}</td><td>{{stamp .DecidedAt}}</td><td>#{{.Index}} <code title="{{.Record}}">{{short .Record}}</code></td></tr>
{{end}}</table>{{end}}
<script>
// Check what the browser drew: bar segments with a non-empty box, and
// the trend's points.
(function () {
  var bars = 0, segs = document.querySelectorAll("#areas rect.seg");
  segs.forEach(function (el) { var b = el.getBBox(); if (b.width > 0 && b.height > 0) { bars++; } });
  var dots = 0;
  document.querySelectorAll("#trend circle.dot").forEach(function (el) { var b = el.getBBox(); if (b.width > 0) { dots++; } });
  document.body.setAttribute("data-bars", String(segs.length));
  document.body.setAttribute("data-bars-drawn", String(bars));
  document.body.setAttribute("data-trend-drawn", String(dots));
})();
</script>
</body>
</html>
`))
