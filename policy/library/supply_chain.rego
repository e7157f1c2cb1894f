# METADATA
# title: Supply-chain guardrails
package paved.supply_chain

import data.paved.lib

# METADATA
# title: Release artifacts are signed in the pipeline
# description: >-
#   The artifact carries a verified signature, by one of
#   data.guardrails.release_signers when that list is set.
# custom:
#   control: DSO-SUP-01
#   stages: [release]
deny contains v if {
	count(input.signatures) == 0
	v := {"control": "DSO-SUP-01", "msg": sprintf("%s has no verified signature", [input.subject.name])}
}

# METADATA
# custom:
#   control: DSO-SUP-01
deny contains v if {
	count(input.signatures) > 0
	count(release_signers) > 0
	not signed_by_release_signer
	v := {
		"control": "DSO-SUP-01",
		"msg": sprintf("%s is signed by %v, none of them a release signer", [input.subject.name, {s.identity | some s in input.signatures}]),
	}
}

release_signers := {s | some s in lib.setting("release_signers", [])}

signed_by_release_signer if {
	some s in input.signatures
	release_signers[s.identity]
}

# METADATA
# title: Provenance and signatures are verified before deployment
# description: A verification summary (VSA) for the artifact PASSED, and none FAILED.
# custom:
#   control: DSO-SUP-02
#   stages: [release, operate]
#   evidence: ["https://slsa.dev/verification_summary/v1"]
deny contains v if {
	some item in lib.evidence(lib.vsa_type)
	item.predicate.verificationResult == "FAILED"
	v := {"control": "DSO-SUP-02", "msg": sprintf("verifier %s FAILED %s against policy %s", [item.predicate.verifier.id, item.predicate.resourceUri, item.predicate.policy.uri])}
}

# METADATA
# custom:
#   control: DSO-SUP-02
deny contains v if {
	passed := [item | some item in lib.evidence(lib.vsa_type); item.predicate.verificationResult == "PASSED"]
	count(passed) == 0
	v := {"control": "DSO-SUP-02", "msg": sprintf("no verification summary of %s PASSED", [input.subject.name])}
}

# METADATA
# title: Every shipped version is recorded with its artifact digests
# description: >-
#   Only artifacts the ledger records as released ship: one of the
#   subject's digests is a key of input.ledger.released.
# custom:
#   control: DSO-SUP-05
#   stages: [release, operate]
deny contains v if {
	not released
	v := {"control": "DSO-SUP-05", "msg": sprintf("%s (%v) is not released in the ledger", [input.subject.name, input.subject.digest])}
}

released if {
	some alg, hex in input.subject.digest
	input.ledger.released[concat(":", [alg, hex])]
}

# METADATA
# title: Dependencies come from trusted package sources
# description: >-
#   Every component package URL in the artifact's SBOMs starts with one of
#   data.guardrails.package_sources (purl prefixes such as "pkg:golang/"
#   or "pkg:npm/@acme/"). Without that setting the control warns, naming
#   it.
# custom:
#   control: DSO-SUP-03
#   stages: [build]
#   evidence: ["https://cyclonedx.org/bom", "https://spdx.dev/Document"]
warn contains v if {
	count(package_sources) == 0
	v := {"control": "DSO-SUP-03", "msg": "no trusted package sources configured: set data.guardrails.package_sources (purl prefixes)"}
}

# METADATA
# custom:
#   control: DSO-SUP-03
warn contains v if {
	count(package_sources) > 0
	some item in lib.sboms
	some purl in item.predicate.purls
	not trusted_source(purl)
	v := {"control": "DSO-SUP-03", "finding": purl, "msg": sprintf("%s comes from none of the trusted package sources %v", [purl, package_sources])}
}

package_sources := {s | some s in lib.setting("package_sources", [])}

trusted_source(purl) if {
	some prefix in package_sources
	startswith(purl, prefix)
}

# METADATA
# title: Accepted vulnerabilities carry a VEX statement with a justification
# description: >-
#   A vulnerability accepted as not affecting the artifact (status
#   not_affected) was suppressed by a VEX statement that says why: a
#   justification or an impact statement. A finding of the artifact's scan
#   that an exception accepts instead, with no VEX statement, warns too.
# custom:
#   control: DSO-SUP-04
#   stages: [release]
#   evidence: ["https://in-toto.io/attestation/vulns/v0.2"]
warn contains v if {
	some item in lib.evidence(lib.vulns_type)
	some r in object.get(item.predicate.scanner, "result", [])
	some a in object.get(r, "annotations", [])
	a.status == "not_affected"
	not justified(a)
	v := {"control": "DSO-SUP-04", "finding": r.id, "msg": sprintf("%s is accepted as not_affected without a VEX statement giving a justification or an impact statement (%q)", [r.id, object.get(a, "vex", "")])}
}

# METADATA
# custom:
#   control: DSO-SUP-04
warn contains v if {
	some item in lib.evidence(lib.vulns_type)
	some r in lib.vuln_results(item)
	some x in input.exceptions
	r.id in object.get(x, "findings", [])
	v := {"control": "DSO-SUP-04", "finding": r.id, "msg": sprintf("%s is accepted by exception %s, not by a VEX statement saying why it does not affect %s", [r.id, x.id, input.subject.name])}
}

# justified(a) holds when a finding's annotation carries the text of a VEX
# statement ("VEX <status>: <justification>: <impact> (<document>)") with
# a justification or an impact statement.
justified(a) if regex.match(`^VEX [a-z_]+: [^(]`, a.vex)
