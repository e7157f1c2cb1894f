package policy

import (
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/paved-dev/paved/internal/sarif"
)

// SARIF returns the decision as a SARIF 2.1.0 log: one rule per control
// with a finding, one result per violation (a missing-evidence or
// evaluation error as one result), at level "error" for what fails the
// gate and "warning" otherwise; waived violations carry a suppression
// naming the exception and its justification. The same decision gives the
// same bytes.
func (d *Decision) SARIF() ([]byte, error) {
	exceptions := map[string]AppliedException{}
	for _, x := range d.Exceptions {
		exceptions[x.ID] = x
	}
	loc := []sarif.Location{{LogicalLocations: []sarif.LogicalLocation{{Name: d.Subject.Name, FullyQualifiedName: d.Subject.PURL, Kind: "artifact"}}}}
	rules := []sarif.Rule{}
	results := []sarif.Result{}
	for _, c := range d.Controls {
		if len(c.Violations) == 0 && c.Status != StatusError {
			continue
		}
		title := c.Title
		if title == "" {
			title = c.Control
		}
		props := map[string]any{"enforcement": c.Enforcement, "status": c.Status}
		if len(c.Mappings) > 0 {
			props["mappings"] = c.Mappings
		}
		rules = append(rules, sarif.Rule{ID: c.Control, ShortDescription: sarif.Message{Text: title}, Properties: props})
		if c.Message != "" && c.Status == StatusError {
			results = append(results, sarif.Result{RuleID: c.Control, Level: level(c, "deny"), Message: sarif.Message{Text: c.Message}, Locations: loc})
		}
		for _, v := range c.Violations {
			r := sarif.Result{RuleID: c.Control, Level: level(c, v.Rule), Message: sarif.Message{Text: v.Msg}, Locations: loc,
				Properties: map[string]any{"package": v.Package}}
			if v.Finding != "" {
				r.Properties["finding"] = v.Finding
			}
			if x, ok := exceptions[v.WaivedBy]; ok {
				r.Suppressions = []sarif.Suppression{{Kind: "external", Status: "accepted",
					Justification: fmt.Sprintf("exception %s approved by %s until %s: %s", x.ID, x.ApprovedBy, timeString(x.Expires), x.Justification)}}
			}
			results = append(results, r)
		}
	}
	return sarif.New(sarif.Run{
		Tool:    sarif.Tool{Driver: sarif.Driver{Name: "paved-policy", InformationURI: "https://paved.dev", Rules: rules}},
		Results: results,
		Properties: map[string]any{
			"decision":     d.ID,
			"outcome":      d.Outcome,
			"stage":        d.Stage,
			"policyDigest": d.PolicyDigest,
			"inputDigest":  d.InputDigest,
		},
	}).Marshal()
}

// level is the SARIF level of a violation of control c from the given
// rule: "error" when it fails the gate, else "warning".
func level(c ControlResult, rule string) string {
	if rule == "deny" && c.Enforcement == Mandatory {
		return sarif.Error
	}
	return sarif.Warning
}

// JUnit returns the decision as JUnit XML: one test suite, one test case
// per control, failed for fail, erroring for error, skipped for waived,
// manual and not_applicable, with warnings in system-out. The same
// decision gives the same bytes.
func (d *Decision) JUnit() ([]byte, error) {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Error     *failure `xml:"error,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	type property struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	type testsuite struct {
		XMLName    xml.Name   `xml:"testsuite"`
		Name       string     `xml:"name,attr"`
		Tests      int        `xml:"tests,attr"`
		Failures   int        `xml:"failures,attr"`
		Errors     int        `xml:"errors,attr"`
		Skipped    int        `xml:"skipped,attr"`
		Timestamp  string     `xml:"timestamp,attr"`
		Properties []property `xml:"properties>property"`
		Cases      []testcase `xml:"testcase"`
	}
	s := testsuite{
		Name:      "paved policy " + d.Stage + " gate: " + d.Subject.Name,
		Tests:     len(d.Controls),
		Timestamp: timeString(d.Time),
		Properties: []property{
			{"decision", d.ID}, {"outcome", string(d.Outcome)},
			{"policyDigest", d.PolicyDigest}, {"inputDigest", d.InputDigest},
		},
	}
	for _, c := range d.Controls {
		tc := testcase{Name: c.Control, Classname: "paved." + d.Stage}
		if c.Title != "" {
			tc.Name += ": " + c.Title
		}
		var lines []string
		for _, v := range c.Violations {
			line := v.Rule + ": " + v.Msg
			if v.WaivedBy != "" {
				line += " (waived by " + v.WaivedBy + ")"
			}
			lines = append(lines, line)
		}
		for _, fw := range slices.Sorted(maps.Keys(c.Mappings)) {
			lines = append(lines, "maps to "+fw+": "+strings.Join(c.Mappings[fw], ", "))
		}
		text := strings.Join(lines, "\n")
		switch c.Status {
		case StatusFail:
			s.Failures++
			tc.Failure = &failure{Message: firstLine(text), Type: string(c.Enforcement), Text: text}
		case StatusError:
			s.Errors++
			tc.Error = &failure{Message: c.Message, Type: "error", Text: text}
		case StatusWaived, StatusManual, StatusNotApplicable:
			s.Skipped++
			msg := c.Message
			if c.Status == StatusWaived {
				msg = "waived by " + strings.Join(c.Exceptions, ", ")
			}
			tc.Skipped = &skipped{Message: string(c.Status) + ": " + msg}
			tc.SystemOut = text
		default:
			tc.SystemOut = text
		}
		s.Cases = append(s.Cases, tc)
	}
	out, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
