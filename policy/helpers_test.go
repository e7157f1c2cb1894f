package policy_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	linkv0 "github.com/in-toto/attestation/go/predicates/link/v0"
	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	releasev0 "github.com/in-toto/attestation/go/predicates/release/v0"
	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"
	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	vulnsv02 "github.com/in-toto/attestation/go/predicates/vulns/v02"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// when is the fixed evaluation time of the tests.
var when = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return when }

// settings are the built-in library's settings the tests use.
func settings() map[string]any {
	return map[string]any{"guardrails": map[string]any{
		"trusted_builders": map[string]any{"https://ci.example.com/runner": []any{"builder@example.com"}},
		"release_signers":  []any{"release@example.com"},
		"teams":            map[string]any{"payments": []any{"bob@example.com", "carol@example.com"}},
	}}
}

// newEngine builds an engine over the built-in library with the test
// clock and settings.
func newEngine(t testing.TB, opts ...policy.Option) *policy.Engine {
	t.Helper()
	e, err := policy.New(context.Background(), policy.Builtin(),
		append([]policy.Option{policy.WithClock(clock), policy.WithData(settings())}, opts...)...)
	require.NoError(t, err)
	return e
}

// digest returns a sha256 digest string of s.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

var subject = supplychain.Subject{
	Name:   "bin/app",
	Digest: supplychain.DigestSet{"sha256": strings.Repeat("ab", 32)},
	PURL:   "pkg:golang/example.com/app@v1.2.3",
}

func evidence(p attest.Predicate, signer string) policy.Evidence {
	return policy.Evidence{Predicate: p, Digest: digest(fmt.Sprintf("%s %p", p.PredicateType(), &p)), Signers: []string{signer}}
}

func finding(id, score string, seen time.Time) *vulnsv02.Result {
	return &vulnsv02.Result{
		Id:          id,
		Severity:    []*vulnsv02.Result_Severity{{Method: "CVSS_V3", Score: score}},
		Annotations: []*structpb.Struct{{Fields: map[string]*structpb.Value{"firstSeen": structpb.NewStringValue(seen.Format(time.RFC3339))}}},
	}
}

// releaseRequest returns a release-stage request that passes every
// built-in guardrail: an SBOM of the subject with the given number of
// hashed dependency components, and attestations evidence items in all
// (at least 7).
func releaseRequest(components, attestations int) policy.Request {
	purls := make([]string, components)
	for i := range purls {
		purls[i] = fmt.Sprintf("pkg:golang/example.com/dep%04d@v1.%d.%d", i, i%7, i%13)
	}
	prov := attest.NewProvenance(&slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{
			BuildType:          "https://paved.dev/build/go/v1",
			ExternalParameters: &structpb.Struct{Fields: map[string]*structpb.Value{"ref": structpb.NewStringValue("refs/tags/v1.2.3")}},
		},
		RunDetails: &slsa.RunDetails{Builder: &slsa.Builder{Id: "https://ci.example.com/runner"}},
	})
	var results []*vulnsv02.Result
	for i := range 10 {
		results = append(results, finding(fmt.Sprintf("CVE-2026-%04d", i), "4.3", when.AddDate(0, 0, -10)))
	}
	evs := []policy.Evidence{
		evidence(prov, "builder@example.com"),
		evidence(policy.SBOM{Type: policy.PredicateCycloneDX, Format: "CycloneDX", SpecVersion: "1.6", Components: components + 1,
			PURLs: append(purls, subject.PURL), Root: subject.PURL, Hashed: components}, "builder@example.com"),
		evidence(attest.NewVulns(&vulnsv02.Vulns{Scanner: &vulnsv02.Scanner{Uri: "pkg:golang/golang.org/x/vuln", Result: results}}), "scanner@example.com"),
		evidence(policy.SecretScan{Scanner: "gitleaks", Findings: 0}, "builder@example.com"),
		evidence(attest.NewTestResult(&testresult.TestResult{Result: "PASSED", PassedTests: []string{"TestA", "TestB"}}), "builder@example.com"),
		evidence(attest.NewVSA(&vsav1.VerificationSummary{
			Verifier:           &vsav1.VerificationSummary_Verifier{Id: "https://verifier.example.com"},
			TimeVerified:       timestamppb.New(when.Add(-time.Hour)),
			ResourceUri:        subject.PURL,
			Policy:             &vsav1.VerificationSummary_Policy{Uri: "https://example.com/policy/release"},
			VerificationResult: "PASSED",
			VerifiedLevels:     []string{"SLSA_BUILD_LEVEL_3"},
		}), "verifier@example.com"),
		evidence(attest.NewRelease(&releasev0.Release{Purl: subject.PURL, ReleaseId: new("v1.2.3")}), "release@example.com"),
		evidence(stepLink(policy.StageBuild), "builder@example.com"),
		evidence(stepLink(policy.StageRelease), "builder@example.com"),
		evidence(gateDecision(policy.StageBuild), "builder@example.com"),
		evidence(gateDecision(policy.StageTest), "builder@example.com"),
		evidence(attest.Generic{Type: "https://paved.dev/attestation/release/v1",
			JSON: []byte(`{"service":"checkout","version":"v1.2.3","commit":"` + commit + `"}`)}, "release@example.com"),
	}
	for i := len(evs); i < attestations; i++ {
		evs = append(evs, evidence(attest.NewTestResult(&testresult.TestResult{
			Result:      "PASSED",
			PassedTests: []string{fmt.Sprintf("TestSuite%d/A", i), fmt.Sprintf("TestSuite%d/B", i)},
		}), "builder@example.com"))
	}
	return policy.Request{
		Stage:       policy.StageRelease,
		Environment: "production",
		Subject:     subject,
		Evidence:    evs,
		Change: &attest.Change{ID: "CHG-1", Title: "Add caching", Author: "alice@example.com", Owner: "payments",
			Commit: commit, Services: []string{"checkout"}, Risk: "high", CreatedAt: when.Add(-48 * time.Hour)},
		Approvals: []attest.Approval{
			{Approver: "bob@example.com", Decision: "approved", ChangeID: "CHG-1", Stage: "release", DecidedAt: when.Add(-time.Hour)},
			{Approver: "carol@example.com", Decision: "approved", ChangeID: "CHG-1", Stage: "release", DecidedAt: when.Add(-time.Hour)},
		},
		Signatures: []policy.Signature{{Identity: "release@example.com", KeyID: "release-2026"}},
		Released:   []string{"sha256:" + strings.Repeat("ab", 32), digest("other release")},
	}
}

// commit is the commit of releaseRequest's change.
var commit = strings.Repeat("c0", 20)

// stepLink is the link record a step of a paved-road pipeline on the
// trusted builder leaves at stage.
func stepLink(stage string) attest.Link {
	byproducts, _ := structpb.NewStruct(map[string]any{"builderId": "https://ci.example.com/runner", "stage": stage, "run": "run-1", "pipeline": "go-service"})
	return attest.NewLink(&linkv0.Link{Name: "step", Byproducts: byproducts})
}

// gateDecision is the allowing decision a gate at stage recorded.
func gateDecision(stage string) attest.PolicyDecision {
	return attest.PolicyDecision{Stage: stage, Query: "deny := data.paved." + stage + ".deny", PolicyDigest: digest("policy"),
		InputDigest: digest("input " + stage), Result: "allow", DecidedAt: when.Add(-2 * time.Hour)}
}

// statuses maps control IDs to their statuses.
func statuses(d *policy.Decision) map[string]policy.Status {
	out := map[string]policy.Status{}
	for _, c := range d.Controls {
		out[c.Control] = c.Status
	}
	return out
}
