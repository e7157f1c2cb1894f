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

reviewed(risk, approvals) := fx.with_input("approvals", approvals) if risk == "low"

reviewed(risk, approvals) := fx.replace(change({"risk": risk, "riskReasons": ["touches authentication code (+4)"]}), "approvals", approvals) if risk != "low"

denied_02(inp) if {
	some v in plan.deny with input as inp
	v.control == "DSO-PLN-02"
}

warned_02(inp) if {
	some v in plan.warn with input as inp
	v.control == "DSO-PLN-02"
}

test_dso_pln_02_pass_high_risk_reviewed if not denied_02(reviewed("high", [fx.approval("bob@example.com", "approved")]))

test_dso_pln_02_pass_low_risk_unreviewed_only_warns if {
	inp := reviewed("low", [])
	not denied_02(inp)
	warned_02(inp)
}

test_dso_pln_02_fail_high_risk_unreviewed if denied_02(reviewed("high", []))

test_dso_pln_02_fail_critical_risk_approved_by_its_author if denied_02(reviewed("critical", [fx.approval("alice@example.com", "approved")]))

test_dso_pln_02_fail_rejected if denied_02(reviewed("low", [fx.approval("bob@example.com", "approved"), fx.approval("carol@example.com", "rejected")]))
