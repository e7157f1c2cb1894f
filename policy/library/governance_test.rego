package paved.governance_test

import data.paved.fixtures as fx
import data.paved.governance

problems(x) := {v.msg |
	some v in governance.deny with input as fx.with_input("exceptions", [x])
	v.control == "DSO-GOV-04"
}

test_dso_gov_04_pass_well_formed if count(problems(fx.exception)) == 0

test_dso_gov_04_pass_no_exceptions if {
	vs := governance.deny with input as fx.with_input("exceptions", [])
	count(vs) == 0
}

test_dso_gov_04_fail_self_approved if {
	ps := problems(object.union(fx.exception, {"approvedBy": "alice@example.com"}))
	ps == {"exception EX-1: is approved by its requester"}
}

test_dso_gov_04_fail_no_justification if {
	ps := problems(object.union(fx.exception, {"justification": "  "}))
	ps == {"exception EX-1: has no justification"}
}

test_dso_gov_04_fail_too_long if {
	ps := problems(object.union(fx.exception, {"expires": "2027-06-01T00:00:00Z"}))
	ps == {"exception EX-1: lasts longer than the maximum of 90 days"}
}

test_dso_gov_04_fail_expires_before_grant if {
	ps := problems(object.union(fx.exception, {"expires": "2026-10-01T00:00:00Z"}))
	ps == {"exception EX-1: is not time-boxed: it needs a grant time and a later expiry"}
}

test_dso_gov_04_fail_no_scope if {
	ps := problems(object.remove(fx.exception, ["digests", "controls", "approvedBy"]))
	ps == {
		"exception EX-1: names no control",
		"exception EX-1: has no subject digests or purl patterns",
		"exception EX-1: has no approver",
	}
}

test_dso_gov_04_fail_null_lists if {
	ps := problems(object.union(fx.exception, {"controls": null, "digests": null}))
	ps == {
		"exception EX-1: names no control",
		"exception EX-1: has no subject digests or purl patterns",
	}
}
