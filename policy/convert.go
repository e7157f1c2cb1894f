package policy

import (
	"fmt"
	"strings"

	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// Result returns the decision's result as paved's policy-decision
// predicate says it: "deny" when blocked or bypassed, "warn" when a
// control warns, else "allow".
func (d *Decision) Result() string {
	if d.Outcome != Allowed {
		return "deny"
	}
	for _, c := range d.Controls {
		if c.Status == StatusWarn {
			return "warn"
		}
	}
	return "allow"
}

// Predicate returns the decision as paved's policy-decision predicate:
// the failed, erroring and warning controls' unwaived violations (a
// missing-evidence error as one violation) and the exceptions applied.
func (d *Decision) Predicate() attest.PolicyDecision {
	p := attest.PolicyDecision{
		Stage:        d.Stage,
		Query:        d.Query,
		PolicyDigest: d.PolicyDigest,
		InputDigest:  d.InputDigest,
		Result:       d.Result(),
		DecidedAt:    d.Time,
	}
	for _, c := range d.Controls {
		if c.Status != StatusFail && c.Status != StatusWarn && c.Status != StatusError {
			continue
		}
		if c.Message != "" {
			p.Violations = append(p.Violations, attest.Violation{Control: c.Control, Message: c.Message, Enforcement: string(c.Enforcement)})
		}
		for _, v := range c.Violations {
			if v.WaivedBy == "" {
				p.Violations = append(p.Violations, attest.Violation{Control: c.Control, Message: v.Msg, Enforcement: string(c.Enforcement)})
			}
		}
	}
	for _, x := range d.Exceptions {
		p.Exceptions = append(p.Exceptions, x.ID)
	}
	return p
}

// Statement returns the decision as an in-toto statement about its
// subject with paved's policy-decision predicate
// (attest.PredicatePolicyDecision), ready to sign and record as evidence.
// The same decision gives the same bytes.
func (d *Decision) Statement() (*attest.Statement, error) {
	return attest.Build(d.Predicate(), d.Subject)
}

// VSA returns the decision as a SLSA verification summary (VSA v1) about
// its subject: PASSED when the gate allowed it (verified level
// "PAVED_<STAGE>_GATE"), FAILED when blocked or bypassed. The policy is
// the policy set by digest, the input attestations the evidence by digest.
// The same decision gives the same bytes.
func (d *Decision) VSA() (*attest.Statement, error) {
	m := &vsav1.VerificationSummary{
		Verifier:           &vsav1.VerificationSummary_Verifier{Id: d.Verifier},
		TimeVerified:       timestamppb.New(d.Time),
		ResourceUri:        resourceURI(d.Subject),
		Policy:             &vsav1.VerificationSummary_Policy{Uri: "urn:paved:policy-set:" + d.PolicyDigest, Digest: digestMap(d.PolicyDigest)},
		VerificationResult: "FAILED",
		VerifiedLevels:     []string{"FAILED"},
		SlsaVersion:        "1.0",
	}
	if d.Outcome == Allowed {
		m.VerificationResult = "PASSED"
		m.VerifiedLevels = []string{"PAVED_" + strings.ToUpper(d.Stage) + "_GATE"}
	}
	for _, e := range d.Evidence {
		m.InputAttestations = append(m.InputAttestations, &vsav1.VerificationSummary_InputAttestation{Digest: digestMap(e)})
	}
	return attest.Build(attest.NewVSA(m), d.Subject)
}

// resourceURI names the subject for a VSA: its URI, else its package URL,
// else its name.
func resourceURI(s supplychain.Subject) string {
	switch {
	case s.URI != "":
		return s.URI
	case s.PURL != "":
		return s.PURL
	}
	return s.Name
}

// digestMap turns "alg:hex" into {alg: hex}.
func digestMap(d string) map[string]string {
	pd, err := supplychain.ParseDigest(d)
	if err != nil {
		return map[string]string{"unknown": fmt.Sprint(d)}
	}
	return map[string]string{pd.Algorithm: pd.Hex}
}
