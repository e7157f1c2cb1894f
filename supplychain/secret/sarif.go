package secret

import (
	"cmp"
	"encoding/json"
	"slices"
)

// SARIF 2.1.0 identifiers.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]string `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	// EndColumn is exclusive in SARIF.
	EndColumn int `json:"endColumn,omitempty"`
}

// SARIF returns the report as a SARIF 2.1.0 log: one run whose rules are
// the rules that found something, one "error" result per finding, located
// by file and region, with the fingerprint as the partial fingerprint
// "gitleaks/v1" and the commit, if any, as a property. Like the report, it
// holds no secret.
func (r *Report) SARIF() ([]byte, error) {
	rules := []sarifRule{}
	index := map[string]int{}
	for _, f := range r.Findings {
		if _, ok := index[f.RuleID]; !ok {
			index[f.RuleID] = -1
			rules = append(rules, sarifRule{ID: f.RuleID, ShortDescription: sarifMessage{Text: cmp.Or(f.Description, f.RuleID)}})
		}
	}
	slices.SortFunc(rules, func(a, b sarifRule) int { return cmp.Compare(a.ID, b.ID) })
	for i, rule := range rules {
		index[rule.ID] = i
	}
	results := make([]sarifResult, 0, len(r.Findings))
	for _, f := range r.Findings {
		res := sarifResult{
			RuleID:    f.RuleID,
			RuleIndex: index[f.RuleID],
			Level:     "error",
			Message:   sarifMessage{Text: cmp.Or(f.Description, f.RuleID) + " (secret redacted)"},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: f.File},
				Region:           sarifRegion{StartLine: max(f.StartLine, 1), StartColumn: f.StartColumn, EndLine: f.EndLine, EndColumn: f.EndColumn + 1},
			}}},
			PartialFingerprints: map[string]string{"gitleaks/v1": f.Fingerprint},
		}
		if f.Commit != "" {
			res.Properties = map[string]string{"commit": f.Commit}
		}
		results = append(results, res)
	}
	return json.MarshalIndent(sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "paved-secret", InformationURI: "https://github.com/gitleaks/gitleaks", Rules: rules}},
			Results: results,
		}},
	}, "", "  ")
}
