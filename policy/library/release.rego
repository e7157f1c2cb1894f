# METADATA
# title: Release guardrails
package paved.release

import data.paved.lib

# METADATA
# title: Release approved by an authorised approver who is not its author
# description: >-
#   The change is approved for release by at least one identity other than
#   its author, and by two for a high- or critical-risk change; no approver
#   rejected it.
# custom:
#   control: DSO-REL-01
#   stages: [release]
#   evidence: ["https://paved.dev/attestation/approval/v1"]
deny contains v if {
	not input.change
	v := {"control": "DSO-REL-01", "msg": "no change record to check the approvals against"}
}

# METADATA
# custom:
#   control: DSO-REL-01
deny contains v if {
	count(approvers) < required
	v := {
		"control": "DSO-REL-01",
		"msg": sprintf("%s-risk change %s has %d approvals by someone other than its author %s; %d required", [input.change.risk, input.change.id, count(approvers), input.change.author, required]),
	}
}

# METADATA
# custom:
#   control: DSO-REL-01
deny contains v if {
	some a in decisions
	a.decision == "rejected"
	v := {"control": "DSO-REL-01", "msg": sprintf("%s rejected change %s: %s", [a.approver, input.change.id, object.get(a, "comment", "")])}
}

# METADATA
# title: Authors do not approve their own changes
# custom:
#   control: DSO-REL-01
warn contains v if {
	some a in decisions
	a.decision == "approved"
	a.approver == input.change.author
	v := {"control": "DSO-REL-01", "msg": sprintf("%s approved their own change %s; the approval does not count", [a.approver, input.change.id])}
}

# decisions are the approvals and rejections of the change for release.
decisions contains a if {
	some a in input.approvals
	a.changeId == input.change.id
	object.get(a, "stage", "release") == "release"
}

approvers contains a.approver if {
	some a in decisions
	a.decision == "approved"
	a.approver != input.change.author
}

high_risk := {"high", "critical"}

required := 2 if input.change.risk in high_risk
else := 1

# METADATA
# title: Release records what changed
# description: >-
#   A release attestation names the artifact (its package URL, when the
#   subject has one) and the release has a change record.
# custom:
#   control: DSO-REL-02
#   stages: [release]
#   evidence: ["https://in-toto.io/attestation/release/v0.1"]
deny contains v if {
	count(lib.evidence(lib.release_type)) == 0
	v := {"control": "DSO-REL-02", "msg": sprintf("no release attestation for %s", [input.subject.name])}
}

# METADATA
# custom:
#   control: DSO-REL-02
deny contains v if {
	input.subject.purl
	releases := lib.evidence(lib.release_type)
	count(releases) > 0
	every item in releases {
		item.predicate.purl != input.subject.purl
	}
	v := {"control": "DSO-REL-02", "msg": sprintf("no release attestation names %s", [input.subject.purl])}
}

# METADATA
# custom:
#   control: DSO-REL-02
deny contains v if {
	not input.change
	v := {"control": "DSO-REL-02", "msg": "the release has no change record saying what changed"}
}

# METADATA
# title: Release passed every mandatory policy gate
# description: >-
#   The newest recorded decision of each gate before Release that decides
#   about the artifact (Build and Test) did not deny it; a bypassed gate
#   recorded a deny, so it does not count as passed.
# custom:
#   control: DSO-REL-04
#   stages: [release]
#   evidence: ["https://paved.dev/attestation/policy-decision/v1"]
deny contains v if {
	some stage in lib.gated_before("release")
	not lib.decisions[stage]
	v := {"control": "DSO-REL-04", "msg": sprintf("no recorded %s gate decision shows that %s passed it", [stage, input.subject.name])}
}

# METADATA
# custom:
#   control: DSO-REL-04
deny contains v if {
	some stage in lib.gated_before("release")
	d := lib.decisions[stage]
	d.result == "deny"
	v := {
		"control": "DSO-REL-04",
		"msg": sprintf("the %s gate denied %s at %s (controls %v)", [stage, input.subject.name, d.decidedAt, {x.control | some x in object.get(d, "violations", []); x.enforcement == "mandatory"}]),
	}
}

# METADATA
# title: Release names its rollback target
# description: >-
#   Each recorded deployment of the artifact (to input.environment, when
#   the gate names one) names the deployment it replaced there (previous):
#   the release a rollback returns to. The ledger finds it when the
#   release is deployed, so it is judged at Operate; a service's first
#   deployment to an environment has none, and warns.
# custom:
#   control: DSO-REL-03
#   stages: [operate]
#   evidence: ["https://paved.dev/attestation/deployment/v1"]
warn contains v if {
	some item in lib.evidence(lib.deployment_type)
	d := item.predicate
	lib.deployed_here(d)
	object.get(d, "previous", "") == ""
	v := {"control": "DSO-REL-03", "finding": d.id, "msg": sprintf("deployment %s of %s %s to %s names no previous deployment to roll back to", [d.id, d.service, d.version, d.environment])}
}
