package paved.build_test

import data.paved.build
import data.paved.fixtures as fx

denied(control, inp) if {
	some v in build.deny with input as inp with data.guardrails as fx.settings with time.now_ns as fx.now_ns
	v.control == control
}

warned(control, inp) if {
	some v in build.warn with input as inp with data.guardrails as fx.settings with time.now_ns as fx.now_ns
	v.control == control
}

test_dso_bld_01_pass_trusted_builder if not denied("DSO-BLD-01", fx.input_ok)

test_dso_bld_01_fail_untrusted_builder if {
	prov := json.patch(fx.provenance, [{"op": "replace", "path": "/predicate/runDetails/builder/id", "value": "https://laptop.example"}])
	denied("DSO-BLD-01", fx.with_evidence(fx.provenance_type, [prov]))
}

test_dso_bld_01_fail_signed_by_someone_else if {
	prov := json.patch(fx.provenance, [{"op": "replace", "path": "/signers", "value": ["mallory@example.com"]}])
	denied("DSO-BLD-01", fx.with_evidence(fx.provenance_type, [prov]))
}

test_dso_bld_01_fail_no_provenance if denied("DSO-BLD-01", fx.without_evidence(fx.provenance_type))

test_dso_bld_01_fail_no_trusted_builders_configured if {
	some v in build.deny with input as fx.input_ok with data.guardrails as {} with time.now_ns as fx.now_ns
	v.control == "DSO-BLD-01"
}

test_dso_bld_02_pass_clean_scan if not denied("DSO-BLD-02", fx.input_ok)

test_dso_bld_02_fail_secret_found if denied("DSO-BLD-02", fx.with_evidence(fx.secret_scan_type, [fx.secret_scan(0), fx.secret_scan(2)]))

test_dso_bld_04_pass_sbom_with_components if {
	not denied("DSO-BLD-04", fx.input_ok)
	not warned("DSO-BLD-04", fx.input_ok)
}

test_dso_bld_04_pass_spdx if {
	spdx := json.patch(fx.sbom, [{"op": "replace", "path": "/predicate/format", "value": "SPDX"}])
	inp := fx.replace(fx.without_evidence(fx.sbom_type), "evidence", object.union(fx.without_evidence(fx.sbom_type).evidence, {"https://spdx.dev/Document/v2.3": [spdx]}))
	not denied("DSO-BLD-04", inp)
}

test_dso_bld_04_fail_no_sbom if denied("DSO-BLD-04", fx.without_evidence(fx.sbom_type))

test_dso_bld_04_fail_empty_sbom if {
	empty := json.patch(fx.sbom, [{"op": "replace", "path": "/predicate/components", "value": 0}, {"op": "replace", "path": "/predicate/purls", "value": []}])
	denied("DSO-BLD-04", fx.with_evidence(fx.sbom_type, [empty]))
}

test_dso_bld_04_warn_components_without_purls if {
	partial := json.patch(fx.sbom, [{"op": "replace", "path": "/predicate/components", "value": 5}])
	inp := fx.with_evidence(fx.sbom_type, [partial])
	warned("DSO-BLD-04", inp)
	not denied("DSO-BLD-04", inp)
}

test_dso_bld_05_pass_within_sla if not denied("DSO-BLD-05", fx.input_ok)

test_dso_bld_05_pass_low_severity_old if {
	inp := fx.with_evidence(fx.vulns_type, [fx.vulns([fx.finding("CVE-2026-0003", "2.0", "2026-08-01T00:00:00Z")])])
	not denied("DSO-BLD-05", inp)
}

test_dso_bld_05_fail_critical_past_sla if {
	inp := fx.with_evidence(fx.vulns_type, [fx.vulns([fx.finding("CVE-2026-0002", "9.8", "2026-11-01T00:00:00Z")])])
	some v in build.deny with input as inp with data.guardrails as fx.settings with time.now_ns as fx.now_ns
	v.control == "DSO-BLD-05"
	v.finding == "CVE-2026-0002"
	contains(v.msg, "critical")
	contains(v.msg, "27 days")
}

test_dso_bld_05_pass_suppressed_by_vex if {
	r := {"id": "CVE-2026-0002", "severity": [{"method": "CVSS_V3", "score": "9.8"}], "annotations": [{"published": "2026-01-01T00:00:00Z", "suppressed": true, "status": "not_affected"}]}
	not denied("DSO-BLD-05", fx.with_evidence(fx.vulns_type, [fx.vulns([r])]))
}

test_dso_bld_05_fail_under_investigation_past_sla if {
	r := {"id": "CVE-2026-0002", "severity": [{"method": "CVSS_V3", "score": "9.8"}], "annotations": [{"published": "2026-01-01T00:00:00Z", "suppressed": false, "status": "under_investigation"}]}
	denied("DSO-BLD-05", fx.with_evidence(fx.vulns_type, [fx.vulns([r])]))
}

