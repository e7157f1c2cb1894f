package paved.compliance_test

import data.paved.compliance
import data.paved.fixtures as fx

denied(control, inp) if {
	some v in compliance.deny with input as inp with data.guardrails as fx.settings with time.now_ns as fx.now_ns
	v.control == control
}

at_release(decisions) := fx.replace(fx.input_ok, "evidence", object.union(fx.input_ok.evidence, {fx.decision_type: decisions}))

test_dso_cmp_02_pass_build_and_test_decisions_recorded if {
	not denied("DSO-CMP-02", at_release([fx.decision("build", "allow", "2026-11-28T10:00:00Z"), fx.decision("test", "deny", "2026-11-28T10:10:00Z")]))
}

test_dso_cmp_02_pass_nothing_gated_before_build if {
	not denied("DSO-CMP-02", fx.replace(fx.input_ok, "stage", "build"))
}

test_dso_cmp_02_fail_test_decision_missing if {
	denied("DSO-CMP-02", at_release([fx.decision("build", "allow", "2026-11-28T10:00:00Z")]))
}

test_dso_cmp_02_fail_operate_without_release_decision if {
	inp := fx.replace(fx.input_operate, "evidence", object.union(fx.input_operate.evidence, {fx.decision_type: [fx.decision("build", "allow", "2026-11-28T10:00:00Z"), fx.decision("test", "allow", "2026-11-28T10:00:00Z")]}))
	denied("DSO-CMP-02", inp)
}

old_scan := object.union(fx.vulns([fx.finding("CVE-2026-0002", "9.8", "2026-11-01T00:00:00Z")]), {"time": "2026-11-20T00:00:00Z"})

new_scan(results) := object.union(fx.vulns(results), {"digest": "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "time": "2026-11-28T06:00:00Z"})

scans(items) := fx.replace(fx.input_operate, "evidence", object.union(fx.input_operate.evidence, {fx.vulns_type: items}))

test_dso_cmp_03_pass_newest_scan_within_sla if not denied("DSO-CMP-03", fx.input_operate)

test_dso_cmp_03_pass_fixed_since_older_scan if {
	not denied("DSO-CMP-03", scans([old_scan, new_scan([])]))
}

test_dso_cmp_03_fail_critical_open_past_sla if {
	some v in compliance.deny with input as scans([new_scan([fx.finding("CVE-2026-0002", "9.8", "2026-11-01T00:00:00Z")])]) with data.guardrails as fx.settings with time.now_ns as fx.now_ns
	v.control == "DSO-CMP-03"
	v.finding == "CVE-2026-0002"
	contains(v.msg, "27 days")
}

test_dso_cmp_03_fail_newest_scan_finds_it_again if {
	denied("DSO-CMP-03", scans([new_scan([fx.finding("CVE-2026-0002", "9.8", "2026-11-01T00:00:00Z")]), old_scan]))
}
