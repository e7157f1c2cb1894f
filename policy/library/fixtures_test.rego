# METADATA
# title: Fixtures for the built-in library's tests
# description: >-
#   A release-stage input that passes every built-in guardrail, the
#   settings it passes under, and helpers to vary it.
package paved.fixtures

now_ns := time.parse_rfc3339_ns("2026-11-28T12:00:00Z")

subject_digest := "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

settings := {
	"trusted_builders": {"https://builder.example/ci@v1": ["builder@example.com"]},
	"release_signers": ["release@example.com"],
}

provenance_type := "https://slsa.dev/provenance/v1"

sbom_type := "https://cyclonedx.org/bom"

vulns_type := "https://in-toto.io/attestation/vulns/v0.2"

secret_scan_type := "https://paved.dev/attestation/secret-scan/v1"

testresult_type := "https://in-toto.io/attestation/test-result/v0.1"

vsa_type := "https://slsa.dev/verification_summary/v1"

release_type := "https://in-toto.io/attestation/release/v0.1"

release(purl) := {"digest": subject_digest, "signers": ["release@example.com"], "predicate": {"purl": purl, "releaseId": "v1.2.3"}}

provenance := {
	"digest": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	"signers": ["builder@example.com"],
	"predicate": {
		"buildDefinition": {"buildType": "https://builder.example/go@v1", "externalParameters": {"ref": "refs/tags/v1.2.3"}},
		"runDetails": {"builder": {"id": "https://builder.example/ci@v1"}},
	},
}

sbom := {
	"digest": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	"signers": ["builder@example.com"],
	"predicate": {"format": "CycloneDX", "specVersion": "1.6", "components": 2, "purls": ["pkg:golang/example.com/a@v1.0.0", "pkg:golang/example.com/b@v2.0.0"], "hashed": 2},
}

# finding(id, score, seen) is a vulns result.
finding(id, score, seen) := {"id": id, "severity": [{"method": "CVSS_V3", "score": score}], "annotations": [{"firstSeen": seen}]}

vulns(results) := {
	"digest": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	"signers": ["scanner@example.com"],
	"predicate": {"scanner": {"uri": "https://scanner.example", "result": results}},
}

secret_scan(n) := {"digest": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "signers": ["builder@example.com"], "predicate": {"scanner": "gitleaks", "findings": n}}

testresult(result) := {"digest": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "signers": ["builder@example.com"], "predicate": {"result": result, "passedTests": ["TestA"], "failedTests": ["TestB"]}}

vsa(result) := {
	"digest": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	"signers": ["verifier@example.com"],
	"predicate": {
		"verifier": {"id": "https://verifier.example"},
		"resourceUri": "pkg:golang/example.com/app@v1.2.3",
		"policy": {"uri": "https://policy.example/release"},
		"verificationResult": result,
		"verifiedLevels": ["SLSA_BUILD_LEVEL_3"],
	},
}

approval(who, decision) := {"approver": who, "decision": decision, "changeId": "CHG-1", "stage": "release", "decidedAt": "2026-11-28T10:00:00Z"}

exception := {
	"id": "EX-1",
	"controls": ["DSO-BLD-05"],
	"digests": [subject_digest],
	"findings": ["CVE-2026-0002"],
	"justification": "not reachable: the vulnerable function is never called",
	"requestedBy": "alice@example.com",
	"approvedBy": "security@example.com",
	"granted": "2026-11-01T00:00:00Z",
	"expires": "2026-12-01T00:00:00Z",
}

