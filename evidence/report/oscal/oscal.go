package oscal

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence/report"
)

// Version is the OSCAL version the documents declare.
const Version = "1.1.2"

// NS is the namespace of paved's properties in the documents.
const NS = "https://paved.dev/ns/oscal"

// Document is an OSCAL assessment-results document: the JSON root.
type Document struct {
	AssessmentResults AssessmentResults `json:"assessment-results"`
}

// AssessmentResults holds the results of one or more assessments.
type AssessmentResults struct {
	UUID     string   `json:"uuid"`
	Metadata Metadata `json:"metadata"`
	ImportAP ImportAP `json:"import-ap"`
	Results  []Result `json:"results"`
}

// Metadata describes the document.
type Metadata struct {
	Title        string     `json:"title"`
	LastModified time.Time  `json:"last-modified"`
	Version      string     `json:"version"`
	OSCALVersion string     `json:"oscal-version"`
	Props        []Property `json:"props,omitempty"`
}

// ImportAP points at the assessment plan the results answer.
type ImportAP struct {
	Href string `json:"href"`
}

// Property is a name-value pair in paved's namespace.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	NS    string `json:"ns,omitempty"`
}

// Result is one assessment: the controls reviewed, what was observed and
// what was found.
type Result struct {
	UUID             string           `json:"uuid"`
	Title            string           `json:"title"`
	Description      string           `json:"description"`
	Start            time.Time        `json:"start"`
	End              *time.Time       `json:"end,omitempty"`
	Props            []Property       `json:"props,omitempty"`
	ReviewedControls ReviewedControls `json:"reviewed-controls"`
	Observations     []Observation    `json:"observations,omitempty"`
	Findings         []Finding        `json:"findings,omitempty"`
}

// ReviewedControls lists the controls the result covers.
type ReviewedControls struct {
	ControlSelections []ControlSelection `json:"control-selections"`
}

// ControlSelection selects controls by ID.
type ControlSelection struct {
	IncludeControls []SelectControl `json:"include-controls"`
}

// SelectControl names one control.
type SelectControl struct {
	ControlID string `json:"control-id"`
}

// Observation is what was observed about one control: the evidence
// records behind it.
type Observation struct {
	UUID             string             `json:"uuid"`
	Title            string             `json:"title,omitempty"`
	Description      string             `json:"description"`
	Props            []Property         `json:"props,omitempty"`
	Methods          []string           `json:"methods"`
	RelevantEvidence []RelevantEvidence `json:"relevant-evidence,omitempty"`
	Collected        time.Time          `json:"collected"`
}

// RelevantEvidence points at one evidence record.
type RelevantEvidence struct {
	Href        string     `json:"href"`
	Description string     `json:"description"`
	Props       []Property `json:"props,omitempty"`
}

// Finding is the conclusion about one control.
type Finding struct {
	UUID                string               `json:"uuid"`
	Title               string               `json:"title"`
	Description         string               `json:"description"`
	Props               []Property           `json:"props,omitempty"`
	Target              Target               `json:"target"`
	RelatedObservations []RelatedObservation `json:"related-observations,omitempty"`
}

// Target is the control a finding is about and its state.
type Target struct {
	Type     string          `json:"type"`
	TargetID string          `json:"target-id"`
	Status   ObjectiveStatus `json:"status"`
}

// ObjectiveStatus says whether the control is satisfied.
type ObjectiveStatus struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// RelatedObservation points at an observation by UUID.
type RelatedObservation struct {
	ObservationUUID string `json:"observation-uuid"`
}

