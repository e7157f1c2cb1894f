package paved.foundation_test

import data.paved.foundation

plan_type := "https://paved.dev/attestation/iac-plan/v1"

deployment_type := "https://paved.dev/attestation/deployment/v1"

incident_type := "https://paved.dev/attestation/incident/v1"

settings := {
	"iac": {"module_sources": ["terraform-aws-modules/", "git::https://git.example.com/platform/"]},
	"environments": {
		"staging": {"name": "staging", "tier": "staging", "deployers": ["bot@example.com"], "approvers": [], "controls": [], "promoteFrom": "", "soakSeconds": 0},
		"prod": {
			"name": "prod", "tier": "prod", "deployers": ["bot@example.com", "rm@example.com"],
			"approvers": ["rm@example.com", "sre@example.com"], "controls": [], "promoteFrom": "staging", "soakSeconds": 86400,
		},
	},
}

# plan(changes) is an input with one iac-plan of the given changes.
plan(changes) := {"evidence": {plan_type: [{"digest": "sha256:00", "signers": ["ci"], "predicate": {"kind": "plan", "formatVersion": "1.2", "changes": changes}}]}}

create(type, after) := {"address": sprintf("%s.x", [type]), "mode": "managed", "type": type, "action": "create", "actions": ["create"], "after": after}

denied(control, inp) if {
	some v in foundation.deny with input as inp with data.guardrails as settings
	v.control == control
}

# --- DSO-FND-06: storage not publicly readable

test_dso_fnd_06_fail_public_acl if denied("DSO-FND-06", plan([create("aws_s3_bucket_acl", {"acl": "public-read"})]))

test_dso_fnd_06_fail_access_block_off if denied("DSO-FND-06", plan([create("aws_s3_bucket_public_access_block", {
	"block_public_acls": true, "block_public_policy": false, "ignore_public_acls": true, "restrict_public_buckets": true,
})]))

test_dso_fnd_06_fail_gcs_all_users if denied("DSO-FND-06", plan([create("google_storage_bucket_iam_member", {"role": "roles/storage.objectViewer", "member": "allUsers"})]))

test_dso_fnd_06_fail_azure_container if denied("DSO-FND-06", plan([create("azurerm_storage_container", {"container_access_type": "blob"})]))

