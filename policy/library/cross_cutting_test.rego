package paved.cross_cutting_test

import data.paved.cross_cutting
import data.paved.fixtures as fx

teams := object.union(fx.settings, {"teams": {"payments": ["Bob@example.com", "alice@example.com"]}})

denied(control, inp, settings) if {
	some v in cross_cutting.deny with input as inp with data.guardrails as settings
	v.control == control
}

test_dso_xct_01_pass_approved_by_team_member if not denied("DSO-XCT-01", fx.input_ok, teams)

test_dso_xct_01_pass_at_plan_other_change_ignored if {
	other := object.union(fx.approval("mallory@example.com", "approved"), {"changeId": "CHG-2"})
	inp := fx.replace(fx.replace(fx.input_ok, "stage", "plan"), "approvals", [fx.approval("bob@example.com", "approved"), other])
	not denied("DSO-XCT-01", inp, teams)
}

test_dso_xct_01_fail_approver_outside_team if {
	inp := fx.with_input("approvals", [fx.approval("bob@example.com", "approved"), fx.approval("carol@example.com", "approved")])
	some v in cross_cutting.deny with input as inp with data.guardrails as teams
	v.control == "DSO-XCT-01"
	contains(v.msg, "carol@example.com")
}

test_dso_xct_01_fail_author_approves if denied("DSO-XCT-01", fx.with_input("approvals", [fx.approval("alice@example.com", "approved")]), teams)

test_dso_xct_01_fail_no_roster if {
	some v in cross_cutting.deny with input as fx.input_ok with data.guardrails as fx.settings
	v.control == "DSO-XCT-01"
	contains(v.msg, "data.guardrails.teams")
}

test_dso_xct_01_pass_nothing_to_check_without_roster if {
	not denied("DSO-XCT-01", fx.with_input("approvals", [fx.approval("bob@example.com", "rejected")]), fx.settings)
}

test_dso_xct_01_fail_no_change if denied("DSO-XCT-01", object.remove(fx.input_ok, ["change"]), teams)

test_dso_xct_05_pass_commit_release_deployment if not denied("DSO-XCT-05", fx.input_operate, fx.settings)

test_dso_xct_05_pass_at_release_before_deployment if {
	inp := object.union(fx.input_operate, {"stage": "release", "evidence": object.remove(fx.input_operate.evidence, [fx.deployment_type])})
	not denied("DSO-XCT-05", inp, fx.settings)
}

test_dso_xct_05_fail_no_change if denied("DSO-XCT-05", object.remove(fx.input_operate, ["change"]), fx.settings)

test_dso_xct_05_fail_change_without_commit if denied("DSO-XCT-05", fx.replace(fx.input_operate, "change", fx.input_ok.change), fx.settings)

test_dso_xct_05_fail_release_of_other_commit if {
	rel := object.union(fx.ledger_release, {"predicate": object.union(fx.ledger_release.predicate, {"commit": "deadbeef"})})
	denied("DSO-XCT-05", fx.replace(fx.input_operate, "evidence", object.union(fx.input_operate.evidence, {fx.ledger_release_type: [rel]})), fx.settings)
}

test_dso_xct_05_fail_deployed_version_not_released if {
	inp := fx.replace(fx.input_operate, "evidence", object.union(fx.input_operate.evidence, {fx.deployment_type: [fx.deployment("dep-1", "prod", "v9.9.9")]}))
	denied("DSO-XCT-05", inp, fx.settings)
}
