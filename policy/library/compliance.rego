# METADATA
# title: Security and compliance guardrails
# description: Policy decisions kept as evidence, and vulnerability response for running versions.
package paved.compliance

import data.paved.lib

# METADATA
# title: Every policy decision is recorded as evidence
# description: >-
#   Each gate that decides about the artifact before this stage (Build's
#   on) left its policy decision as a record about the artifact: a gate
#   that decided without recording, or a stage that skipped its gate,
#   fails.
# custom:
#   control: DSO-CMP-02
#   stages: [test, release, operate]
#   evidence: ["https://paved.dev/attestation/policy-decision/v1"]
deny contains v if {
	some stage in lib.gated_before(input.stage)
	not lib.decisions[stage]
	v := {"control": "DSO-CMP-02", "msg": sprintf("no recorded %s gate decision about %s", [stage, input.subject.name])}
}

# METADATA
# title: Vulnerabilities in running versions are remediated within their deadline
# description: >-
#   The newest vulnerability scan of the running artifact finds nothing
#   open past its severity's SLA (data.guardrails.vulnerability_sla_days,
#   as for DSO-BLD-05). The map's max_age asks for a scan no older than a
#   day, so a version that keeps running keeps being rescanned.
# custom:
#   control: DSO-CMP-03
#   stages: [operate]
#   evidence: ["https://in-toto.io/attestation/vulns/v0.2"]
deny contains v if {
	scan := lib.newest(lib.evidence(lib.vulns_type))
	some r in lib.vuln_results(scan)
	msg := lib.past_sla(r)
	v := {"control": "DSO-CMP-03", "finding": r.id, "msg": sprintf("running %s: %s", [input.subject.name, msg])}
}