test_dso_fnd_06_pass_private if not denied("DSO-FND-06", plan([
	create("aws_s3_bucket_acl", {"acl": "private"}),
	create("aws_s3_bucket_public_access_block", {"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}),
	create("google_storage_bucket_iam_member", {"role": "roles/storage.objectViewer", "member": "group:eng@example.com"}),
	create("azurerm_storage_container", {"container_access_type": "private"}),
]))

test_dso_fnd_06_pass_public_acl_being_deleted if not denied("DSO-FND-06", plan([{
	"address": "aws_s3_bucket_acl.x", "mode": "managed", "type": "aws_s3_bucket_acl", "action": "delete", "actions": ["delete"], "before": {"acl": "public-read"},
}]))

# --- DSO-FND-07: no administrative ingress from anywhere

sg(rules) := create("aws_security_group", {"ingress": rules})

test_dso_fnd_07_fail_ssh_from_anywhere if denied("DSO-FND-07", plan([sg([{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}])]))

test_dso_fnd_07_fail_rdp_from_ipv6_anywhere if denied("DSO-FND-07", plan([sg([{"from_port": 3389, "to_port": 3389, "protocol": "tcp", "cidr_blocks": [], "ipv6_cidr_blocks": ["::/0"]}])]))

test_dso_fnd_07_fail_range_covering_postgres if denied("DSO-FND-07", plan([sg([{"from_port": 5000, "to_port": 6000, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}])]))

test_dso_fnd_07_fail_all_protocols if denied("DSO-FND-07", plan([sg([{"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}])]))

test_dso_fnd_07_fail_vpc_ingress_rule if denied("DSO-FND-07", plan([create("aws_vpc_security_group_ingress_rule", {"cidr_ipv4": "0.0.0.0/0", "from_port": 3306, "to_port": 3306, "ip_protocol": "tcp"})]))

test_dso_fnd_07_fail_sg_rule if denied("DSO-FND-07", plan([create("aws_security_group_rule", {"type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]})]))

test_dso_fnd_07_fail_gcp_firewall if denied("DSO-FND-07", plan([create("google_compute_firewall", {"direction": "INGRESS", "source_ranges": ["0.0.0.0/0"], "allow": [{"protocol": "tcp", "ports": ["80", "20-25"]}]})]))

test_dso_fnd_07_fail_gcp_firewall_all_ports if denied("DSO-FND-07", plan([create("google_compute_firewall", {"source_ranges": ["0.0.0.0/0"], "allow": [{"protocol": "all"}]})]))

test_dso_fnd_07_fail_azure_rule if denied("DSO-FND-07", plan([create("azurerm_network_security_rule", {"direction": "Inbound", "access": "Allow", "source_address_prefix": "*", "destination_port_range": "3389"})]))

test_dso_fnd_07_pass_https_from_anywhere_and_ssh_from_vpn if not denied("DSO-FND-07", plan([
	sg([
		{"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": ["::/0"]},
		{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"]},
	]),
	create("aws_security_group_rule", {"type": "egress", "from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}),
	create("google_compute_firewall", {"direction": "INGRESS", "source_ranges": ["0.0.0.0/0"], "allow": [{"protocol": "tcp", "ports": ["443"]}]}),
	create("azurerm_network_security_rule", {"direction": "Inbound", "access": "Deny", "source_address_prefix": "*", "destination_port_range": "*"}),
]))

test_dso_fnd_07_admin_ports_are_a_setting if {
	inp := plan([sg([{"from_port": 8443, "to_port": 8443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}])])
	not denied("DSO-FND-07", inp)
	some v in foundation.deny with input as inp with data.guardrails as {"iac": {"admin_ports": [8443]}}
	v.control == "DSO-FND-07"
}

# --- DSO-FND-08: encryption at rest

test_dso_fnd_08_fail_unencrypted_db if denied("DSO-FND-08", plan([create("aws_db_instance", {"storage_encrypted": false})]))

test_dso_fnd_08_fail_encryption_unset if denied("DSO-FND-08", plan([create("aws_ebs_volume", {"size": 10})]))

test_dso_fnd_08_fail_encryption_unknown if denied("DSO-FND-08", plan([create("aws_efs_file_system", {"encrypted": "(known after apply)"})]))

test_dso_fnd_08_pass_encrypted if not denied("DSO-FND-08", plan([
	create("aws_db_instance", {"storage_encrypted": true}),
	create("aws_ebs_volume", {"encrypted": true}),
	create("aws_s3_bucket", {"bucket": "b"}),
]))

# --- DSO-FND-09: protected resources

replace_protected := {
	"address": "aws_db_instance.orders", "mode": "managed", "type": "aws_db_instance", "action": "replace", "actions": ["delete", "create"],
	"before": {"tags": {"protected": "true"}}, "after": {"tags": {"protected": "true"}, "storage_encrypted": true},
}

delete_protected := {
	"address": "google_sql_database_instance.main", "mode": "managed", "type": "google_sql_database_instance", "action": "delete", "actions": ["delete"],
	"before": {"labels": {"protected": "true"}},
}

approval := {"approver": "rm@example.com", "decision": "approved", "changeId": "PR-1"}

test_dso_fnd_09_fail_replace_without_approval if denied("DSO-FND-09", plan([replace_protected]))

test_dso_fnd_09_fail_delete_without_approval if denied("DSO-FND-09", plan([delete_protected]))

test_dso_fnd_09_fail_rejected_approval if denied("DSO-FND-09", object.union(plan([delete_protected]), {"approvals": [object.union(approval, {"decision": "rejected"})]}))

test_dso_fnd_09_pass_with_approval if not denied("DSO-FND-09", object.union(plan([replace_protected, delete_protected]), {"approvals": [approval]}))

test_dso_fnd_09_pass_unprotected_delete if not denied("DSO-FND-09", plan([json.patch(delete_protected, [{"op": "replace", "path": "/before/labels", "value": {}}])]))

# --- DSO-FND-10: modules

in_module(source, version) := object.union(create("aws_vpc", {"cidr_block": "10.0.0.0/16"}), {"module": {"address": "module.m", "source": source, "version": version}})

test_dso_fnd_10_fail_source_not_allowed if denied("DSO-FND-10", plan([in_module("someone/vpc/aws", "1.0.0")]))

test_dso_fnd_10_fail_registry_range if denied("DSO-FND-10", plan([in_module("terraform-aws-modules/vpc/aws", "~> 5.0")]))

test_dso_fnd_10_fail_registry_no_version if denied("DSO-FND-10", plan([in_module("terraform-aws-modules/vpc/aws", "")]))

test_dso_fnd_10_fail_git_without_ref if denied("DSO-FND-10", plan([in_module("git::https://git.example.com/platform/net.git", "")]))

test_dso_fnd_10_fail_git_branch if denied("DSO-FND-10", plan([in_module("git::https://git.example.com/platform/net.git?ref=main", "")]))

test_dso_fnd_10_pass_pinned_sources if not denied("DSO-FND-10", plan([
	in_module("terraform-aws-modules/vpc/aws", "5.8.1"),
	in_module("git::https://git.example.com/platform/net.git?ref=v1.4.0", ""),
	in_module("git::https://git.example.com/platform/dns.git?ref=0123456789abcdef0123456789abcdef01234567", ""),
	in_module("./modules/db", ""),
]))

test_drift_reports_are_not_plans if not denied("DSO-FND-06", {"evidence": {plan_type: [{"predicate": {"kind": "drift", "changes": [create("aws_s3_bucket_acl", {"acl": "public-read"})]}}]}})

# --- DSO-FND-05: identity boundary; DSO-FND-02: promotion order

now := "2026-11-28T12:00:00Z"

staging_deploy(id, finished) := {"predicate": {
	"id": id, "service": "api", "environment": "staging", "version": "v1", "deployer": "bot@example.com",
	"kind": "normal", "outcome": "succeeded", "startedAt": finished, "finishedAt": finished,
}}

deploy(env, deployer, approvals, deployments, incidents) := {
	"stage": "release", "environment": env, "time": now, "deployer": deployer,
	"subject": {"name": "api", "digest": {"sha256": "abc"}},
	"approvals": approvals,
	"evidence": {deployment_type: deployments, incident_type: incidents},
}

prod_approval := object.union(approval, {"environment": "prod"})

prod_ok := deploy("prod", "bot@example.com", [prod_approval], [staging_deploy("D-1", "2026-11-26T12:00:00Z")], [])

test_prod_deployment_allowed if {
	not denied("DSO-FND-05", prod_ok)
	not denied("DSO-FND-02", prod_ok)
}

test_dso_fnd_05_fail_deployer_outside_boundary if denied("DSO-FND-05", json.patch(prod_ok, [{"op": "replace", "path": "/deployer", "value": "mallory@example.com"}]))

test_dso_fnd_05_fail_no_deployer if denied("DSO-FND-05", json.remove(prod_ok, ["deployer"]))

test_dso_fnd_05_fail_approver_outside_boundary if denied("DSO-FND-05", json.patch(prod_ok, [{"op": "add", "path": "/approvals/-", "value": {"approver": "intern@example.com", "decision": "approved", "changeId": "PR-1", "environment": "prod"}}]))

test_dso_fnd_05_fail_no_approval if denied("DSO-FND-05", json.patch(prod_ok, [{"op": "replace", "path": "/approvals", "value": []}]))

test_dso_fnd_05_fail_deployer_approves_own_deployment if denied("DSO-FND-05", json.patch(prod_ok, [{"op": "replace", "path": "/deployer", "value": "rm@example.com"}]))

test_dso_fnd_05_fail_change_approval_is_not_a_deployment_approval if denied("DSO-FND-05", json.patch(prod_ok, [{"op": "replace", "path": "/approvals", "value": [approval]}]))

test_dso_fnd_05_pass_approval_for_another_environment_ignored if not denied("DSO-FND-05", json.patch(prod_ok, [{"op": "add", "path": "/approvals/-", "value": {"approver": "intern@example.com", "decision": "approved", "changeId": "PR-1", "environment": "staging"}}]))

test_dso_fnd_05_fail_undeclared_environment if denied("DSO-FND-05", json.patch(prod_ok, [{"op": "replace", "path": "/environment", "value": "moon"}]))

test_dso_fnd_05_pass_staging_needs_no_approval if not denied("DSO-FND-05", deploy("staging", "bot@example.com", [], [], []))

test_dso_fnd_02_fail_never_deployed_to_staging if denied("DSO-FND-02", json.patch(prod_ok, [{"op": "replace", "path": "/evidence/https:~1~1paved.dev~1attestation~1deployment~1v1", "value": []}]))

test_dso_fnd_02_fail_staging_deployment_failed if denied("DSO-FND-02", json.patch(prod_ok, [{"op": "replace", "path": "/evidence/https:~1~1paved.dev~1attestation~1deployment~1v1/0/predicate/outcome", "value": "failed"}]))

test_dso_fnd_02_fail_soak_not_over if denied("DSO-FND-02", json.patch(prod_ok, [{"op": "replace", "path": "/evidence/https:~1~1paved.dev~1attestation~1deployment~1v1/0/predicate/finishedAt", "value": "2026-11-28T00:00:00Z"}]))

test_dso_fnd_02_fail_caused_an_incident if denied("DSO-FND-02", json.patch(prod_ok, [{"op": "add", "path": "/evidence/https:~1~1paved.dev~1attestation~1incident~1v1/-", "value": {"predicate": {"id": "INC-1", "causedBy": "D-1"}}}]))

test_dso_fnd_02_pass_soak_exactly_over if not denied("DSO-FND-02", json.patch(prod_ok, [{"op": "replace", "path": "/evidence/https:~1~1paved.dev~1attestation~1deployment~1v1/0/predicate/finishedAt", "value": "2026-11-27T12:00:00Z"}]))

test_dso_fnd_02_pass_first_environment if not denied("DSO-FND-02", deploy("staging", "bot@example.com", [], [], []))
