# METADATA
# title: Operate guardrails
# description: Deployments and incidents of the running artifact are recorded and owned.
package paved.operate

import data.paved.lib

# METADATA
# title: Every deployment is recorded with version, environment and deployer
# description: >-
#   The artifact has a recorded deployment (to input.environment, when the
#   gate names one), and each such deployment names its version,
#   environment and deployer.
# custom:
#   control: DSO-OPS-01
#   stages: [operate]
#   evidence: ["https://paved.dev/attestation/deployment/v1"]
deny contains v if {
	count(deployments) == 0
	v := {"control": "DSO-OPS-01", "msg": sprintf("no recorded deployment of %s%s", [input.subject.name, lib.to_environment])}
}

# METADATA
# custom:
#   control: DSO-OPS-01
deny contains v if {
	some d in deployments
	some field in ["version", "environment", "deployer"]
	object.get(d, field, "") == ""
	v := {"control": "DSO-OPS-01", "finding": d.id, "msg": sprintf("deployment %s of %s records no %s", [d.id, input.subject.name, field])}
}

deployments contains item.predicate if {
	some item in lib.evidence(lib.deployment_type)
	lib.deployed_here(item.predicate)
}

# METADATA
# title: Incidents have an owner and link to the deployment that caused them
# description: >-
#   Every incident recorded about the artifact names an owner and, in
#   causedBy, a recorded deployment of it. An artifact without incidents
#   passes; an exception can waive one incident (its ID is the finding).
# custom:
#   control: DSO-OPS-03
#   stages: [operate]
deny contains v if {
	some item in lib.evidence(lib.incident_type)
	object.get(item.predicate, "owner", "") == ""
	v := {"control": "DSO-OPS-03", "finding": item.predicate.id, "msg": sprintf("incident %s has no owner", [item.predicate.id])}
}

# METADATA
# custom:
#   control: DSO-OPS-03
deny contains v if {
	some item in lib.evidence(lib.incident_type)
	cause := object.get(item.predicate, "causedBy", "")
	not deployment_ids[cause]
	v := {
		"control": "DSO-OPS-03",
		"finding": item.predicate.id,
		"msg": sprintf("incident %s links to no recorded deployment of %s (causedBy %q)", [item.predicate.id, input.subject.name, cause]),
	}
}

deployment_ids contains item.predicate.id if some item in lib.evidence(lib.deployment_type)
