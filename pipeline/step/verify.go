package step

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// VerifierID identifies paved's pipeline verifier in the VSAs it issues.
const VerifierID = "https://paved.dev/verifier/pipeline/v1"

// Verify verifies, offline, the evidence about the run's subject against a
// trust policy (each envelope's signatures, its signer's right to sign
// that predicate type at that stage) and records the outcome as a SLSA
// verification summary (VSA): PASSED when every record verifies and the
// required predicate types are present, FAILED otherwise. A FAILED
// verification fails the step; the VSA is recorded either way.
type Verify struct {
	// StepName names the step; the default is "verify".
	StepName string
	// Trust is the policy the evidence is verified against: often
	// stricter than the store's own (only the build platform may sign
	// provenance).
	Trust *sign.Trust
	// PolicyURI names the trust policy in the VSA; the default is
	// "paved:trust-policy".
	PolicyURI string
	// Require lists predicate types of which at least one verified
	// record must exist; the default is SLSA provenance.
	Require []string
}

// Name returns the step's name.
func (s Verify) Name() string { return cmp.Or(s.StepName, "verify") }

// Run verifies the subject's evidence and records the VSA.
func (s Verify) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	if s.Trust == nil {
		return nil, errors.New("no trust policy to verify against")
	}
	subj, ok := sc.Subject()
	if !ok || subj.Digest["sha256"] == "" {
		return nil, errors.New("no artifact to verify: no earlier step declared a product")
	}
	require := s.Require
	if require == nil {
		require = []string{attest.PredicateSLSAProvenance}
	}
	now := sc.Now()
	q := evidence.Query{SubjectDigest: "sha256:" + subj.Digest["sha256"], WithEnvelopes: true, Limit: evidence.MaxQueryLimit}
	var (
		problems []string
		inputs   []*vsav1.VerificationSummary_InputAttestation
		verified = map[string]bool{}
	)
	for rec, err := range sc.Store.Query(ctx, q) {
		if err != nil {
			return nil, err
		}
		if rec.Envelope == nil || rec.PredicateType == attest.PredicateVSA || rec.PredicateType == attest.PredicatePolicyDecision {
			continue // pruned, or an earlier verdict: not input
		}
		env, err := sign.ParseEnvelope(rec.Envelope)
		if err == nil {
			opts := []sign.VerifyOption{sign.AtTime(now), sign.ForArtifact(subj.Digest)}
			if rec.Stage != "" {
				opts = append(opts, sign.AtStage(rec.Stage))
			}
			_, err = sign.Verify(ctx, env, s.Trust, opts...)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("record %d (%s): %v", rec.Index, rec.PredicateType, err))
			continue
		}
		verified[rec.PredicateType] = true
		sum := sha256.Sum256(rec.Envelope)
		inputs = append(inputs, &vsav1.VerificationSummary_InputAttestation{Uri: "paved-evidence:" + rec.ID,
			Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}})
	}
	for _, t := range require {
		if !verified[t] {
			problems = append(problems, "no verified "+t)
		}
	}
	result := "PASSED"
	if len(problems) > 0 {
		result = "FAILED"
	}
	levels := []string{"SLSA_BUILD_LEVEL_0"}
	if verified[attest.PredicateSLSAProvenance] && result == "PASSED" {
		levels = []string{"SLSA_BUILD_LEVEL_2"} // hosted build platform, signed provenance
	}
	vsa := &vsav1.VerificationSummary{
		Verifier:           &vsav1.VerificationSummary_Verifier{Id: VerifierID},
		TimeVerified:       timestamppb.New(now),
		ResourceUri:        cmp.Or(subj.PURL, subj.URI, subj.Name),
		Policy:             &vsav1.VerificationSummary_Policy{Uri: cmp.Or(s.PolicyURI, "paved:trust-policy")},
		InputAttestations:  inputs,
		VerificationResult: result,
		VerifiedLevels:     levels,
	}
	slices.SortFunc(vsa.InputAttestations, func(a, b *vsav1.VerificationSummary_InputAttestation) int { return strings.Compare(a.Uri, b.Uri) })
	res := &pipeline.Result{Evidence: []pipeline.Evidence{{Predicate: attest.NewVSA(vsa)}},
		Message: fmt.Sprintf("%s: %d records verified", result, len(inputs))}
	if len(problems) > 0 {
		res.Failed = true
		res.Message += "; " + strings.Join(problems, "; ")
	}
	return res, nil
}

func verifyKinds(env Env, k pipeline.Kinds) {
	k["verify"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("policy-uri", "require"); err != nil {
			return nil, err
		}
		if env.Trust == nil {
			return nil, errors.New("the verify kind needs a trust policy (step.Env.Trust)")
		}
		return Verify{StepName: name, Trust: env.Trust, PolicyURI: p.Get("policy-uri", ""), Require: p.List("require")}, nil
	}
}
