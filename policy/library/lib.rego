# METADATA
# title: Helpers shared by paved's built-in guardrails
# description: >-
#   Evidence lookups by predicate type and the settings under
#   data.guardrails. No deny or warn rules: not an entry point.
package paved.lib

# Predicate types of the evidence the guardrails read.
provenance_type := "https://slsa.dev/provenance/v1"

testresult_type := "https://in-toto.io/attestation/test-result/v0.1"

vulns_type := "https://in-toto.io/attestation/vulns/v0.2"

vsa_type := "https://slsa.dev/verification_summary/v1"

release_type := "https://in-toto.io/attestation/release/v0.1"

secret_scan_type := "https://paved.dev/attestation/secret-scan/v1"

link_type := "https://in-toto.io/attestation/link/v0.3"

change_type := "https://paved.dev/attestation/change/v1"

decision_type := "https://paved.dev/attestation/policy-decision/v1"

ledger_release_type := "https://paved.dev/attestation/release/v1"

deployment_type := "https://paved.dev/attestation/deployment/v1"

incident_type := "https://paved.dev/attestation/incident/v1"

# evidence(t) is the list of evidence items of predicate type t.
evidence(t) := object.get(input.evidence, t, [])

# sboms lists the SBOM evidence items, CycloneDX or SPDX, versioned types
# included.
sboms := [item |
	some t, items in input.evidence
	sbom_type(t)
	some item in items
]

sbom_type(t) if startswith(t, "https://cyclonedx.org/bom")

sbom_type(t) if startswith(t, "https://spdx.dev/Document")

# settings is data.guardrails, or {} when the engine has none.
default settings := {}

settings := data.guardrails

# setting(key, fallback) is one setting, or fallback when unset.
setting(key, fallback) := object.get(settings, key, fallback)

# trusted_builders maps a builder ID to the identities that sign for it
# (data.guardrails.trusted_builders).
trusted_builders := setting("trusted_builders", {})

# steps_running(stage, commands) is the set of link records of the
# stage's steps whose command starts with one of commands (argument
# lists, such as ["go", "vet"]).
steps_running(stage, commands) := {item |
	some item in evidence(link_type)
	item.predicate.byproducts.stage == stage
	some c in commands
	array.slice(item.predicate.command, 0, count(c)) == c
}

# newest(items) is the evidence item of items recorded last (an item
# without a time counts as the oldest); undefined when items is empty.
newest(items) := sorted[count(sorted) - 1][2] if {
	sorted := sort([[recorded_ns(item), item.digest, item] | some item in items])
	count(sorted) > 0
}

recorded_ns(item) := rfc3339_ns(item.time)

default recorded_ns(_) := 0

# artifact_stages are the stages whose gates decide about the built
# artifact (Plan's gate decides about the change), in pipeline order.
artifact_stages := ["build", "test", "release", "operate"]

# gated_before(stage) lists the artifact stages that come before stage.
gated_before(stage) := [s | some i, s in artifact_stages; i < object.get(stage_index, stage, 0)]

stage_index := {s: i | some i, s in artifact_stages}

# decisions maps an artifact stage to the newest recorded policy decision
# of its gate about the subject (the predicate).
decisions[stage] := newest(items).predicate if {
	some stage in artifact_stages
	items := [item | some item in evidence(decision_type); item.predicate.stage == stage]
}

# deployed_here(d) holds when the deployment predicate d is to the gate's
# environment, or whenever the gate names none.
deployed_here(d) if not input.environment

deployed_here(d) if d.environment == input.environment

# to_environment is " to <environment>" when the gate names one, for
# messages.
to_environment := sprintf(" to %s", [input.environment]) if input.environment
else := ""

# vuln_results(item) lists the open results of a vulns evidence item:
# those no VEX statement suppressed (not_affected or fixed, which the
# scanner marks with a suppressed annotation).
vuln_results(item) := [r |
	some r in object.get(item.predicate.scanner, "result", [])
	not vex_suppressed(r)
]

vex_suppressed(r) if {
	some a in object.get(r, "annotations", [])
	a.suppressed == true
}

# past_sla(r) says why the vulnerability result r is open past its
# severity's SLA in days (data.guardrails.vulnerability_sla_days, by
# default critical 15, high 30, medium 90, low 180); undefined when it is
# within it. Its age runs from the earliest firstSeen or published
# annotation; a result without one, or without a known severity, counts
# as past its SLA and as critical.
past_sla(r) := sprintf("%s (%s) has been open %d days, past its %d-day SLA", [r.id, sev, age, sla_days[sev]]) if {
	sev := vuln_severity(r)
	seen := first_seen_ns(r)
	seen < sla_cutoff_ns[sev]
	age := floor((time.now_ns() - seen) / day_ns)
}

past_sla(r) := sprintf("%s (%s) has no firstSeen or published time, so it counts as past its SLA", [r.id, vuln_severity(r)]) if {
	not first_seen_ns(r)
}

day_ns := ((24 * 60) * 60) * 1000000000

default_sla_days := {"critical": 15, "high": 30, "medium": 90, "low": 180}

sla_days := setting("vulnerability_sla_days", default_sla_days)

# sla_cutoff_ns maps each severity to the latest first-seen time a finding
# of that severity may have and still be within its SLA, computed once.
sla_cutoff_ns[sev] := time.now_ns() - (days * day_ns) if some sev, days in sla_days

first_seen_ns(r) := min(times) if {
	times := {t |
		some a in object.get(r, "annotations", [])
		some key in ["firstSeen", "published"]
		t := rfc3339_ns(a[key])
	}
	count(times) > 0
}

ratings := ["none", "low", "medium", "high", "critical"]

rank := {name: i | some i, name in ratings}

# vuln_severity(r) is the highest rating among r's severities,
# "critical" when none is known.
vuln_severity(r) := ratings[max(ranks)] if {
	ranks := {rank[x] | some s in object.get(r, "severity", []); x := rating(s)}
	count(ranks) > 0
} else := "critical"

rating(s) := x if {
	x := lower(s.score)
	rank[x]
}

rating(s) := cvss_rating(to_number(s.score)) if regex.match(`^[0-9]+(\.[0-9]+)?$`, s.score)

cvss_rating(n) := "critical" if n >= 9
else := "high" if n >= 7
else := "medium" if n >= 4
else := "low" if n > 0
else := "none"

# rfc3339_ns(s) is s's time in nanoseconds, undefined when s is not an
# RFC 3339 time (or is Go's zero time).
rfc3339_ns(s) := time.parse_rfc3339_ns(s) if {
	is_string(s)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`, s)
	not startswith(s, "0001-")
}
