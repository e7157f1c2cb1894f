# METADATA
# title: Build guardrails
# description: Provenance, secret scan, SBOM and vulnerability checks.
package paved.build

import data.paved.lib

# METADATA
# title: Builds run on a hosted build platform with signed provenance
# description: >-
#   Some provenance names a builder listed in
#   data.guardrails.trusted_builders (builder ID -> signer identities) and
#   is signed by one of that builder's identities.
# custom:
#   control: DSO-BLD-01
#   stages: [build, release]
#   evidence: ["https://slsa.dev/provenance/v1"]
deny contains v if {
	count(trusted_provenance) == 0
	v := {
		"control": "DSO-BLD-01",
		"msg": sprintf("none of the %d provenance attestations is signed by a trusted builder (builders: %v)", [count(lib.evidence(lib.provenance_type)), builders]),
	}
}

builders := {b | some item in lib.evidence(lib.provenance_type); b := item.predicate.runDetails.builder.id}

trusted_provenance contains item.digest if {
	some item in lib.evidence(lib.provenance_type)
	identities := lib.trusted_builders[item.predicate.runDetails.builder.id]
	some signer in item.signers
	signer in identities
}

# METADATA
# title: Source and build files carry no secrets
# custom:
#   control: DSO-BLD-02
#   stages: [build, release]
#   evidence: ["https://paved.dev/attestation/secret-scan/v1"]
deny contains v if {
	some item in lib.evidence(lib.secret_scan_type)
	item.predicate.findings > 0
	v := {
		"control": "DSO-BLD-02",
		"msg": sprintf("secret scan by %s found %d secrets (rules: %v)", [item.predicate.scanner, item.predicate.findings, object.get(item.predicate, "rules", [])]),
	}
}

# METADATA
# title: SBOM produced per artifact
# custom:
#   control: DSO-BLD-04
#   stages: [build, release]
#   evidence: ["https://cyclonedx.org/bom", "https://spdx.dev/Document"]
deny contains v if {
	count(lib.sboms) == 0
	v := {"control": "DSO-BLD-04", "msg": sprintf("no SBOM for %s", [input.subject.name])}
}

# METADATA
# custom:
#   control: DSO-BLD-04
deny contains v if {
	count(lib.sboms) > 0
	every item in lib.sboms {
		item.predicate.components == 0
	}
	v := {"control": "DSO-BLD-04", "msg": sprintf("the SBOMs of %s list no components", [input.subject.name])}
}

# METADATA
# title: SBOM components carry package URLs
# custom:
#   control: DSO-BLD-04
warn contains v if {
	some item in lib.sboms
	missing := item.predicate.components - count(item.predicate.purls)
	missing > 0
	v := {"control": "DSO-BLD-04", "msg": sprintf("%d of the %d components of SBOM %s have no package URL", [missing, item.predicate.components, item.digest])}
}

# METADATA
# title: Dependencies have no known exploitable vulnerabilities above the threshold
# description: >-
#   No vulnerability is open longer than its severity's SLA in days
#   (data.guardrails.vulnerability_sla_days, by default critical 15, high
#   30, medium 90, low 180). A finding's age runs from the earliest
#   firstSeen or published annotation; a finding without one, or without a
#   known severity, counts as past its SLA and as critical.
# custom:
#   control: DSO-BLD-05
#   stages: [build, release]
#   evidence: ["https://in-toto.io/attestation/vulns/v0.2"]
deny contains v if {
	some item in lib.evidence(lib.vulns_type)
	some r in lib.vuln_results(item)
	msg := lib.past_sla(r)
	v := {"control": "DSO-BLD-05", "finding": r.id, "msg": msg}
}

# METADATA
# title: Static analysis runs on every build
# description: >-
#   A Build step of the artifact ran a static analyser: its link record's
#   command starts with one of data.guardrails.static_analysers (by
#   default go vet, staticcheck, golangci-lint, gosec, govulncheck and
#   semgrep) and succeeded.
# custom:
#   control: DSO-BLD-06
#   stages: [build]
warn contains v if {
	count(analyses) == 0
	v := {
		"control": "DSO-BLD-06",
		"msg": sprintf("no Build step of %s ran a static analyser (data.guardrails.static_analysers: %v)", [input.subject.name, analysers]),
	}
}

# METADATA
# custom:
#   control: DSO-BLD-06
warn contains v if {
	some item in analyses
	item.predicate.byproducts.outcome != "succeeded"
	v := {"control": "DSO-BLD-06", "msg": sprintf("static analysis %v of %s did not succeed", [item.predicate.command, input.subject.name])}
}

default_analysers := [["go", "vet"], ["staticcheck"], ["golangci-lint"], ["gosec"], ["govulncheck"], ["semgrep"]]

analysers := lib.setting("static_analysers", default_analysers)

analyses := lib.steps_running("build", analysers)

# METADATA
# title: Dependencies are pinned and locked
# description: >-
#   Every dependency in the artifact's SBOMs (each component but the root,
#   the one the SBOM describes) is pinned, its package URL naming a
#   version, and locked, recording a digest of its content such as the
#   go.sum hash of a Go module. A Go module replaced by a local directory
#   has no such hash: what it builds is whatever the directory holds.
#   Components without a package URL are DSO-BLD-04's finding.
# custom:
#   control: DSO-BLD-03
#   stages: [build]
#   evidence: ["https://cyclonedx.org/bom", "https://spdx.dev/Document"]
warn contains v if {
	some item in lib.sboms
	some purl in unpinned(item.predicate)
	v := {"control": "DSO-BLD-03", "finding": purl, "msg": sprintf("dependency %s in SBOM %s is not pinned to a version", [purl, item.digest])}
}

# METADATA
# custom:
#   control: DSO-BLD-03
warn contains v if {
	some item in lib.sboms
	deps := dependencies(item.predicate)
	unlocked := deps - object.get(item.predicate, "hashed", 0)
	unlocked > 0
	v := {
		"control": "DSO-BLD-03",
		"msg": sprintf("%d of the %d dependencies in SBOM %s record no digest, so no lock file fixes their content", [unlocked, deps, item.digest]),
	}
}

# unpinned(sbom) lists the package URLs of an SBOM summary, its root's
# aside, that name no version: they hold no "@", which a canonical
# package URL has only before its version. As an SBOM may list
# thousands, one count of the "@"s in all of them comes first.
unpinned(sbom) := [] if {
	strings.count(concat(" ", sbom.purls), "@") >= count(sbom.purls) - unversioned_root(sbom)
} else := [purl |
	some purl in sbom.purls
	not contains(purl, "@")
	purl != object.get(sbom, "root", "")
]

# unversioned_root(sbom) is 1 when the SBOM's root is a package URL
# without a version, else 0.
default unversioned_root(_) := 0

unversioned_root(sbom) := 1 if {
	startswith(sbom.root, "pkg:")
	not contains(sbom.root, "@")
}

# dependencies(sbom) is the number of an SBOM summary's components other
# than its root.
dependencies(sbom) := sbom.components - 1 if sbom.root
else := sbom.components
