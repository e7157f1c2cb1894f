package report

import (
	"errors"
	"fmt"

	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/internal/sarif"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// SARIF returns the report's gaps as a SARIF 2.1.0 log, for code-scanning
// dashboards: one rule per control, one result per control that is a gap
// (fail, error, no evidence, warn, waived), at level "error" for a
// mandatory control that fails, errs or lacks evidence, "warning" for
// other gaps, with a suppression for a waived control naming its
// exception. Each result's logical location is the assessed service, its
// properties the owner and the evidence record IDs.
func (r *Report) SARIF() ([]byte, error) {
	a := r.Assessment
	exceptions := map[string]Exception{}
	for _, x := range r.Exceptions {
		exceptions[x.ID] = x
	}
	where := a.Scope.Service
	if where == "" {
		where = a.Programme
	}
	loc := []sarif.Location{{LogicalLocations: []sarif.LogicalLocation{{Name: where, Kind: "service"}}}}
	rules, results := []sarif.Rule{}, []sarif.Result{}
	for _, c := range a.Controls {
		if !c.Status.IsGap() {
			continue
		}
		level := sarif.Warning
		if c.Enforcement == capability.Mandatory && (c.Status == capability.StatusFail || c.Status == capability.StatusError || c.Status == capability.StatusNoEvidence) {
			level = sarif.Error
		}
		var records []string
		for _, e := range c.Evidence {
			records = append(records, e.ID)
		}
		res := sarif.Result{RuleID: c.Control, Level: level, Message: sarif.Message{Text: fmt.Sprintf("%s: %s", c.Status, c.Message)}, Locations: loc,
			Properties: map[string]any{"status": c.Status, "owner": c.Owner, "area": c.Area, "records": records}}
		for _, id := range c.Exceptions {
			res.Suppressions = append(res.Suppressions, sarif.Suppression{Kind: "external", Status: "accepted",
				Justification: fmt.Sprintf("%s (approved by %s, expires %s)", exceptions[id].Reason, exceptions[id].ApprovedBy, exceptions[id].Expires.Format("2006-01-02"))})
		}
		rules = append(rules, sarif.Rule{ID: c.Control, ShortDescription: sarif.Message{Text: c.Title},
			Properties: map[string]any{"enforcement": c.Enforcement, "area": c.Area, "mappings": c.Mappings}})
		results = append(results, res)
	}
	b, err := sarif.New(sarif.Run{
		Tool:       sarif.Tool{Driver: sarif.Driver{Name: "paved", InformationURI: "https://paved.dev", Rules: rules}},
		Results:    results,
		Properties: map[string]any{"assessment": a.ID, "policyDigest": a.PolicyDigest, "passRate": a.Overall.Rate},
	}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("report: sarif: %w", err)
	}
	return b, nil
}

// VerifiedLevel is the level a passing release's VSA claims: every
// mandatory control in the assessment's scope passes (or is waived or
// manual).
const VerifiedLevel = "PAVED_MANDATORY_CONTROLS"

// VSA returns a SLSA verification summary (VSA v1) of the assessed
// release, about the assessment's subjects: PASSED with VerifiedLevel when
// no mandatory control fails, errs or lacks evidence, FAILED otherwise.
// The verifier is verifierID; the policy is the policy set, by digest; the
// input attestations are the evidence records the assessment read, by
// record ID.
func (r *Report) VSA(verifierID string) (*attest.Statement, error) {
	a := r.Assessment
	if verifierID == "" {
		return nil, errors.New("report: vsa: empty verifier ID")
	}
	if len(a.Scope.Subjects) == 0 {
		return nil, errors.New("report: vsa: the assessment has no subject to summarise")
	}
	m := &vsav1.VerificationSummary{
		Verifier:           &vsav1.VerificationSummary_Verifier{Id: verifierID},
		TimeVerified:       timestamppb.New(a.At),
		ResourceUri:        resourceURI(a),
		Policy:             &vsav1.VerificationSummary_Policy{Uri: "urn:paved:policy-set:" + a.PolicyDigest},
		VerificationResult: "PASSED",
		VerifiedLevels:     []string{VerifiedLevel},
		SlsaVersion:        "1.0",
	}
	if d, err := supplychain.ParseDigest(a.PolicyDigest); err == nil {
		m.Policy.Digest = map[string]string{d.Algorithm: d.Hex}
	}
	for _, c := range a.Controls {
		if c.Enforcement == capability.Mandatory && (c.Status == capability.StatusFail || c.Status == capability.StatusError || c.Status == capability.StatusNoEvidence) {
			m.VerificationResult, m.VerifiedLevels = "FAILED", []string{"FAILED"}
			break
		}
	}
	for _, e := range a.Records {
		if d, err := supplychain.ParseDigest(e.ID); err == nil {
			m.InputAttestations = append(m.InputAttestations, &vsav1.VerificationSummary_InputAttestation{Digest: map[string]string{d.Algorithm: d.Hex}})
		}
	}
	st, err := attest.Build(attest.NewVSA(m), a.Scope.Subjects...)
	if err != nil {
		return nil, fmt.Errorf("report: vsa: %w", err)
	}
	return st, nil
}

// resourceURI names the release for a VSA: its first subject's URI or
// package URL, else "<service>@<release>".
func resourceURI(a *capability.Assessment) string {
	s := a.Scope.Subjects[0]
	switch {
	case s.URI != "":
		return s.URI
	case s.PURL != "":
		return s.PURL
	case a.Scope.Service != "":
		return a.Scope.Service + "@" + a.Scope.Release
	}
	return s.Name
}