# input_ok passes every built-in guardrail at the release stage.
input_ok := {
	"stage": "release",
	"time": "2026-11-28T12:00:00Z",
	"subject": {"name": "app", "digest": {"sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, "purl": "pkg:golang/example.com/app@v1.2.3"},
	"evidence": {
		provenance_type: [provenance],
		sbom_type: [sbom],
		vulns_type: [vulns([finding("CVE-2026-0001", "5.3", "2026-11-01T00:00:00Z")])],
		secret_scan_type: [secret_scan(0)],
		testresult_type: [testresult("PASSED")],
		vsa_type: [vsa("PASSED")],
		release_type: [release("pkg:golang/example.com/app@v1.2.3")],
	},
	"change": {"id": "CHG-1", "title": "Add caching", "author": "alice@example.com", "owner": "payments", "services": ["checkout"], "risk": "low", "createdAt": "2026-11-27T09:00:00Z"},
	"approvals": [approval("bob@example.com", "approved")],
	"signatures": [{"identity": "release@example.com"}],
	"ledger": {"released": {subject_digest: true}},
	"exceptions": [exception],
	"exceptionPolicy": {"maxDurationSeconds": 7776000},
}

# replace(obj, k, v) is obj with k set to v.
replace(obj, k, v) := object.union(object.remove(obj, [k]), {k: v})

# with_input(k, v) is input_ok with input.k set to v.
with_input(k, v) := replace(input_ok, k, v)

# with_evidence(t, items) is input_ok with the evidence of type t replaced.
with_evidence(t, items) := replace(input_ok, "evidence", replace(input_ok.evidence, t, items))

# without_evidence(t) is input_ok without evidence of type t.
without_evidence(t) := replace(input_ok, "evidence", object.remove(input_ok.evidence, [t]))

decision_type := "https://paved.dev/attestation/policy-decision/v1"

link_type := "https://in-toto.io/attestation/link/v0.3"

ledger_release_type := "https://paved.dev/attestation/release/v1"

deployment_type := "https://paved.dev/attestation/deployment/v1"

incident_type := "https://paved.dev/attestation/incident/v1"

# evidence_item(p, at) is an evidence item with predicate p recorded at at.
evidence_item(p, at) := {"digest": sprintf("sha256:%s", [crypto.sha256(json.marshal(p))]), "signers": ["builder@example.com"], "predicate": p, "time": at}

# decision(stage, result, at) is a recorded gate decision.
decision(stage, result, at) := evidence_item(
	{
		"stage": stage, "query": "deny := data.paved.build.deny", "result": result, "decidedAt": at,
		"policyDigest": subject_digest, "inputDigest": subject_digest,
		"violations": [{"control": "DSO-BLD-02", "enforcement": "mandatory", "msg": "secret found"} | result == "deny"],
	},
	at,
)

# link(stage, signer) is a pipeline step's link record, by the fixtures'
# trusted builder's ID.
link(stage, signer) := object.union(
	evidence_item({"name": "compile", "byproducts": {"builderId": "https://builder.example/ci@v1", "stage": stage, "run": "run-1"}}, "2026-11-28T11:00:00Z"),
	{"signers": [signer]},
)

# ledger_release is the ledger's release record of CHG-1's commit.
ledger_release := evidence_item({"service": "checkout", "version": "v1.2.3", "commit": "c0ffee", "releasedBy": "release@example.com", "releasedAt": "2026-11-28T11:00:00Z"}, "2026-11-28T11:00:00Z")

# deployment(id, env, version) is a recorded deployment of checkout.
deployment(id, env, version) := evidence_item({"id": id, "service": "checkout", "environment": env, "version": version, "deployer": "deploy@example.com", "kind": "normal", "outcome": "succeeded", "startedAt": "2026-11-28T11:30:00Z"}, "2026-11-28T11:30:00Z")

# incident(id, owner, cause) is a recorded incident of checkout.
incident(id, owner, cause) := evidence_item({"id": id, "service": "checkout", "environment": "prod", "severity": "sev2", "owner": owner, "causedBy": cause, "detectedAt": "2026-11-28T11:45:00Z"}, "2026-11-28T11:45:00Z")

# input_operate is input_ok at the operate stage in prod, after
# deploying CHG-1's release, with every gate's decision recorded.
input_operate := object.union(input_ok, {
	"stage": "operate",
	"environment": "prod",
	"change": object.union(input_ok.change, {"commit": "c0ffee"}),
	"evidence": object.union(input_ok.evidence, {
		decision_type: [decision(s, "allow", "2026-11-28T11:00:00Z") | some s in ["build", "test", "release"]],
		link_type: [link("operate", "builder@example.com")],
		ledger_release_type: [ledger_release],
		deployment_type: [deployment("dep-1", "prod", "v1.2.3")],
	}),
})
