package paved.reliability_test

import data.paved.fixtures as fx
import data.paved.reliability

warned(control, inp) if {
	some v in reliability.warn with input as inp with time.now_ns as fx.now_ns
	v.control == control
}

# with_operate(t, items) is input_operate with the evidence of type t
# replaced.
with_operate(t, items) := fx.replace(fx.input_operate, "evidence", fx.replace(fx.input_operate.evidence, t, items))

carrying(changes) := with_operate(fx.deployment_type, [json.patch(fx.deployment("dep-1", "prod", "v1.2.3"), [{"op": "add", "path": "/predicate/changes", "value": changes}])])

test_dso_rlb_01_pass_deployment_lists_its_changes if not warned("DSO-RLB-01", carrying(["CHG-1"]))

test_dso_rlb_01_fail_no_changes if {
	some v in reliability.warn with input as carrying([])
	v.control == "DSO-RLB-01"
	v.finding == "dep-1"
	contains(v.msg, "carries change CHG-1")
}

test_dso_rlb_01_fail_no_deployment_here if warned("DSO-RLB-01", fx.replace(carrying(["CHG-1"]), "environment", "staging"))

# incident_record(id, resolved) is an incident of dep-1, resolved at
# resolved unless it is empty.
incident_record(id, resolved) := json.patch(fx.incident(id, "sre", "dep-1"), [{"op": "add", "path": "/predicate/resolvedAt", "value": resolved} | resolved != ""])

test_dso_rlb_02_pass_no_incident if not warned("DSO-RLB-02", fx.input_operate)

test_dso_rlb_02_pass_incident_resolved if {
	# Recorded when detected and again when resolved: the later record resolves it.
	inp := with_operate(fx.incident_type, [incident_record("INC-1", ""), incident_record("INC-1", "2026-11-28T11:55:00Z")])
	not warned("DSO-RLB-02", inp)
}

test_dso_rlb_02_fail_incident_open if {
	inp := with_operate(fx.incident_type, [incident_record("INC-1", "2026-11-28T11:55:00Z"), incident_record("INC-2", "")])
	some v in reliability.warn with input as inp
	v.control == "DSO-RLB-02"
	v.finding == "INC-2"
	not any_warning_about("INC-1", inp)
}

any_warning_about(id, inp) if {
	some v in reliability.warn with input as inp
	v.finding == id
}
