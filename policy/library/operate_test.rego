package paved.operate_test

import data.paved.fixtures as fx
import data.paved.operate

denied(control, inp) if {
	some v in operate.deny with input as inp
	v.control == control
}

deployments(items) := fx.replace(fx.input_operate, "evidence", object.union(fx.input_operate.evidence, {fx.deployment_type: items}))

test_dso_ops_01_pass_deployment_recorded if not denied("DSO-OPS-01", fx.input_operate)

test_dso_ops_01_pass_any_environment_when_gate_names_none if {
	not denied("DSO-OPS-01", object.remove(deployments([fx.deployment("dep-1", "staging", "v1.2.3")]), ["environment"]))
}

test_dso_ops_01_fail_no_deployment if denied("DSO-OPS-01", deployments([]))

test_dso_ops_01_fail_only_deployed_elsewhere if denied("DSO-OPS-01", deployments([fx.deployment("dep-1", "staging", "v1.2.3")]))

test_dso_ops_01_fail_no_deployer if {
	dep := fx.deployment("dep-1", "prod", "v1.2.3")
	denied("DSO-OPS-01", deployments([object.union(dep, {"predicate": object.union(dep.predicate, {"deployer": ""})})]))
}

incidents(items) := fx.replace(fx.input_operate, "evidence", object.union(fx.input_operate.evidence, {fx.incident_type: items}))

test_dso_ops_03_pass_no_incidents if not denied("DSO-OPS-03", fx.input_operate)

test_dso_ops_03_pass_owned_and_linked if not denied("DSO-OPS-03", incidents([fx.incident("INC-1", "sre", "dep-1")]))

test_dso_ops_03_fail_no_owner if denied("DSO-OPS-03", incidents([fx.incident("INC-1", "", "dep-1")]))

test_dso_ops_03_fail_unknown_deployment if {
	some v in operate.deny with input as incidents([fx.incident("INC-1", "sre", "dep-9")])
	v.control == "DSO-OPS-03"
	v.finding == "INC-1"
}

test_dso_ops_03_fail_no_cause if {
	inc := fx.incident("INC-1", "sre", "")
	denied("DSO-OPS-03", incidents([object.union(inc, {"predicate": object.remove(inc.predicate, ["causedBy"])})]))
}
