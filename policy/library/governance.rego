# METADATA
# title: Governance guardrails
package paved.governance

import data.paved.lib

# METADATA
# title: Exceptions are approved by someone other than the requester and time-boxed
# description: >-
#   Every exception offered has controls, a subject scope, a justification,
#   a requester and a different approver, and an expiry after its grant and
#   no further from it than input.exceptionPolicy.maxDurationSeconds.
# custom:
#   control: DSO-GOV-04
deny contains v if {
	some x in input.exceptions
	some problem in problems(x)
	v := {"control": "DSO-GOV-04", "finding": x.id, "msg": sprintf("exception %s: %s", [x.id, problem])}
}

problems(x) := {p |
	some check in [
		[count(list(x, "controls")) == 0, "names no control"],
		[count(list(x, "digests")) + count(list(x, "purls")) == 0, "has no subject digests or purl patterns"],
		[trim_space(object.get(x, "justification", "")) == "", "has no justification"],
		[object.get(x, "requestedBy", "") == "", "has no requester"],
		[object.get(x, "approvedBy", "") == "", "has no approver"],
		[approved_by_requester(x), "is approved by its requester"],
		[not_timeboxed(x), "is not time-boxed: it needs a grant time and a later expiry"],
		[too_long(x), sprintf("lasts longer than the maximum of %d days", [max_seconds / 86400])],
	]
	check[0]
	p := check[1]
}

max_seconds := input.exceptionPolicy.maxDurationSeconds

# list(x, key) is x[key] when it is an array, else empty (absent or null).
list(x, key) := x[key] if is_array(x[key])
else := []

approved_by_requester(x) := x.approvedBy == x.requestedBy if x.approvedBy != ""
else := false

not_timeboxed(x) := lib.rfc3339_ns(x.expires) <= lib.rfc3339_ns(x.granted) if {
	lib.rfc3339_ns(x.expires)
	lib.rfc3339_ns(x.granted)
} else := true

too_long(x) := (lib.rfc3339_ns(x.expires) - lib.rfc3339_ns(x.granted)) > max_seconds * 1000000000 if {
	lib.rfc3339_ns(x.expires)
	lib.rfc3339_ns(x.granted)
} else := false
