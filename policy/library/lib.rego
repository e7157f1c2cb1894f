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

# rfc3339_ns(s) is s's time in nanoseconds, undefined when s is not an
# RFC 3339 time (or is Go's zero time).
rfc3339_ns(s) := time.parse_rfc3339_ns(s) if {
	is_string(s)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`, s)
	not startswith(s, "0001-")
}
