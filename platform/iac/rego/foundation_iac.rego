# METADATA
# title: Platform foundation guardrails
# description: >-
#   Infrastructure-as-code guardrails over paved's iac-plan evidence (see
#   platform/iac), and deployment guardrails over the target environment
#   (see foundation_environment.rego). Settings under data.guardrails.iac:
#   module_sources (allowed module source prefixes; local modules are
#   always allowed), admin_ports (ports that must not be open to the
#   internet) and protected_label (the tag or label that marks a protected
#   resource, default "protected").
package paved.foundation

iac_plan_type := "https://paved.dev/attestation/iac-plan/v1"

# evidence(t) is the list of evidence items of predicate type t.
evidence(t) := object.get(object.get(input, "evidence", {}), t, [])

default settings := {}

settings := data.guardrails

iac_setting(key, fallback) := object.get(object.get(settings, "iac", {}), key, fallback)

# changes are the resource changes of the plans (not drift reports) in the
# evidence.
changes contains c if {
	some item in evidence(iac_plan_type)
	item.predicate.kind == "plan"
	some c in item.predicate.changes
}

# live holds the changes that leave a resource in place with known values.
live contains c if {
	some c in changes
	c.mode == "managed"
	c.action in {"create", "update", "replace"}
	is_object(c.after)
}

public_acls := {"public-read", "public-read-write", "authenticated-read"}

public_members := {"allUsers", "allAuthenticatedUsers"}

# METADATA
# title: Storage is not publicly readable
# custom:
#   control: DSO-FND-06
#   stages: [plan, release]
deny contains v if {
	some c in live
	why := public_storage(c)
	v := {"control": "DSO-FND-06", "msg": sprintf("%s makes storage publicly readable: %s", [c.address, why])}
}

public_storage(c) := sprintf("acl %q", [c.after.acl]) if {
	c.type in {"aws_s3_bucket_acl", "aws_s3_bucket"}
	c.after.acl in public_acls
}

public_storage(c) := sprintf("%s is false", [concat(", ", off)]) if {
	c.type == "aws_s3_bucket_public_access_block"
	off := [k |
		some k in ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]
		object.get(c.after, k, false) != true
	]
	count(off) > 0
}

public_storage(c) := sprintf("grants %s to %s", [c.after.role, concat(", ", members)]) if {
	c.type in {"google_storage_bucket_iam_member", "google_storage_bucket_iam_binding"}
	members := [m |
		some m in array.concat([object.get(c.after, "member", "")], object.get(c.after, "members", []))
		m in public_members
	]
	count(members) > 0
}

public_storage(c) := sprintf("container_access_type %q", [c.after.container_access_type]) if {
	c.type == "azurerm_storage_container"
	c.after.container_access_type in {"blob", "container"}
}

public_storage(c) := "allow_nested_items_to_be_public is true" if {
	c.type == "azurerm_storage_account"
	c.after.allow_nested_items_to_be_public == true
}

default_admin_ports := [22, 23, 1433, 1521, 2375, 2379, 3306, 3389, 5432, 5985, 5986, 6379, 9200, 27017]

admin_ports := iac_setting("admin_ports", default_admin_ports)

anywhere := {"0.0.0.0/0", "::/0", "*", "Internet", "Any"}

# METADATA
# title: No administrative port is open to the internet
# custom:
#   control: DSO-FND-07
#   stages: [plan, release]
deny contains v if {
	some c in live
	some rule in ingress(c)
	some source in rule.sources
	source in anywhere
	ports := exposed(rule)
	count(ports) > 0
	v := {"control": "DSO-FND-07", "msg": sprintf("%s opens administrative ports %v to %s", [c.address, sort(ports), source])}
}

# ingress(c) lists c's inbound rules as {sources, from, to, all}.
ingress(c) := [aws_rule(rule, object.get(rule, "protocol", "")) | some rule in object.get(c.after, "ingress", [])] if {
	c.type == "aws_security_group"
}

ingress(c) := [aws_rule(c.after, object.get(c.after, "protocol", ""))] if {
	c.type == "aws_security_group_rule"
	c.after.type == "ingress"
}

ingress(c) := [r] if {
	c.type == "aws_vpc_security_group_ingress_rule"
	r := {
		"sources": [s | some s in [object.get(c.after, "cidr_ipv4", null), object.get(c.after, "cidr_ipv6", null)]; is_string(s)],
		"from": object.get(c.after, "from_port", 0),
		"to": object.get(c.after, "to_port", 65535),
		"all": c.after.ip_protocol in {"-1", "all"},
	}
}

ingress(c) := [r |
	some allow in object.get(c.after, "allow", [])
	some r in gcp_rules(object.get(c.after, "source_ranges", []), allow)
] if {
	c.type == "google_compute_firewall"
	object.get(c.after, "direction", "INGRESS") in {"INGRESS", null}
}

