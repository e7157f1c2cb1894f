# METADATA
# title: Self-service platform guardrails
# description: The paved road's toolchain records its own evidence.
package paved.platform

import data.paved.lib

# METADATA
# title: Toolchains are configured to produce evidence automatically
# description: >-
#   The gated stage's steps left link records (in-toto links, with the
#   builder and the stage in their byproducts), each signed by one of its
#   builder's identities in data.guardrails.trusted_builders: evidence the
#   pipeline's toolchain recorded itself, not evidence added by hand.
# custom:
#   control: DSO-PLT-02
#   evidence: ["https://in-toto.io/attestation/link/v0.3"]
deny contains v if {
	count(stage_links) == 0
	v := {"control": "DSO-PLT-02", "msg": sprintf("no step of the %s stage left a link record about %s", [input.stage, input.subject.name])}
}

# METADATA
# custom:
#   control: DSO-PLT-02
deny contains v if {
	some item in stage_links
	not by_builder(item)
	builder := object.get(item.predicate.byproducts, "builderId", "")
	v := {
		"control": "DSO-PLT-02",
		"msg": sprintf("link record %s of step %s is not signed for its builder %q (signers %v; builders and their identities are data.guardrails.trusted_builders)", [item.digest, object.get(item.predicate, "name", ""), builder, item.signers]),
	}
}

stage_links contains item if {
	some item in lib.evidence(lib.link_type)
	item.predicate.byproducts.stage == input.stage
}

by_builder(item) if {
	some signer in item.signers
	signer in lib.trusted_builders[item.predicate.byproducts.builderId]
}
