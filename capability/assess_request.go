package capability

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/sign"
)

// gatheredSubject is a subject with the evidence recorded about it.
type gatheredSubject struct {
	subject  supplychain.Subject
	records  []evidence.Record
	deployer string
	SubjectEvidence
}

// gather reads every record about subj (by each of its digests) in the
// scope's time range, with what a gate of the pipeline runs about it saw
// beside them: the runs' step records, the change the artifact was
// released from and its approvals, and who deployed it to the scope's
// environment. It decodes them for the policy input.
func gather(ctx context.Context, store *evidence.Store, subj supplychain.Subject, scope AssessmentScope) (gatheredSubject, error) {
	g := gatheredSubject{subject: subj}
	recs, err := RecordsAbout(ctx, store, subj, scope.Since, scope.Until)
	if err != nil {
		return g, err
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.ID] = true
	}
	// The records found beside those about subj are bounded by the
	// scope's time range too.
	add := func(more []evidence.Record) {
		for _, r := range more {
			inRange := (scope.Since.IsZero() || !r.RecordedAt.Before(scope.Since)) && (scope.Until.IsZero() || r.RecordedAt.Before(scope.Until))
			if inRange && !seen[r.ID] {
				seen[r.ID] = true
				recs = append(recs, r)
			}
		}
	}
	steps, err := runSteps(ctx, store, recs)
	if err != nil {
		return g, err
	}
	add(steps)
	change, err := lastChange(recs)
	if err != nil {
		return g, err
	}
	if change == nil {
		rec, c, err := ReleaseChange(ctx, store, recs)
		if err != nil {
			return g, err
		}
		if c != nil {
			add([]evidence.Record{rec})
			change = c
		}
	}
	if change != nil {
		approvals, err := ChangeApprovals(ctx, store, change.ID)
		if err != nil {
			return g, err
		}
		add(approvals)
	}
	g.records = recs
	if g.SubjectEvidence, err = DecodeSubjectEvidence(subj, recs); err != nil {
		return g, err
	}
	g.deployer = deployer(g.Evidence, scope.Environment)
	return g, nil
}

// lastChange decodes the last change record among recs, as
// DecodeSubjectEvidence would; nil when there is none.
func lastChange(recs []evidence.Record) (*attest.Change, error) {
	var change *attest.Change
	for _, r := range recs {
		if r.PredicateType != attest.PredicateChange || r.Envelope == nil {
			continue
		}
		ev, err := DecodeEvidence(r)
		if err != nil {
			return nil, err
		}
		if c, ok := ev.Predicate.(attest.Change); ok {
			change = &c
		}
	}
	return change, nil
}

// runSteps returns the step records of the pipeline runs among recs: a
// run's summary is about its artifact, its steps' records need not be
// (a change record is about the commit), yet its gates judged them.
func runSteps(ctx context.Context, store *evidence.Store, recs []evidence.Record) ([]evidence.Record, error) {
	var out []evidence.Record
	for _, r := range recs {
		if r.PredicateType != attest.PredicatePipelineRun || r.Envelope == nil {
			continue
		}
		ev, err := DecodeEvidence(r)
		if err != nil {
			return nil, err
		}
		g, ok := ev.Predicate.(attest.Generic)
		var run attest.PipelineRun
		if !ok || json.Unmarshal(g.JSON, &run) != nil {
			continue
		}
		for _, st := range run.Steps {
			if st.Record == "" {
				continue
			}
			rec, err := store.Get(ctx, st.Record)
			if err != nil {
				return nil, fmt.Errorf("step %s of run %s: %w", st.Name, run.ID, err)
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

// ReleaseChange finds the change an artifact was released from: the
// latest change record of the commit that a ledger release record among
// recs (the records about the artifact) names. A change record is about
// its commit, not the artifact, so a gate of a run that did not record
// the change itself (a promotion, an incident) and an assessment find it
// this way. It returns a nil change when there is none.
func ReleaseChange(ctx context.Context, store *evidence.Store, recs []evidence.Record) (evidence.Record, *attest.Change, error) {
	commits := map[string]bool{}
	for _, r := range recs {
		if r.PredicateType != ledger.PredicateRelease || r.Envelope == nil {
			continue
		}
		ev, err := DecodeEvidence(r)
		if err != nil {
			return evidence.Record{}, nil, err
		}
		var rel struct {
			Commit string `json:"commit"`
		}
		if g, ok := ev.Predicate.(attest.Generic); ok && json.Unmarshal(g.JSON, &rel) == nil && rel.Commit != "" {
			commits[rel.Commit] = true
		}
	}
	return latestChange(ctx, store, commits)
}

// CommitChange returns the latest change record of commit, or a nil
// change when there is none.
func CommitChange(ctx context.Context, store *evidence.Store, commit string) (evidence.Record, *attest.Change, error) {
	if commit == "" {
		return evidence.Record{}, nil, nil
	}
	return latestChange(ctx, store, map[string]bool{commit: true})
}

// latestChange returns the latest change record of one of commits.
func latestChange(ctx context.Context, store *evidence.Store, commits map[string]bool) (evidence.Record, *attest.Change, error) {
	if len(commits) == 0 {
		return evidence.Record{}, nil, nil
	}
	var found evidence.Record
	var change *attest.Change
	q := evidence.Query{PredicateType: attest.PredicateChange, WithEnvelopes: true, Limit: evidence.MaxQueryLimit}
	for r, err := range store.QueryAll(ctx, q) {
		if err != nil {
			return evidence.Record{}, nil, err
		}
		if r.Envelope == nil {
			continue
		}
		ev, err := DecodeEvidence(r)
		if c, ok := ev.Predicate.(attest.Change); err == nil && ok && commits[c.Commit] {
			found, change = r, &c
		}
	}
	return found, change, nil
}

// ChangeApprovals returns the approval records of the change with ID id.
// Approvals are about the change, not the artifact.
func ChangeApprovals(ctx context.Context, store *evidence.Store, id string) ([]evidence.Record, error) {
	var out []evidence.Record
	q := evidence.Query{PredicateType: attest.PredicateApproval, WithEnvelopes: true, Limit: evidence.MaxQueryLimit}
	for r, err := range store.QueryAll(ctx, q) {
		if err != nil {
			return nil, err
		}
		if r.Envelope == nil {
			continue
		}
		ev, err := DecodeEvidence(r)
		if a, ok := ev.Predicate.(attest.Approval); err == nil && ok && a.ChangeID == id {
			out = append(out, r)
		}
	}
	return out, nil
}

// deployer is who last deployed the artifact to env, from the deployment
// records among its evidence; empty without env or a deployment there.
func deployer(evs []policy.Evidence, env string) string {
	var who string
	var at time.Time
	for _, ev := range evs {
		if d, ok := ev.Predicate.(attest.Deployment); ok && env != "" && d.Environment == env && !d.FinishedAt.Before(at) {
			who, at = d.Deployer, d.FinishedAt
		}
	}
	return who
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
	return policy.Request{Stage: stage, Environment: scope.Environment, Deployer: g.deployer, Subject: g.subject, Evidence: g.Evidence,
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
			switch {
			case c.Ref == doc.Root:
				s.Root = cmp.Or(c.PURL, c.Name)
			case len(c.Hashes) > 0:
				s.Hashed++
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
