package capability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/sign"
)

// gatheredSubject is a subject with the evidence recorded about it.
type gatheredSubject struct {
	subject supplychain.Subject
	records []evidence.Record
	SubjectEvidence
}

// gather reads every record about subj (by each of its digests) in the
// scope's time range, and decodes them for the policy input.
func gather(ctx context.Context, store *evidence.Store, subj supplychain.Subject, scope AssessmentScope) (gatheredSubject, error) {
	g := gatheredSubject{subject: subj}
	recs, err := RecordsAbout(ctx, store, subj, scope.Since, scope.Until)
	if err != nil {
		return g, err
	}
	g.records = recs
	g.SubjectEvidence, err = DecodeSubjectEvidence(subj, recs)
	return g, err
}

// RecordsAbout returns every record about subj (by each of its SHA-256
// and SHA-512 digests) recorded in [since, until) (zero times leave that
// end open), each once, envelopes included.
func RecordsAbout(ctx context.Context, store *evidence.Store, subj supplychain.Subject, since, until time.Time) ([]evidence.Record, error) {
	seen := map[string]bool{}
	var out []evidence.Record
	for _, d := range subj.Digest.Digests() {
		if d.Algorithm != "sha256" && d.Algorithm != "sha512" {
			continue
		}
		q := evidence.Query{SubjectDigest: d.String(), Since: since, Until: until, WithEnvelopes: true, Limit: evidence.MaxQueryLimit}
		for r, err := range store.QueryAll(ctx, q) {
			if err != nil {
				return nil, err
			}
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// SubjectEvidence is what a policy request reads from the records about a
// subject.
type SubjectEvidence struct {
	// Evidence is every record with content, decoded (DecodeEvidence).
	Evidence []policy.Evidence
	// Change is the last change record among them; Approvals the
	// approvals.
	Change    *attest.Change
	Approvals []attest.Approval
	// Signatures are the verified signers of release statements about
	// the subject itself: its signatures.
	Signatures []policy.Signature
}

// DecodeSubjectEvidence decodes records about subj for a policy request.
// Pruned records (no envelope) are left out: they still count as records,
// but have no content to judge.
func DecodeSubjectEvidence(subj supplychain.Subject, recs []evidence.Record) (SubjectEvidence, error) {
	var out SubjectEvidence
	for _, r := range recs {
		if r.Envelope == nil {
			continue
		}
		ev, err := DecodeEvidence(r)
		if err != nil {
			return out, fmt.Errorf("record %d: %w", r.Index, err)
		}
		switch p := ev.Predicate.(type) {
		case attest.Change:
			out.Change = &p
		case attest.Approval:
			out.Approvals = append(out.Approvals, p)
		}
		// A release statement about the artifact is its signature: the
		// record verified against the store's trust policy.
		if r.PredicateType == attest.PredicateRelease && r.About(subj.Digest) {
			for _, s := range r.Signers {
				out.Signatures = append(out.Signatures, policy.Signature{Identity: identity(s), KeyID: s.KeyID})
			}
		}
		out.Evidence = append(out.Evidence, ev)
	}
	return out, nil
}

// request builds the policy request for the subject at a stage.
func (g gatheredSubject) request(stage string, scope AssessmentScope, exceptions []policy.Exception) policy.Request {
	return policy.Request{Stage: stage, Environment: scope.Environment, Subject: g.subject, Evidence: g.Evidence,
		Change: g.Change, Approvals: g.Approvals, Signatures: g.Signatures, Released: scope.Released, Exceptions: exceptions}
}

// ofType returns the subject's records of the required predicate type
// (a versioned type such as ".../bom/v1.6" satisfies ".../bom"), no older
// than the requirement's maximum age at now.
func (g gatheredSubject) ofType(req EvidenceRequirement, now time.Time) []evidence.Record {
	var out []evidence.Record
	for _, r := range g.records {
		if r.PredicateType != req.PredicateType && !strings.HasPrefix(r.PredicateType, req.PredicateType+"/") {
			continue
		}
		if req.MaxAge != 0 && r.RecordedAt.Before(now.Add(-time.Duration(req.MaxAge))) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// identity names a verified signer for policy: its name, else its
// certificate subject, else its key ID.
func identity(s sign.Identity) string { return signerName(s.Name, s.Subject, s.KeyID) }

// DecodeEvidence decodes a record's statement into the policy input's
// evidence: attest's typed predicates, an SBOM summary for CycloneDX and
// SPDX documents, a secret scan, or attest.Generic for anything else,
// with the record ID as its digest, its verified signers and the time it
// was recorded (which a binding's MaxAge judges). The record
// must carry its envelope (records from evidence.Store.Get, or queries
// WithEnvelopes).
func DecodeEvidence(r evidence.Record) (policy.Evidence, error) {
	ev := policy.Evidence{Digest: r.ID, Time: r.RecordedAt}
	for _, s := range r.Signers {
		ev.Signers = append(ev.Signers, identity(s))
	}
	if r.Envelope == nil {
		return ev, fmt.Errorf("capability: decode evidence %s: no envelope", r.ID)
	}
	env, err := sign.ParseEnvelope(r.Envelope)
	if err != nil {
		return ev, fmt.Errorf("capability: decode evidence %s: %w", r.ID, err)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return ev, fmt.Errorf("capability: decode evidence %s: payload: %w", r.ID, err)
	}
	st, err := attest.Parse(payload)
	if err != nil {
		return ev, fmt.Errorf("capability: decode evidence %s: %w", r.ID, err)
	}
	if ev.Predicate, err = decodePredicate(st); err != nil {
		return ev, fmt.Errorf("capability: decode evidence %s: %w", r.ID, err)
	}
	return ev, nil
}

func decodePredicate(st *attest.Statement) (attest.Predicate, error) {
	typ := st.PredicateType()
	switch {
	case typ == attest.PredicateSLSAProvenance:
		return decodeAs[attest.Provenance](st)
	case typ == attest.PredicateTestResult:
		return decodeAs[attest.TestResult](st)
	case typ == attest.PredicateVulns:
		return decodeAs[attest.Vulns](st)
	case typ == attest.PredicateLink:
		return decodeAs[attest.Link](st)
	case typ == attest.PredicateRelease:
		return decodeAs[attest.Release](st)
	case typ == attest.PredicateVSA:
		return decodeAs[attest.VSA](st)
	case typ == attest.PredicateApproval:
		return decodeAs[attest.Approval](st)
	case typ == attest.PredicateChange:
		return decodeAs[attest.Change](st)
	case typ == attest.PredicateDeployment:
		return decodeAs[attest.Deployment](st)
	case typ == attest.PredicateException:
		return decodeAs[attest.Exception](st)
	case typ == policy.PredicateSecretScan:
		var s policy.SecretScan
		if err := json.Unmarshal(st.PredicateJSON(), &s); err != nil {
			return nil, fmt.Errorf("secret scan: %w", err)
		}
		return s, nil
	case strings.HasPrefix(typ, sbom.PredicateCycloneDX), strings.HasPrefix(typ, sbom.PredicateSPDX):
		doc, err := sbom.Decode(bytes.NewReader(st.PredicateJSON()))
		if err != nil {
			return nil, err
		}
		s := policy.SBOM{Type: typ, Format: "CycloneDX", SpecVersion: doc.SpecVersion, Components: len(doc.Components)}
		if doc.Format == sbom.SPDXJSON {
			s.Format = "SPDX"
		}
		for _, c := range doc.Components {
			if c.PURL != "" {
				s.PURLs = append(s.PURLs, c.PURL)
			}
		}
		return s, nil
	}
	return attest.Generic{Type: typ, JSON: st.PredicateJSON()}, nil
}

// decodeAs decodes a statement's predicate as a T.
func decodeAs[T any, P interface {
	*T
	attest.Predicate
}](st *attest.Statement) (attest.Predicate, error) {
	var v T
	if err := st.Decode(P(&v)); err != nil {
		return nil, err
	}
	p, ok := any(v).(attest.Predicate)
	if !ok {
		return nil, fmt.Errorf("%T is not a predicate value", v)
	}
	return p, nil
}
