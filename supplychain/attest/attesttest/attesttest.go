package attesttest

import (
	"encoding/json"
	"strings"
	"time"

	linkv0 "github.com/in-toto/attestation/go/predicates/link/v0"
	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	releasev0 "github.com/in-toto/attestation/go/predicates/release/v0"
	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"
	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	vulnsv02 "github.com/in-toto/attestation/go/predicates/vulns/v02"
	ita "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// When is the fixed time the samples use.
var When = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// Subject returns a sample artifact with a sha256 digest and a purl.
func Subject() supplychain.Subject {
	return supplychain.Subject{
		Name:   "bin/app",
		Digest: supplychain.DigestSet{"sha256": strings.Repeat("ab", 32)},
		PURL:   "pkg:golang/example.com/app@v1.2.3",
	}
}

// Samples returns one valid predicate of every type the attest package
// builds: the standard ones, paved's own, and a generic one. Each call
// returns fresh values.
func Samples() []attest.Predicate {
	resolved := &ita.ResourceDescriptor{Uri: "git+https://example.com/app", Digest: map[string]string{"gitCommit": strings.Repeat("1", 40)}}
	return []attest.Predicate{
		attest.NewProvenance(&slsa.Provenance{
			BuildDefinition: &slsa.BuildDefinition{
				BuildType:            "https://paved.dev/build/go/v1",
				ExternalParameters:   &structpb.Struct{Fields: map[string]*structpb.Value{"ref": structpb.NewStringValue("refs/heads/main")}},
				ResolvedDependencies: []*ita.ResourceDescriptor{resolved},
			},
			RunDetails: &slsa.RunDetails{Builder: &slsa.Builder{Id: "https://ci.example.com/runner"}},
		}),
		attest.NewTestResult(&testresult.TestResult{Result: "PASSED", PassedTests: []string{"TestA"}}),
		attest.NewVulns(&vulnsv02.Vulns{Scanner: &vulnsv02.Scanner{Uri: "pkg:golang/golang.org/x/vuln", Result: []*vulnsv02.Result{{Id: "GO-2024-0001"}}}}),
		attest.NewLink(&linkv0.Link{Name: "build", Command: []string{"go", "build"}, Materials: []*ita.ResourceDescriptor{resolved}}),
		attest.NewRelease(&releasev0.Release{Purl: "pkg:golang/example.com/app@v1.2.3", ReleaseId: new("v1.2.3")}),
		attest.NewVSA(&vsav1.VerificationSummary{
			Verifier:           &vsav1.VerificationSummary_Verifier{Id: "https://paved.dev/verifier"},
			TimeVerified:       timestamppb.New(When),
			ResourceUri:        "pkg:golang/example.com/app@v1.2.3",
			Policy:             &vsav1.VerificationSummary_Policy{Uri: "https://example.com/policy"},
			VerificationResult: "PASSED",
			VerifiedLevels:     []string{"SLSA_BUILD_LEVEL_2"},
		}),
		attest.Approval{Approver: "rm@example.com", Decision: "approved", ChangeID: "PR-42", Stage: "release", DecidedAt: When},
		attest.Change{ID: "PR-42", Title: "Add cache", Author: "dev@example.com", Owner: "payments", Risk: "medium", Services: []string{"api"}, CreatedAt: When},
		attest.PolicyDecision{Stage: "build", Query: "data.paved.build", PolicyDigest: "sha256:" + strings.Repeat("0a", 32), InputDigest: "sha256:" + strings.Repeat("0a", 32), Result: "warn",
			Violations: []attest.Violation{{Control: "DSO-BLD-03", Message: "unpinned", Enforcement: "advisory"}}, DecidedAt: When},
		attest.Exception{ID: "EX-1", Control: "DSO-BLD-05", Scope: attest.ExceptionScope{Services: []string{"api"}}, Reason: "upstream fix pending",
			RequestedBy: "dev@example.com", ApprovedBy: "sec@example.com", Granted: When, Expires: When.Add(72 * time.Hour)},
		attest.Deployment{ID: "D-7", Service: "api", Environment: "prod", Version: "v1.2.3", Deployer: "bot@example.com", Kind: "normal",
			Outcome: "succeeded", StartedAt: When, FinishedAt: When.Add(time.Minute)},
		attest.Incident{ID: "INC-9", Service: "api", Environment: "prod", Severity: "sev2", Owner: "sre", CausedBy: "D-7", DetectedAt: When},
		attest.Prune{Origin: "evidence.example.com/log", Rules: []attest.RetentionRule{{PredicateType: attest.PredicateTestResult, MaxAge: "2160h"}},
			Holds: []attest.LegalHold{{Label: "legal-hold", Reason: "case 7"}}, PrunedAt: When},
		attest.PipelineRun{ID: "run-1", Pipeline: "go-service", Service: "api", Outcome: "succeeded", BuilderID: "https://paved.dev/builders/local/v1",
			StartedAt: When, FinishedAt: When.Add(3 * time.Minute),
			Steps: []attest.RunStep{{Stage: "build", Name: "compile", Outcome: "succeeded", DurationMs: 41000, Record: "sha256:" + strings.Repeat("ab", 32)},
				{Stage: "release", Name: "approve", Outcome: "succeeded", Manual: true, DurationMs: 600000}},
			Gates: []attest.RunGate{{Stage: "build", Decision: "dec-1", Outcome: "allowed"}}},
		attest.IaCPlan{Kind: "plan", FormatVersion: "1.2", ToolVersion: "1.9.8", Changes: []attest.IaCChange{{
			Address: "module.db.aws_db_instance.main", Mode: "managed", Type: "aws_db_instance", Name: "main",
			Provider: "registry.terraform.io/hashicorp/aws",
			Module:   &attest.IaCModule{Address: "module.db", Source: "terraform-aws-modules/rds/aws", Version: "6.10.0"},
			Action:   "replace", Actions: []string{"create", "delete"},
			Before:    map[string]any{"engine": "postgres", "password": "(sensitive value)"},
			After:     map[string]any{"engine": "postgres", "password": "(sensitive value)", "arn": "(known after apply)"},
			Sensitive: []string{"$.password"}, Unknown: []string{"$.arn"},
		}}},
		attest.Generic{Type: "https://example.com/custom/v1", JSON: json.RawMessage(`{"score":7,"tags":["a"]}`)},
	}
}
