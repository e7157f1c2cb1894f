package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/sign"
)

// gate evaluates a stage's policy over the subject's evidence, records the
// decision, and returns an error wrapping ErrBlocked if it blocks.
func (x *execution) gate(ctx context.Context, stage Stage) error {
	engine := x.runner.cfg.engine
	if engine == nil {
		return nil
	}
	subj, ok := x.subject()
	if !ok {
		return fmt.Errorf("%w: %s: the run has no subject to decide on (give ForSubject, or a step that declares a product)", ErrGate, stage)
	}
	req, err := x.request(ctx, stage, subj)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrGate, stage, err)
	}
	d, err := engine.Evaluate(ctx, req)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrGate, stage, err)
	}
	rec, err := x.append(ctx, stage, map[string]string{"paved.gate": string(stage)}, d.Predicate(), []supplychain.Subject{subj})
	if err != nil {
		return fmt.Errorf("%w: %s: recording the decision: %w", ErrGate, stage, err)
	}
	x.mu.Lock()
	x.run.Gates = append(x.run.Gates, GateRun{Stage: stage, Decision: d, Record: rec})
	x.mu.Unlock()
	x.logger.InfoContext(ctx, "pipeline: gate decided", "stage", stage, "outcome", d.Outcome, "decision", d.ID)
	if d.Blocked() {
		var failed []string
		for _, c := range d.Controls {
			if c.Status == policy.StatusFail || c.Status == policy.StatusError {
				failed = append(failed, c.Control)
			}
		}
		return fmt.Errorf("%w: %s gate: %s", ErrBlocked, stage, strings.Join(failed, ", "))
	}
	return nil
}

// request assembles the gate's request: every record about the subject in
// the store, and every record of this run.
func (x *execution) request(ctx context.Context, stage Stage, subj supplychain.Subject) (policy.Request, error) {
	req := policy.Request{Stage: string(stage), Environment: x.rc.environment, Deployer: x.rc.deployer, Subject: subj,
		Exceptions: x.runner.cfg.exceptions, Bypass: x.rc.bypass}
	if f := x.runner.cfg.released; f != nil {
		released, err := f(ctx)
		if err != nil {
			return req, fmt.Errorf("released digests: %w", err)
		}
		req.Released = released
	}
	seen := map[string]bool{}
	var recs []evidence.Record
	for alg, hex := range subj.Digest {
		if alg != "sha256" && alg != "sha512" {
			continue
		}
		q := evidence.Query{SubjectDigest: alg + ":" + hex, WithEnvelopes: true, Limit: evidence.MaxQueryLimit}
		for {
			n := 0
			for r, err := range x.runner.store.Query(ctx, q) {
				if err != nil {
					return req, err
				}
				n++
				q.After = r.Cursor()
				if !seen[r.ID] {
					seen[r.ID] = true
					recs = append(recs, r)
				}
			}
			if n < q.Limit {
				break
			}
		}
	}
	x.mu.Lock()
	produced := append([]evidence.Record(nil), x.produced...)
	x.mu.Unlock()
	for _, p := range produced {
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		r, err := x.runner.store.Get(ctx, p.ID)
		if err != nil {
			return req, err
		}
		recs = append(recs, r)
	}
	// Approvals of the run's change are about the change, not the
	// artifact: find them by the change's ID.
	if change := x.change(); change != nil {
		q := evidence.Query{PredicateType: attest.PredicateApproval, WithEnvelopes: true, Limit: evidence.MaxQueryLimit}
		for {
			n := 0
			for r, err := range x.runner.store.Query(ctx, q) {
				if err != nil {
					return req, err
				}
				n++
				q.After = r.Cursor()
				if seen[r.ID] || r.Envelope == nil {
					continue
				}
				p, err := decodeRecord(r)
				if a, ok := p.(attest.Approval); err == nil && ok && a.ChangeID == change.ID {
					seen[r.ID] = true
					recs = append(recs, r)
				}
			}
			if n < q.Limit {
				break
			}
		}
	}
	for _, r := range recs {
		if r.Envelope == nil {
			continue // pruned
		}
		pred, err := decodeRecord(r)
		if err != nil {
			return req, fmt.Errorf("record %d: %w", r.Index, err)
		}
		switch p := pred.(type) {
		case attest.Change:
			req.Change = &p
		case attest.Approval:
			req.Approvals = append(req.Approvals, p)
		}
		ev := policy.Evidence{Predicate: pred, Digest: r.ID}
		for _, s := range r.Signers {
			ev.Signers = append(ev.Signers, identity(s))
		}
		// A release statement about the artifact is its signature: the
		// record verified against the store's trust policy.
		if r.PredicateType == attest.PredicateRelease && about(r, subj) {
			for _, s := range r.Signers {
				req.Signatures = append(req.Signatures, policy.Signature{Identity: identity(s), KeyID: s.KeyID})
			}
		}
		req.Evidence = append(req.Evidence, ev)
	}
	return req, nil
}

// about reports whether a record's subjects include the subject, by a
// shared digest.
func about(r evidence.Record, subj supplychain.Subject) bool {
	for _, s := range r.Subjects {
		if s.Digest.Matches(subj.Digest) {
			return true
		}
	}
	return false
}

// identity names a verified signer for policy: its name, else its key ID.
func identity(s sign.Identity) string {
	if s.Name != "" {
		return s.Name
	}
	return s.KeyID
}

// decodeRecord decodes a record's statement into the predicate type the
// policy input reads: attest's typed predicates, an SBOM summary, a secret
// scan, or attest.Generic for anything else.
func decodeRecord(r evidence.Record) (attest.Predicate, error) {
	env, err := sign.ParseEnvelope(r.Envelope)
	if err != nil {
		return nil, err
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, err
	}
	st, err := attest.Parse(payload)
	if err != nil {
		return nil, err
	}
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
