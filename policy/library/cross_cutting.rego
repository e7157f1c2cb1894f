# METADATA
# title: Cross-cutting guardrails
# description: Separation of duties for approvals, and traceability from commit to deployment.
package paved.cross_cutting

import data.paved.lib

# METADATA
# title: Approvers belong to the owning team and are never the author
# description: >-
#   Each approval of the change is by a member of the team that owns the
#   change (its owner, looked up in data.guardrails.teams: team -> member
#   identities, compared without case) other than the change's author.
#   With approvals to check and no roster for the owner, the control
#   fails, naming the setting to add. Whether there are enough approvals
#   is for DSO-PLN-02 and DSO-REL-01 to judge.
# custom:
#   control: DSO-XCT-01
#   stages: [plan, release]
deny contains v if {
	not input.change
	v := {"control": "DSO-XCT-01", "msg": "no change record to check the approvers against its owning team"}
}

# METADATA
# custom:
#   control: DSO-XCT-01
deny contains v if {
	count(approved) > 0
	not roster
	v := {
		"control": "DSO-XCT-01",
		"msg": sprintf("data.guardrails.teams has no members for %q, the owner of change %s: add the team's roster (team -> identities) to the guardrail settings", [object.get(input.change, "owner", ""), input.change.id]),
	}
}

# METADATA
# custom:
#   control: DSO-XCT-01
deny contains v if {
	some a in approved
	lower(a.approver) == lower(input.change.author)
	v := {"control": "DSO-XCT-01", "msg": sprintf("%s approved their own change %s", [a.approver, input.change.id])}
}

# METADATA
# custom:
#   control: DSO-XCT-01
deny contains v if {
	members := roster
	some a in approved
	not lower(a.approver) in members
	v := {
		"control": "DSO-XCT-01",
		"msg": sprintf("%s approved change %s but is not a member of its owning team %s", [a.approver, input.change.id, input.change.owner]),
	}
}

# approved are the approvals of the change.
approved contains a if {
	some a in input.approvals
	a.changeId == input.change.id
	a.decision == "approved"
}

# roster is the set of the owning team's members, in lower case.
roster := {lower(m) | some m in members} if {
	members := lib.setting("teams", {})[input.change.owner]
	count(members) > 0
}

# METADATA
# title: Every production change traces from commit to deployment
# description: >-
#   The change record names its commit, and a ledger release record of
#   the artifact names that commit; at Operate, the artifact's deployment
#   (to input.environment, when the gate names one) is of that release's
#   service and version. Commit, release and deployment are then one
#   chain.
# custom:
#   control: DSO-XCT-05
#   stages: [release, operate]
#   evidence: ["https://paved.dev/attestation/change/v1"]
deny contains v if {
	not input.change
	v := {"control": "DSO-XCT-05", "msg": sprintf("no change record: %s cannot be traced to a commit", [input.subject.name])}
}

# METADATA
# custom:
#   control: DSO-XCT-05
deny contains v if {
	object.get(input.change, "commit", "") == ""
	v := {"control": "DSO-XCT-05", "msg": sprintf("change %s records no commit", [input.change.id])}
}

# METADATA
# custom:
#   control: DSO-XCT-05
deny contains v if {
	commit := input.change.commit
	commit != ""
	count(releases) == 0
	v := {"control": "DSO-XCT-05", "msg": sprintf("no release record of %s names the change's commit %s", [input.subject.name, commit])}
}

# METADATA
# custom:
#   control: DSO-XCT-05
deny contains v if {
	input.stage == "operate"
	count(releases) > 0
	count(traced_deployments) == 0
	v := {
		"control": "DSO-XCT-05",
		"msg": sprintf("no deployment of %s%s is of a release of commit %s (releases: %v)", [input.subject.name, lib.to_environment, input.change.commit, {sprintf("%s@%s", [r.service, r.version]) | some r in releases}]),
	}
}

releases contains item.predicate if {
	some item in lib.evidence(lib.ledger_release_type)
	item.predicate.commit == input.change.commit
}

traced_deployments contains d if {
	some item in lib.evidence(lib.deployment_type)
	d := item.predicate
	lib.deployed_here(d)
	some r in releases
	d.service == r.service
	d.version == r.version
}
