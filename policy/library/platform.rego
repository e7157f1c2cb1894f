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

# METADATA
# title: Services build with the paved-road pipeline template
# description: >-
#   The artifact was built by a paved-road pipeline: its Build steps' link
#   records name a pipeline listed in
#   data.guardrails.paved_road_pipelines (by default ["go-service"], the
#   name of paved's Go service template).
# custom:
#   control: DSO-PLT-01
#   stages: [build, release]
#   evidence: ["https://slsa.dev/provenance/v1"]
warn contains v if {
	count(build_pipelines) == 0
	v := {"control": "DSO-PLT-01", "msg": sprintf("no link record of a Build step about %s names the pipeline that built it", [input.subject.name])}
}

# METADATA
# custom:
#   control: DSO-PLT-01
warn contains v if {
	off_road := build_pipelines - paved_road
	count(off_road) > 0
	v := {
		"control": "DSO-PLT-01",
		"msg": sprintf("%s was built by %v, not a paved-road pipeline (data.guardrails.paved_road_pipelines: %v)", [input.subject.name, off_road, paved_road]),
	}
}

paved_road := {p | some p in lib.setting("paved_road_pipelines", ["go-service"])}

build_pipelines contains item.predicate.byproducts.pipeline if {
	some item in lib.evidence(lib.link_type)
	item.predicate.byproducts.stage == "build"
}
