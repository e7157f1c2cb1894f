# Deployment guardrails of the platform foundation. They read the target
# environment's definition from data.guardrails.environments[input.environment]
# (capability's Map.GuardrailData gives it), the identity deploying from
# input.deployer, the approvals from input.approvals, and the subject's
# earlier deployments and incidents from the evidence.
package paved.foundation

deployment_type := "https://paved.dev/attestation/deployment/v1"

incident_type := "https://paved.dev/attestation/incident/v1"

target := object.get(input, "environment", "")

environments := object.get(settings, "environments", {})

env := environments[target]

# METADATA
# title: Deployers and approvers are inside the environment's identity boundary
# custom:
#   control: DSO-FND-05
#   stages: [release, operate]
deny contains v if {
	target != ""
	not environments[target]
	v := {"control": "DSO-FND-05", "msg": sprintf("environment %q is not declared in the capability map", [target])}
}

# METADATA
# title: Deployers and approvers are inside the environment's identity boundary
# custom:
#   control: DSO-FND-05
#   stages: [release, operate]
deny contains v if {
	env
	deployer := object.get(input, "deployer", "")
	not deployer in env.deployers
	v := {"control": "DSO-FND-05", "msg": sprintf("%q may not deploy to %s (deployers: %v)", [deployer, target, env.deployers])}
}

# METADATA
# title: Deployers and approvers are inside the environment's identity boundary
# custom:
#   control: DSO-FND-05
#   stages: [release, operate]
deny contains v if {
	env
	some a in deployment_approvals
	not a.approver in env.approvers
	v := {"control": "DSO-FND-05", "msg": sprintf("%q approved a deployment to %s but is not one of its approvers (%v)", [a.approver, target, env.approvers])}
}

# METADATA
# title: Deployers and approvers are inside the environment's identity boundary
# custom:
#   control: DSO-FND-05
#   stages: [release, operate]
deny contains v if {
	env
	count(env.approvers) > 0
	count({a | some a in deployment_approvals; a.approver in env.approvers; a.approver != object.get(input, "deployer", "")}) == 0
	v := {"control": "DSO-FND-05", "msg": sprintf("a deployment to %s needs an approval by one of %v other than the deployer", [target, env.approvers])}
}

# deployment_approvals are the approvals given for a deployment to this
# environment; approvals of the change itself (no environment) and of
# other environments do not count.
deployment_approvals contains a if {
	some a in object.get(input, "approvals", [])
	a.decision == "approved"
	object.get(a, "environment", "") == target
}

# METADATA
# title: Artifacts are promoted through environments in order
# custom:
#   control: DSO-FND-02
#   stages: [release, operate]
deny contains v if {
	env.promoteFrom != ""
	count(previous) == 0
	v := {"control": "DSO-FND-02", "msg": sprintf("%s was never deployed successfully to %s, which comes before %s", [digest_name, env.promoteFrom, target])}
}

# METADATA
# title: Artifacts are promoted through environments in order
# custom:
#   control: DSO-FND-02
#   stages: [release, operate]
deny contains v if {
	env.promoteFrom != ""
	count(previous) > 0
	count(healthy) == 0
	v := {"control": "DSO-FND-02", "msg": sprintf("%s has not stayed healthy in %s for %ds yet (deployments there: %v)", [digest_name, env.promoteFrom, env.soakSeconds, sort([d.id | some d in previous])])}
}

digest_name := sprintf("%s@sha256:%s", [object.get(input.subject, "name", ""), object.get(object.get(input.subject, "digest", {}), "sha256", "")])

# previous are the subject's successful deployments to the environment
# before the target.
previous contains d if {
	some item in evidence(deployment_type)
	d := item.predicate
	d.environment == env.promoteFrom
	d.outcome == "succeeded"
}

# healthy are those that finished at least the soak time ago and caused
# no incident.
healthy contains d if {
	some d in previous
	now := time.parse_rfc3339_ns(input.time)
	finished := time.parse_rfc3339_ns(d.finishedAt)
	now - finished >= env.soakSeconds * 1000000000
	not caused_incident(d.id)
}

caused_incident(id) if {
	some item in evidence(incident_type)
	item.predicate.causedBy == id
}