// FromReport converts a report's assessment into an assessment-results
// document with one result: every control in the reviewed controls; for
// every control judged from evidence (all but manual and not applicable) a
// finding, "satisfied" when it passes and "not-satisfied" otherwise, with
// paved's status as the reason; and for every control with evidence an
// observation whose relevant evidence are the records, by
// "urn:paved:evidence:<record ID>". UUIDs are derived from the
// assessment's ID (version 5, SHA-1), so the same assessment gives the
// same document.
func FromReport(r *report.Report) (*Document, error) {
	a := r.Assessment
	if a == nil || a.ID == "" {
		return nil, errors.New("oscal: report without an assessment")
	}
	res := Result{
		UUID:        uuid(a.ID, "result"),
		Title:       r.Title,
		Description: fmt.Sprintf("paved assessment %s of %d controls: %.1f%% of %d judged controls pass.", a.ID, a.Overall.Total, a.Overall.Rate, a.Overall.Judged),
		Start:       a.At,
		End:         &a.At,
		Props: []Property{
			{Name: "assessment-id", Value: a.ID, NS: NS},
			{Name: "policy-digest", Value: a.PolicyDigest, NS: NS},
		},
	}
	for _, s := range a.Scope.Subjects {
		for _, d := range s.Digest.Digests() {
			res.Props = append(res.Props, Property{Name: "subject", Value: s.Name + " " + d.String(), NS: NS})
		}
	}
	if a.Scope.Service != "" {
		res.Props = append(res.Props, Property{Name: "service", Value: a.Scope.Service, NS: NS})
	}
	if a.Scope.Environment != "" {
		res.Props = append(res.Props, Property{Name: "environment", Value: a.Scope.Environment, NS: NS})
	}
	sel := ControlSelection{IncludeControls: []SelectControl{}}
	for _, c := range a.Controls {
		sel.IncludeControls = append(sel.IncludeControls, SelectControl{ControlID: c.Control})
		var obs *Observation
		if len(c.Evidence) > 0 {
			obs = &Observation{UUID: uuid(a.ID, "observation", c.Control), Title: c.Control + " evidence",
				Description: fmt.Sprintf("%d evidence record(s) about the subject, verified when recorded.", len(c.Evidence)),
				Methods:     []string{"TEST"}, Collected: a.At}
			for _, e := range c.Evidence {
				desc := fmt.Sprintf("%s, log index %d", e.PredicateType, e.Index)
				if len(e.Signers) > 0 {
					desc += ", signed by " + strings.Join(e.Signers, ", ")
				}
				obs.RelevantEvidence = append(obs.RelevantEvidence, RelevantEvidence{Href: "urn:paved:evidence:" + e.ID, Description: desc,
					Props: []Property{{Name: "log-index", Value: fmt.Sprint(e.Index), NS: NS}}})
			}
			res.Observations = append(res.Observations, *obs)
		}
		if c.Status == capability.StatusManual || c.Status == capability.StatusNotApplicable {
			continue
		}
		f := Finding{UUID: uuid(a.ID, "finding", c.Control), Title: c.Control + ": " + c.Title,
			Description: c.Title,
			Props: []Property{{Name: "status", Value: string(c.Status), NS: NS}, {Name: "owner", Value: c.Owner, NS: NS},
				{Name: "enforcement", Value: string(c.Enforcement), NS: NS}},
			Target: Target{Type: "objective-id", TargetID: c.Control, Status: ObjectiveStatus{State: "not-satisfied", Reason: string(c.Status)}}}
		if c.Message != "" {
			f.Description = c.Message
		}
		if c.Status == capability.StatusPass {
			f.Target.Status = ObjectiveStatus{State: "satisfied", Reason: "pass"}
		}
		for _, x := range c.Exceptions {
			f.Props = append(f.Props, Property{Name: "exception", Value: x, NS: NS})
		}
		if obs != nil {
			f.RelatedObservations = []RelatedObservation{{ObservationUUID: obs.UUID}}
		}
		res.Findings = append(res.Findings, f)
	}
	res.ReviewedControls = ReviewedControls{ControlSelections: []ControlSelection{sel}}
	return &Document{AssessmentResults: AssessmentResults{
		UUID: uuid(a.ID, "assessment-results"),
		Metadata: Metadata{Title: r.Title, LastModified: a.At, Version: a.ID, OSCALVersion: Version,
			Props: []Property{{Name: "programme", Value: a.Programme, NS: NS}}},
		ImportAP: ImportAP{Href: "urn:paved:policy-set:" + a.PolicyDigest},
		Results:  []Result{res},
	}}, nil
}

// Write writes the report as an indented assessment-results JSON
// document.
func Write(w io.Writer, r *report.Report) error {
	doc, err := FromReport(r)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("oscal: write: %w", err)
	}
	return nil
}

// namespace is the UUID namespace of paved's OSCAL documents.
var namespace = [16]byte{0x6f, 0x1c, 0x2a, 0x4e, 0x93, 0x0b, 0x4d, 0x51, 0x8a, 0x6e, 0x2f, 0x10, 0x77, 0x3c, 0x5d, 0x01}

// uuid derives a version 5 UUID (RFC 9562) from names.
func uuid(names ...string) string {
	h := sha1.New()
	h.Write(namespace[:])
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0})
	}
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}
