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