test_dso_bld_05_fail_textual_high_past_sla if {
	r := {"id": "GHSA-xxxx", "severity": [{"method": "severity", "score": "HIGH"}], "annotations": [{"published": "2026-10-01T00:00:00Z"}]}
	denied("DSO-BLD-05", fx.with_evidence(fx.vulns_type, [fx.vulns([r])]))
}

test_dso_bld_05_fail_no_first_seen if {
	r := {"id": "CVE-2026-0004", "severity": [{"method": "CVSS_V3", "score": "3.1"}]}
	denied("DSO-BLD-05", fx.with_evidence(fx.vulns_type, [fx.vulns([r])]))
}

test_dso_bld_05_fail_unknown_severity_counts_as_critical if {
	r := {"id": "CVE-2026-0005", "annotations": [{"firstSeen": "2026-11-01T00:00:00Z"}]}
	denied("DSO-BLD-05", fx.with_evidence(fx.vulns_type, [fx.vulns([r])]))
}

test_dso_bld_05_pass_custom_sla if {
	inp := fx.with_evidence(fx.vulns_type, [fx.vulns([fx.finding("CVE-2026-0002", "9.8", "2026-11-01T00:00:00Z")])])
	sla := object.union(fx.settings, {"vulnerability_sla_days": {"critical": 30}})
	vs := build.deny with input as inp with data.guardrails as sla with time.now_ns as fx.now_ns
	every v in vs {
		v.control != "DSO-BLD-05"
	}
}

bld_06_links(items) := fx.replace(fx.input_ok, "evidence", object.union(fx.input_ok.evidence, {fx.link_type: items}))

step(command, outcome) := object.union(fx.link("build", "builder@example.com"), {"predicate": {"name": "analyse", "command": command, "byproducts": {"builderId": "https://builder.example/ci@v1", "stage": "build", "outcome": outcome}}})

test_dso_bld_06_pass_go_vet_ran if not warned("DSO-BLD-06", bld_06_links([step(["go", "build", "."], "succeeded"), step(["go", "vet", "./..."], "succeeded")]))

test_dso_bld_06_pass_configured_analyser if {
	inp := bld_06_links([step(["semgrep", "scan"], "succeeded")])
	vs := build.warn with input as inp with data.guardrails as object.union(fx.settings, {"static_analysers": [["semgrep"]]}) with time.now_ns as fx.now_ns
	every v in vs {
		v.control != "DSO-BLD-06"
	}
}

test_dso_bld_06_fail_no_analyser if warned("DSO-BLD-06", bld_06_links([step(["go", "build", "."], "succeeded")]))

test_dso_bld_06_fail_analysis_failed if warned("DSO-BLD-06", bld_06_links([step(["staticcheck", "./..."], "failed")]))

# sbom_of(purls, root, hashed) is an SBOM of the root and purls with
# hashed dependencies.
sbom_of(purls, root, hashed) := json.patch(fx.sbom, [
	{"op": "replace", "path": "/predicate/purls", "value": array.concat([root], purls)},
	{"op": "replace", "path": "/predicate/components", "value": count(purls) + 1},
	{"op": "add", "path": "/predicate/root", "value": root},
	{"op": "replace", "path": "/predicate/hashed", "value": hashed},
])

test_dso_bld_03_pass_pinned_and_hashed if not warned("DSO-BLD-03", fx.input_ok)

test_dso_bld_03_pass_unversioned_root if {
	s := sbom_of(["pkg:golang/golang.org/x/text@v0.21.0", "pkg:npm/%40acme/ui@1.2.0?repository_url=x"], "pkg:golang/example.com/app", 2)
	not warned("DSO-BLD-03", fx.with_evidence(fx.sbom_type, [s]))
}

test_dso_bld_03_fail_unversioned_dependency if {
	s := sbom_of(["pkg:golang/golang.org/x/text@v0.21.0", "pkg:npm/left-pad?repository_url=x"], "pkg:golang/example.com/app", 2)
	some v in build.warn with input as fx.with_evidence(fx.sbom_type, [s]) with data.guardrails as fx.settings
	v.control == "DSO-BLD-03"
	v.finding == "pkg:npm/left-pad?repository_url=x"
}

test_dso_bld_03_fail_dependency_without_digest if {
	s := sbom_of(["pkg:golang/golang.org/x/text@v0.21.0", "pkg:golang/example.com/textfmt@v1.2.0"], "pkg:golang/example.com/app", 1)
	some v in build.warn with input as fx.with_evidence(fx.sbom_type, [s]) with data.guardrails as fx.settings
	v.control == "DSO-BLD-03"
	contains(v.msg, "1 of the 2 dependencies")
}

test_dso_bld_03_fail_summary_without_hash_count if {
	s := json.remove(fx.sbom, ["/predicate/hashed"])
	warned("DSO-BLD-03", fx.with_evidence(fx.sbom_type, [s]))
}
