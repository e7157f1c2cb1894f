package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/paved-dev/paved/metrics"
)

// JSON writes r as indented JSON.
func JSON(w io.Writer, r *metrics.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	return nil
}

// metric is one of the five metrics, as the reports show it.
type metric struct {
	name   string
	unit   string
	get    func(*metrics.Metrics) metrics.Value
	tiers  func(metrics.TierTable) []metrics.Tier
	higher bool // a larger value is better
	log    bool // chart on a logarithmic scale
}

var five = []metric{
	{"Deployment frequency", "per day", func(m *metrics.Metrics) metrics.Value { return m.DeploymentFrequency },
		func(t metrics.TierTable) []metrics.Tier { return t.DeploymentFrequency }, true, true},
	{"Change lead time", "hours", func(m *metrics.Metrics) metrics.Value { return m.LeadTime },
		func(t metrics.TierTable) []metrics.Tier { return t.LeadTime }, false, true},
	{"Change fail rate", "share", func(m *metrics.Metrics) metrics.Value { return m.ChangeFailRate },
		func(t metrics.TierTable) []metrics.Tier { return t.ChangeFailRate }, false, false},
	{"Failed deployment recovery time", "hours", func(m *metrics.Metrics) metrics.Value { return m.RecoveryTime },
		func(t metrics.TierTable) []metrics.Tier { return t.RecoveryTime }, false, true},
	{"Deployment rework rate", "share", func(m *metrics.Metrics) metrics.Value { return m.ReworkRate }, nil, false, false},
}

// format writes a value in its unit.
func format(v metrics.Value, unit string) string {
	if !v.Defined {
		return "undefined"
	}
	switch unit {
	case "share":
		return fmt.Sprintf("%.1f%%", 100*v.Value)
	case "hours":
		return fmt.Sprintf("%.2f h", v.Value)
	}
	return fmt.Sprintf("%.3g %s", v.Value, unit)
}

func settings(s metrics.Settings) [][2]string {
	links := make([]string, len(s.IncidentLinks))
	for i, l := range s.IncidentLinks {
		links[i] = string(l)
	}
	if len(links) == 0 {
		links = []string{"none"}
	}
	window := "calendar buckets"
	if s.Rolling > 0 {
		window = "rolling " + s.Rolling.String()
	}
	tiers := fmt.Sprintf("DORA %d", s.TierYear)
	if _, ok := metrics.Tiers(s.TierYear); !ok {
		tiers += " (no tiers published)"
	}
	return [][2]string{
		{"Lead-time clock starts at", string(s.LeadTimeStart)},
		{"Incident links", strings.Join(links, ", ") + " (nearest within " + s.LinkWindow.String() + ")"},
		{"Median", string(s.Quantile)},
		{"Buckets", fmt.Sprintf("%s, %s, weeks start %s, time zone %s", s.Bucket, window, s.WeekStart, s.Location)},
		{"Negative durations", string(s.Negative)},
		{"Performance tiers", tiers},
	}
}

// Markdown writes r as Markdown.
func Markdown(w io.Writer, r *metrics.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Delivery metrics, %s to %s\n\n", day(r.Window.Start), day(r.Window.End))
	b.WriteString("| Setting | Choice |\n|---|---|\n")
	for _, s := range settings(r.Settings) {
		fmt.Fprintf(&b, "| %s | %s |\n", s[0], cell(s[1]))
	}
	for _, g := range r.Groups {
		fmt.Fprintf(&b, "\n## %s in %s\n\n", cell(g.Service), cell(g.Environment))
		b.WriteString("| Metric | Value | n | Tier | Excluded |\n|---|---|---|---|---|\n")
		for _, m := range five {
			v := m.get(&g.Metrics)
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %s |\n", m.name, format(v, m.unit), v.N, v.Tier, excluded(v.Excluded))
		}
		t := g.Metrics.Toil
		fmt.Fprintf(&b, "| Toil (manual share of step time) | %s | %d | | |\n", format(t.ManualShare, "share"), t.ManualShare.N)
		if q := g.Metrics.QuickCheck; q != nil {
			fmt.Fprintf(&b, "\nQuick Check score: %.1f / 10\n", *q)
		}
		b.WriteString("\n| Bucket |")
		for _, m := range five {
			b.WriteString(" " + m.name + " |")
		}
		b.WriteString("\n|---|" + strings.Repeat("---|", len(five)) + "\n")
		for _, p := range g.Series {
			fmt.Fprintf(&b, "| %s |", day(p.Start))
			for _, m := range five {
				v := m.get(&p.Metrics)
				fmt.Fprintf(&b, " %s (n=%d) |", format(v, m.unit), v.N)
			}
			b.WriteString("\n")
		}
	}
	if len(r.Excluded) > 0 {
		b.WriteString("\n## Excluded records\n\n")
		for _, e := range r.Excluded {
			fmt.Fprintf(&b, "- %s\n", cell(e.String()))
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("report: markdown: %w", err)
	}
	return nil
}

func day(t time.Time) string { return t.Format("2006-01-02 15:04 MST") }

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

func excluded(e []metrics.Exclusion) string {
	if len(e) == 0 {
		return ""
	}
	counts := map[metrics.Reason]int{}
	var order []metrics.Reason
	for _, x := range e {
		if counts[x.Reason] == 0 {
			order = append(order, x.Reason)
		}
		counts[x.Reason]++
	}
	parts := make([]string, len(order))
	for i, r := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[r], r)
	}
	return strings.Join(parts, "; ")
}
