package policy_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	releasev0 "github.com/in-toto/attestation/go/predicates/release/v0"
	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"
	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	vulnsv02 "github.com/in-toto/attestation/go/predicates/vulns/v02"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// The built-in guardrails decide a release: the engine is built once and
// evaluates the evidence gathered for the artifact.
func ExampleEngine_Evaluate() {
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	engine, err := policy.New(ctx, policy.Builtin(),
		policy.WithClock(func() time.Time { return now }),
		policy.WithData(map[string]any{"guardrails": map[string]any{
			"trusted_builders": map[string]any{"https://ci.example.com/runner": []any{"builder@example.com"}},
		}}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	app := supplychain.Subject{Name: "bin/app", Digest: supplychain.DigestSet{"sha256": strings.Repeat("ab", 32)}, PURL: "pkg:golang/example.com/app@v1.2.3"}
	ev := func(p attest.Predicate, n int, signer string) policy.Evidence {
		return policy.Evidence{Predicate: p, Digest: fmt.Sprintf("sha256:%064x", n), Signers: []string{signer}}
	}
	req := policy.Request{
		Stage:   policy.StageRelease,
		Subject: app,
		Evidence: []policy.Evidence{
			ev(attest.NewProvenance(&slsa.Provenance{
				BuildDefinition: &slsa.BuildDefinition{BuildType: "https://paved.dev/build/go/v1", ExternalParameters: &structpb.Struct{}},
				RunDetails:      &slsa.RunDetails{Builder: &slsa.Builder{Id: "https://ci.example.com/runner"}},
			}), 1, "builder@example.com"),
			ev(policy.SBOM{Type: policy.PredicateCycloneDX, Format: "CycloneDX", SpecVersion: "1.6", Components: 1,
				PURLs: []string{"pkg:golang/golang.org/x/text@v0.21.0"}}, 2, "builder@example.com"),
			ev(attest.NewVulns(&vulnsv02.Vulns{Scanner: &vulnsv02.Scanner{Uri: "pkg:golang/golang.org/x/vuln"}}), 3, "builder@example.com"),
			ev(policy.SecretScan{Scanner: "gitleaks"}, 4, "builder@example.com"),
			ev(attest.NewTestResult(&testresult.TestResult{Result: "PASSED"}), 5, "builder@example.com"),
			ev(attest.NewVSA(&vsav1.VerificationSummary{
				Verifier: &vsav1.VerificationSummary_Verifier{Id: "https://verifier.example.com"}, TimeVerified: timestamppb.New(now),
				ResourceUri: app.PURL, Policy: &vsav1.VerificationSummary_Policy{Uri: "https://example.com/policy"},
				VerificationResult: "PASSED", VerifiedLevels: []string{"SLSA_BUILD_LEVEL_3"},
			}), 6, "verifier@example.com"),
			ev(attest.NewRelease(&releasev0.Release{Purl: app.PURL}), 7, "release@example.com"),
		},
		Change: &attest.Change{ID: "CHG-7", Title: "Faster checkout", Author: "alice@example.com", Owner: "payments", Services: []string{"checkout"}, Risk: "high", CreatedAt: now.Add(-24 * time.Hour)},
		Approvals: []attest.Approval{
			{Approver: "alice@example.com", Decision: "approved", ChangeID: "CHG-7", DecidedAt: now},
			{Approver: "bob@example.com", Decision: "approved", ChangeID: "CHG-7", DecidedAt: now},
		},
		Signatures: []policy.Signature{{Identity: "release@example.com"}},
		Released:   []string{"sha256:" + strings.Repeat("ab", 32)},
	}

	d, err := engine.Evaluate(ctx, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("outcome:", d.Outcome)
	for _, c := range d.Controls {
		if c.Status == policy.StatusPass || c.Status == policy.StatusNotApplicable {
			continue
		}
		line := fmt.Sprint(c.Control, " ", c.Status)
		if c.Message != "" {
			line += ": " + c.Message
		}
		fmt.Println(line)
		for _, v := range c.Violations {
			fmt.Println("  ", v.Rule+":", v.Msg)
		}
	}
	// Output:
	// outcome: blocked
	// DSO-CMP-02 error: missing evidence: none of https://paved.dev/attestation/policy-decision/v1
	//    deny: no recorded build gate decision about bin/app
	//    deny: no recorded test gate decision about bin/app
	// DSO-PLT-01 warn
	//    warn: no link record of a Build step about bin/app names the pipeline that built it
	// DSO-PLT-02 error: missing evidence: none of https://in-toto.io/attestation/link/v0.3
	//    deny: no step of the release stage left a link record about bin/app
	// DSO-REL-01 fail
	//    deny: high-risk change CHG-7 has 1 approvals by someone other than its author alice@example.com; 2 required
	//    warn: alice@example.com approved their own change CHG-7; the approval does not count
	// DSO-REL-04 error: missing evidence: none of https://paved.dev/attestation/policy-decision/v1
	//    deny: no recorded build gate decision shows that bin/app passed it
	//    deny: no recorded test gate decision shows that bin/app passed it
	// DSO-XCT-01 fail
	//    deny: alice@example.com approved their own change CHG-7
	//    deny: data.guardrails.teams has no members for "payments", the owner of change CHG-7: add the team's roster (team -> identities) to the guardrail settings
	// DSO-XCT-05 fail
	//    deny: change CHG-7 records no commit
}

// A decision becomes evidence: an in-toto statement with paved's
// policy-decision predicate, ready to sign and append to the store.
func ExampleDecision_Statement() {
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	engine, err := policy.New(ctx, policy.Builtin(), policy.WithClock(func() time.Time { return now }))
	if err != nil {
		fmt.Println(err)
		return
	}
	// A plan gate with no team roster (data.guardrails.teams) and no link
	// records of the plan's steps blocks, and its decision says so.
	d, err := engine.Evaluate(ctx, policy.Request{
		Stage:   policy.StagePlan,
		Subject: supplychain.Subject{Name: "bin/app", Digest: supplychain.DigestSet{"sha256": strings.Repeat("ab", 32)}},
		Change: &attest.Change{ID: "CHG-8", Title: "Retry payments", Author: "alice@example.com", Owner: "payments",
			Services: []string{"checkout"}, Risk: "medium", CreatedAt: now},
		Approvals: []attest.Approval{{Approver: "bob@example.com", Decision: "approved", ChangeID: "CHG-8", Stage: "plan", DecidedAt: now}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := d.Statement()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.PredicateType())
	fmt.Println(d.Result(), d.Outcome)
	// Output:
	// https://paved.dev/attestation/policy-decision/v1
	// deny blocked
}