ingress(c) := [r] if {
	c.type == "azurerm_network_security_rule"
	c.after.direction == "Inbound"
	c.after.access == "Allow"
	r := port_range(
		[s | some s in array.concat([object.get(c.after, "source_address_prefix", "")], object.get(c.after, "source_address_prefixes", []))],
		object.get(c.after, "destination_port_range", "*"),
	)
}

aws_rule(rule, protocol) := {
	"sources": array.concat(object.get(rule, "cidr_blocks", []), object.get(rule, "ipv6_cidr_blocks", [])),
	"from": object.get(rule, "from_port", 0),
	"to": object.get(rule, "to_port", 0),
	"all": protocol in {"-1", "all"},
}

gcp_rules(sources, allow) := [{"sources": sources, "from": 0, "to": 65535, "all": true}] if {
	count(object.get(allow, "ports", [])) == 0
}

gcp_rules(sources, allow) := [port_range(sources, p) | some p in allow.ports] if count(object.get(allow, "ports", [])) > 0

# port_range turns "22", "1000-2000" or "*" into a rule.
port_range(sources, spec) := {"sources": sources, "from": 0, "to": 65535, "all": true} if spec == "*"

port_range(sources, spec) := {"sources": sources, "from": to_number(parts[0]), "to": to_number(parts[count(parts) - 1]), "all": false} if {
	spec != "*"
	parts := split(spec, "-")
}

exposed(rule) := {p | some p in admin_ports} if rule.all

exposed(rule) := {p | some p in admin_ports; rule.from <= p; p <= rule.to} if not rule.all

# encrypted_attribute maps resource types that can encrypt at rest to the
# attribute that must be true.
encrypted_attribute := {
	"aws_db_instance": "storage_encrypted",
	"aws_rds_cluster": "storage_encrypted",
	"aws_docdb_cluster": "storage_encrypted",
	"aws_neptune_cluster": "storage_encrypted",
	"aws_ebs_volume": "encrypted",
	"aws_efs_file_system": "encrypted",
	"aws_redshift_cluster": "encrypted",
	"aws_elasticache_replication_group": "at_rest_encryption_enabled",
}

# METADATA
# title: Data is encrypted at rest where the resource supports it
# custom:
#   control: DSO-FND-08
#   stages: [plan, release]
deny contains v if {
	some c in live
	attr := encrypted_attribute[c.type]
	object.get(c.after, attr, null) != true
	v := {"control": "DSO-FND-08", "msg": sprintf("%s does not encrypt data at rest: %s is %v, want true", [c.address, attr, object.get(c.after, attr, null)])}
}

protected_label := iac_setting("protected_label", "protected")

protected(c) if {
	some field in ["tags", "labels"]
	object.get(object.get(c.before, field, {}), protected_label, null) in {"true", true}
}

approved if {
	some a in object.get(input, "approvals", [])
	a.decision == "approved"
}

# METADATA
# title: Deleting or replacing a protected resource is approved
# custom:
#   control: DSO-FND-09
#   stages: [plan, release]
deny contains v if {
	some c in changes
	c.action in {"delete", "replace"}
	is_object(c.before)
	protected(c)
	not approved
	v := {"control": "DSO-FND-09", "msg": sprintf("%s is labelled %s and would be %sd without an approval", [c.address, protected_label, c.action])}
}

module_sources := iac_setting("module_sources", [])

local_source(src) if startswith(src, "./")

local_source(src) if startswith(src, "../")

allowed_source(src) if local_source(src)

allowed_source(src) if {
	some prefix in module_sources
	startswith(src, prefix)
}

# A registry source (no "::" forced getter, no URL) is pinned by an exact
# version; any other remote source by a ref that is a version tag or a
# full commit.
exact_version := `^=?\s*v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`

registry_source(src) if {
	not contains(src, "::")
	not contains(src, "://")
	not startswith(src, "git@")
	not startswith(src, "github.com/")
	not startswith(src, "bitbucket.org/")
}

pinned(m) if local_source(m.source)

pinned(m) if {
	registry_source(m.source)
	regex.match(exact_version, object.get(m, "version", ""))
}

pinned(m) if {
	not registry_source(m.source)
	regex.match(`[?&]ref=(v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?|[0-9a-f]{40})(&|$)`, m.source)
}

modules contains c.module if {
	some c in changes
	c.module
}

# METADATA
# title: Infrastructure modules come from allowed sources, pinned to a version
# custom:
#   control: DSO-FND-10
#   stages: [plan, release]
deny contains v if {
	some m in modules
	not allowed_source(m.source)
	v := {"control": "DSO-FND-10", "msg": sprintf("%s comes from %q, which is not an allowed module source", [m.address, m.source])}
}

# METADATA
# title: Infrastructure modules come from allowed sources, pinned to a version
# custom:
#   control: DSO-FND-10
#   stages: [plan, release]
deny contains v if {
	some m in modules
	not pinned(m)
	v := {"control": "DSO-FND-10", "msg": sprintf("%s (%s) is not pinned to a version: version %q", [m.address, m.source, object.get(m, "version", "")])}
}
