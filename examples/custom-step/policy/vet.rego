# METADATA
# title: The team's own guardrails for Go code
package paved.team.vet

# METADATA
# title: go vet finds nothing
# description: No go vet report about the artifact has a finding.
# custom:
#   control: TEAM-VET-01
#   stages: [test, release]
#   evidence: ["https://example.com/attestation/go-vet/v1"]
deny contains v if {
	some item in input.evidence["https://example.com/attestation/go-vet/v1"]
	some f in item.predicate.findings
	v := {
		"control": "TEAM-VET-01",
		"msg": sprintf("%s: %s (%s)", [f.position, f.message, f.analyzer]),
	}
}
