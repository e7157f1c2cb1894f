package vuln

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	vulnsv02 "github.com/in-toto/attestation/go/predicates/vulns/v02"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/paved-dev/paved/internal/sarif"
	"github.com/paved-dev/paved/supplychain/attest"
)

// ScannerURI names paved's matcher in SARIF and vulns predicates.
const ScannerURI = "https://paved.dev/vuln"

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("vuln: write JSON: %w", err)
	}
	return nil
}

// sarifLevel maps a rating to a SARIF level.
func sarifLevel(r Rating) string {
	switch r {
	case Critical, High:
		return sarif.Error
	case Medium, Unknown:
		return sarif.Warning
	}
	return sarif.Note
}

// WriteSARIF writes the report as a SARIF 2.1.0 log: one rule per
// vulnerability (with GitHub's security-severity property), one result per
// finding located at the component's purl. Findings a VEX statement
// suppresses carry an accepted external suppression whose justification
// quotes the statement; under_investigation ones keep their level and say
// so in a property.
func (r *Report) WriteSARIF(w io.Writer) error {
	run := sarif.Run{
		Tool:    sarif.Tool{Driver: sarif.Driver{Name: "paved", InformationURI: ScannerURI, Rules: []sarif.Rule{}}},
		Results: []sarif.Result{},
	}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !seen[f.ID] {
			seen[f.ID] = true
			props := map[string]any{"tags": []string{"security", "vulnerability"}}
			if f.Severity.Score > 0 {
				props["security-severity"] = strconv.FormatFloat(f.Severity.Score, 'f', 1, 64)
			}
			text := f.Summary
			if text == "" {
				text = f.ID
			}
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarif.Rule{ID: f.ID, ShortDescription: sarif.Message{Text: text}, Properties: props})
		}
		msg := fmt.Sprintf("%s %s is affected by %s", f.Package, f.Component.Version, f.ID)
		if len(f.FixedIn) > 0 {
			msg += "; fixed in " + strings.Join(f.FixedIn, ", ")
		}
		res := sarif.Result{
			RuleID:    f.ID,
			Level:     sarifLevel(f.Severity.Rating),
			Message:   sarif.Message{Text: msg},
			Locations: []sarif.Location{{LogicalLocations: []sarif.LogicalLocation{{FullyQualifiedName: f.Component.PURL, Kind: "module"}}}},
			Properties: map[string]any{
				"status":   string(f.Status),
				"severity": string(f.Severity.Rating),
				"aliases":  f.Aliases,
			},
		}
		if f.Suppressed {
			res.Suppressions = []sarif.Suppression{{Kind: "external", Status: "accepted", Justification: vexText(f.VEX)}}
		}
		if !f.FixBy.IsZero() {
			res.Properties["fixBy"] = f.FixBy.UTC().Format("2006-01-02")
		}
		run.Results = append(run.Results, res)
	}
	b, err := sarif.New(run).Marshal()
	if err == nil {
		_, err = w.Write(append(b, '\n'))
	}
	if err != nil {
		return fmt.Errorf("vuln: write SARIF: %w", err)
	}
	return nil
}

// vexText says what a VEX statement says, in one line.
func vexText(s *Statement) string {
	if s == nil {
		return ""
	}
	parts := []string{"VEX " + string(s.Status)}
	if s.Justification != "" {
		parts = append(parts, s.Justification)
	}
	if s.ImpactStatement != "" {
		parts = append(parts, s.ImpactStatement)
	}
	if s.Document != "" {
		parts = append(parts, "("+s.Document+")")
	}
	return strings.Join(parts, ": ")
}

// Predicate returns the report as an in-toto vulns v0.2 predicate: one
// result per finding, with its severity (CVSS score, else rating) and
// annotations for the component's purl, the status and, for suppressed
// findings, the VEX statement.
func (r *Report) Predicate() (attest.Vulns, error) {
	version := pavedScannerVersion
	dbURI := "https://osv.dev"
	msg := &vulnsv02.Vulns{
		Scanner: &vulnsv02.Scanner{
			Uri:     ScannerURI,
			Version: &version,
			Db:      &vulnsv02.VulnDatabase{Uri: &dbURI},
		},
		Metadata: &vulnsv02.ScanMetadata{
			ScanStartedOn:  timestamppb.New(r.Scanned),
			ScanFinishedOn: timestamppb.New(r.Scanned),
		},
	}
	if !r.Database.IsZero() {
		msg.Scanner.Db.LastUpdate = timestamppb.New(r.Database)
	}
	for _, f := range r.Findings {
		res := &vulnsv02.Result{Id: f.ID}
		if f.Severity.Score > 0 {
			res.Severity = append(res.Severity, &vulnsv02.Result_Severity{Method: f.Severity.Source, Score: strconv.FormatFloat(f.Severity.Score, 'f', 1, 64)})
		}
		res.Severity = append(res.Severity, &vulnsv02.Result_Severity{Method: "rating", Score: string(f.Severity.Rating)})
		ann := map[string]any{
			"purl":       f.Component.PURL,
			"status":     string(f.Status),
			"suppressed": f.Suppressed,
			"aliases":    toAny(f.Aliases),
		}
		if len(f.FixedIn) > 0 {
			ann["fixedIn"] = toAny(f.FixedIn)
		}
		if f.VEX != nil {
			ann["vex"] = vexText(f.VEX)
		}
		// The publication and the SLA's deadline let a policy judge a
		// finding's age (the built-in DSO-BLD-05 does).
		if !f.Published.IsZero() {
			ann["published"] = f.Published.UTC().Format(time.RFC3339)
		}
		if !f.FixBy.IsZero() {
			ann["fixBy"] = f.FixBy.UTC().Format(time.RFC3339)
		}
		st, err := structpb.NewStruct(ann)
		if err != nil {
			return attest.Vulns{}, fmt.Errorf("vuln: predicate: %w", err)
		}
		res.Annotations = []*structpb.Struct{st}
		msg.Scanner.Result = append(msg.Scanner.Result, res)
	}
	return attest.NewVulns(msg), nil
}

// pavedScannerVersion is the version the vulns predicate gives paved's
// matcher: the version of its matching rules, not of the module.
const pavedScannerVersion = "1"

func toAny(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}
