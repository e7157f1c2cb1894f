package secret

import (
	"cmp"
	"slices"

	"github.com/paved-dev/paved/internal/sarif"
)

// SARIF returns the report as a SARIF 2.1.0 log: one run whose rules are
// the rules that found something, one "error" result per finding, located
// by file and region, with the fingerprint as the partial fingerprint
// "gitleaks/v1" and the commit, if any, as a property. Like the report, it
// holds no secret.
func (r *Report) SARIF() ([]byte, error) {
	rules := []sarif.Rule{}
	index := map[string]int{}
	for _, f := range r.Findings {
		if _, ok := index[f.RuleID]; !ok {
			index[f.RuleID] = -1
			rules = append(rules, sarif.Rule{ID: f.RuleID, ShortDescription: sarif.Message{Text: cmp.Or(f.Description, f.RuleID)}})
		}
	}
	slices.SortFunc(rules, func(a, b sarif.Rule) int { return cmp.Compare(a.ID, b.ID) })
	for i, rule := range rules {
		index[rule.ID] = i
	}
	results := make([]sarif.Result, 0, len(r.Findings))
	for _, f := range r.Findings {
		i := index[f.RuleID]
		res := sarif.Result{
			RuleID:    f.RuleID,
			RuleIndex: &i,
			Level:     sarif.Error,
			Message:   sarif.Message{Text: cmp.Or(f.Description, f.RuleID) + " (secret redacted)"},
			Locations: []sarif.Location{{PhysicalLocation: &sarif.PhysicalLocation{
				ArtifactLocation: sarif.ArtifactLocation{URI: f.File},
				Region:           &sarif.Region{StartLine: max(f.StartLine, 1), StartColumn: f.StartColumn, EndLine: f.EndLine, EndColumn: f.EndColumn + 1},
			}}},
			PartialFingerprints: map[string]string{"gitleaks/v1": f.Fingerprint},
		}
		if f.Commit != "" {
			res.Properties = map[string]any{"commit": f.Commit}
		}
		results = append(results, res)
	}
	return sarif.New(sarif.Run{
		Tool:    sarif.Tool{Driver: sarif.Driver{Name: "paved-secret", InformationURI: "https://github.com/gitleaks/gitleaks", Rules: rules}},
		Results: results,
	}).Marshal()
}
