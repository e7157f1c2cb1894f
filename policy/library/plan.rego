# METADATA
# title: Plan guardrails
package paved.plan

# METADATA
# title: Every change has an owner, a scope and a risk rating
# description: >-
#   The change record names an owning team, the services it touches, and a
#   risk of low, medium, high or critical.
# custom:
#   control: DSO-PLN-01
#   stages: [plan]
#   evidence: ["https://paved.dev/attestation/change/v1"]
deny contains v if {
	not input.change
	v := {"control": "DSO-PLN-01", "msg": sprintf("no change record for %s", [input.subject.name])}
}

# METADATA
# custom:
#   control: DSO-PLN-01
deny contains v if {
	some problem in problems
	v := {"control": "DSO-PLN-01", "msg": sprintf("change %s %s", [input.change.id, problem])}
}

problems contains "has no owner" if object.get(input.change, "owner", "") == ""

problems contains "names no service it touches" if count(object.get(input.change, "services", [])) == 0

problems contains sprintf("has risk %q, not one of low, medium, high, critical", [object.get(input.change, "risk", "")]) if {
	not object.get(input.change, "risk", "") in {"low", "medium", "high", "critical"}
}

# METADATA
# title: High-risk changes are reviewed by someone other than the author before Build
# description: >-
#   A change rated high or critical has at least one approval by an
#   identity other than its author (any stage) and no rejection before it
#   is built; a lower-risk change without such a review is a warning.
# custom:
#   control: DSO-PLN-02
#   stages: [plan, build]
deny contains v if {
	input.change.risk in {"high", "critical"}
	count(reviewers) == 0
	v := {
		"control": "DSO-PLN-02",
		"msg": sprintf("%s-risk change %s by %s needs an approval by someone else before Build (%v)", [input.change.risk, input.change.id, input.change.author, object.get(input.change, "riskReasons", [])]),
	}
}

# METADATA
# custom:
#   control: DSO-PLN-02
deny contains v if {
	some a in input.approvals
	a.changeId == input.change.id
	a.decision == "rejected"
	v := {"control": "DSO-PLN-02", "msg": sprintf("%s rejected change %s", [a.approver, input.change.id])}
}

# METADATA
# custom:
#   control: DSO-PLN-02
warn contains v if {
	input.change
	not input.change.risk in {"high", "critical"}
	count(reviewers) == 0
	v := {"control": "DSO-PLN-02", "msg": sprintf("change %s has no review by someone other than its author", [input.change.id])}
}

# reviewers are the identities other than the author that approved the
# change.
reviewers contains a.approver if {
	some a in input.approvals
	a.changeId == input.change.id
	a.decision == "approved"
	a.approver != input.change.author
}
