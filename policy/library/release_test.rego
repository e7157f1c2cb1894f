package paved.release_test

import data.paved.fixtures as fx
import data.paved.release

denied(inp) if {
	some v in release.deny with input as inp
	v.control == "DSO-REL-01"
}

warned(inp) if {
	some v in release.warn with input as inp
	v.control == "DSO-REL-01"
}

high_risk := fx.with_input("change", object.union(fx.input_ok.change, {"risk": "high"}))

test_dso_rel_01_pass_approved_by_other if {
	not denied(fx.input_ok)
	not warned(fx.input_ok)
}

test_dso_rel_01_pass_high_risk_two_approvers if {
	inp := fx.replace(high_risk, "approvals", [fx.approval("bob@example.com", "approved"), fx.approval("carol@example.com", "approved")])
	not denied(inp)
}

test_dso_rel_01_fail_high_risk_one_approver if denied(high_risk)

test_dso_rel_01_fail_high_risk_same_approver_twice if {
	inp := fx.replace(high_risk, "approvals", [fx.approval("bob@example.com", "approved"), fx.approval("bob@example.com", "approved")])
	denied(inp)
}

test_dso_rel_01_fail_author_approved if {
	inp := fx.with_input("approvals", [fx.approval("alice@example.com", "approved")])
	denied(inp)
	warned(inp)
}

test_dso_rel_01_fail_approval_of_other_change if {
	other := object.union(fx.approval("bob@example.com", "approved"), {"changeId": "CHG-2"})
	denied(fx.with_input("approvals", [other]))
}

test_dso_rel_01_fail_rejected if {
	inp := fx.with_input("approvals", [fx.approval("bob@example.com", "approved"), fx.approval("carol@example.com", "rejected")])
	denied(inp)
}

test_dso_rel_01_fail_no_change if denied(object.remove(fx.input_ok, ["change"]))

denied_02(inp) if {
	some v in release.deny with input as inp
	v.control == "DSO-REL-02"
}

test_dso_rel_02_pass_release_names_subject if not denied_02(fx.input_ok)

test_dso_rel_02_fail_no_release if denied_02(fx.without_evidence(fx.release_type))

test_dso_rel_02_fail_release_of_other_package if denied_02(fx.with_evidence(fx.release_type, [fx.release("pkg:golang/example.com/other@v9")]))

test_dso_rel_02_fail_no_change if denied_02(object.remove(fx.input_ok, ["change"]))

denied_04(inp) if {
	some v in release.deny with input as inp
	v.control == "DSO-REL-04"
}

gates(decisions) := fx.replace(fx.input_ok, "evidence", object.union(fx.input_ok.evidence, {fx.decision_type: decisions}))

test_dso_rel_04_pass_build_and_test_allowed if {
	not denied_04(gates([fx.decision("build", "allow", "2026-11-28T10:00:00Z"), fx.decision("test", "warn", "2026-11-28T10:10:00Z")]))
}

test_dso_rel_04_pass_newest_decision_counts if {
	inp := gates([
		fx.decision("build", "deny", "2026-11-28T09:00:00Z"),
		fx.decision("build", "allow", "2026-11-28T10:00:00.5Z"),
		fx.decision("test", "allow", "2026-11-28T10:10:00Z"),
	])
	not denied_04(inp)
}

test_dso_rel_04_fail_no_decisions if denied_04(fx.input_ok)

test_dso_rel_04_fail_test_gate_missing if denied_04(gates([fx.decision("build", "allow", "2026-11-28T10:00:00Z")]))

test_dso_rel_04_fail_build_gate_denied_last if {
	inp := gates([
		fx.decision("build", "allow", "2026-11-28T10:00:00.5Z"),
		fx.decision("build", "deny", "2026-11-28T10:00:01Z"),
		fx.decision("test", "allow", "2026-11-28T10:10:00Z"),
	])
	some v in release.deny with input as inp
	v.control == "DSO-REL-04"
	contains(v.msg, "DSO-BLD-02")
}

warned_rel_03(inp) if {
	some v in release.warn with input as inp
	v.control == "DSO-REL-03"
}

# deployed(previous) is input_operate whose deployment replaced previous.
deployed(previous) := fx.replace(fx.input_operate, "evidence", object.union(fx.input_operate.evidence, {fx.deployment_type: [json.patch(
	fx.deployment("dep-2", "prod", "v1.2.3"),
	[{"op": "add", "path": "/predicate/previous", "value": previous} | previous != ""],
)]}))

test_dso_rel_03_pass_names_the_deployment_it_replaced if not warned_rel_03(deployed("dep-1"))

test_dso_rel_03_pass_other_environment_not_judged if {
	inp := fx.replace(deployed(""), "environment", "staging")
	not warned_rel_03(inp)
}

test_dso_rel_03_fail_no_previous_deployment if warned_rel_03(deployed(""))
