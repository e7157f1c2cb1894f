package paved.plan_test

import data.paved.fixtures as fx
import data.paved.plan

denied(inp) if {
	some v in plan.deny with input as inp
	v.control == "DSO-PLN-01"
}

change(patch) := fx.with_input("change", object.union(fx.input_ok.change, patch))

test_dso_pln_01_pass_owned_scoped_rated if not denied(fx.input_ok)

test_dso_pln_01_fail_no_change if denied(object.remove(fx.input_ok, ["change"]))

test_dso_pln_01_fail_no_owner if denied(change({"owner": ""}))

test_dso_pln_01_fail_no_services if denied(change({"services": []}))

test_dso_pln_01_fail_unrated if {
	msgs := {v.msg | some v in plan.deny with input as change({"risk": "unknown"})}
	msgs == {`change CHG-1 has risk "unknown", not one of low, medium, high, critical`}
}
