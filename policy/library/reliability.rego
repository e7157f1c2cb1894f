# METADATA
# title: Reliability guardrails
# description: >-
#   The artifact's deployments and incidents carry what the DORA metrics
#   are computed from.
package paved.reliability

import data.paved.lib

# METADATA
# title: DORA metrics are measured per service from recorded deployments
# description: >-
#   Each recorded deployment of the artifact (to input.environment, when
#   the gate names one) lists the changes it carries, without which its
#   lead time for changes cannot be measured; an artifact with no
#   deployment there has nothing to measure, and warns.
# custom:
#   control: DSO-RLB-01
#   stages: [operate]
#   evidence: ["https://paved.dev/attestation/deployment/v1"]
warn contains v if {
	count(deployments) == 0
	v := {"control": "DSO-RLB-01", "msg": sprintf("no recorded deployment of %s%s to measure", [input.subject.name, lib.to_environment])}
}

# METADATA
# custom:
#   control: DSO-RLB-01
warn contains v if {
	some d in deployments
	count(object.get(d, "changes", [])) == 0
	v := {
		"control": "DSO-RLB-01",
		"finding": d.id,
		"msg": sprintf("deployment %s of %s %s to %s lists no changes, so its lead time for changes is not measured%s", [d.id, d.service, d.version, d.environment, change_hint]),
	}
}

deployments contains item.predicate if {
	some item in lib.evidence(lib.deployment_type)
	lib.deployed_here(item.predicate)
}

change_hint := sprintf(" (it carries change %s)", [input.change.id]) if input.change.id
else := ""

# METADATA
# title: Failed deployments are recovered and their recovery time measured
# description: >-
#   No incident recorded about the artifact is still open: each has a
#   record with its resolution time, from which the failed deployment's
#   recovery time is measured. An incident is open until one of its
#   records (by ID) is resolved; an artifact without incidents has
#   nothing to recover.
# custom:
#   control: DSO-RLB-02
#   stages: [operate]
#   evidence: ["https://paved.dev/attestation/deployment/v1"]
warn contains v if {
	some id in incidents
	not resolved[id]
	incident := lib.newest([item | some item in lib.evidence(lib.incident_type); item.predicate.id == id]).predicate
	v := {
		"control": "DSO-RLB-02",
		"finding": id,
		"msg": sprintf("incident %s (%s) of %s in %s, detected at %s, is not resolved, so its recovery time is not measured", [id, incident.severity, incident.service, incident.environment, incident.detectedAt]),
	}
}

incidents contains item.predicate.id if some item in lib.evidence(lib.incident_type)

resolved contains item.predicate.id if {
	some item in lib.evidence(lib.incident_type)
	lib.rfc3339_ns(object.get(item.predicate, "resolvedAt", ""))
}
