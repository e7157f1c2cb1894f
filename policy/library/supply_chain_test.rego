package paved.supply_chain_test

import data.paved.fixtures as fx
import data.paved.supply_chain

denied(control, inp) if {
	some v in supply_chain.deny with input as inp with data.guardrails as fx.settings
	v.control == control
}

test_dso_sup_01_pass_signed_by_release_signer if not denied("DSO-SUP-01", fx.input_ok)

test_dso_sup_01_pass_any_signer_without_list if {
	inp := fx.with_input("signatures", [{"identity": "someone@example.com"}])
	vs := supply_chain.deny with input as inp with data.guardrails as {}
	every v in vs {
		v.control != "DSO-SUP-01"
	}
}

test_dso_sup_01_fail_unsigned if denied("DSO-SUP-01", fx.with_input("signatures", []))

test_dso_sup_01_fail_not_release_signer if denied("DSO-SUP-01", fx.with_input("signatures", [{"identity": "mallory@example.com"}]))

test_dso_sup_02_pass_vsa_passed if not denied("DSO-SUP-02", fx.input_ok)

test_dso_sup_02_fail_vsa_failed if denied("DSO-SUP-02", fx.with_evidence(fx.vsa_type, [fx.vsa("PASSED"), fx.vsa("FAILED")]))

test_dso_sup_02_fail_no_vsa if denied("DSO-SUP-02", fx.without_evidence(fx.vsa_type))

test_dso_sup_05_pass_released if not denied("DSO-SUP-05", fx.input_ok)

test_dso_sup_05_fail_not_released if denied("DSO-SUP-05", fx.with_input("ledger", {"released": {"sha256:0000000000000000000000000000000000000000000000000000000000000000": true}}))

test_dso_sup_05_fail_empty_ledger if denied("DSO-SUP-05", fx.with_input("ledger", {"released": {}}))

sources := object.union(fx.settings, {"package_sources": ["pkg:golang/example.com/"]})

warned_sup_03(inp, settings) if {
	some v in supply_chain.warn with input as inp with data.guardrails as settings
	v.control == "DSO-SUP-03"
}

test_dso_sup_03_pass_all_from_trusted_source if not warned_sup_03(fx.input_ok, sources)

test_dso_sup_03_fail_untrusted_source if {
	sbom := object.union(fx.sbom, {"predicate": object.union(fx.sbom.predicate, {"purls": ["pkg:golang/example.com/a@v1.0.0", "pkg:golang/evil.example/b@v0.0.1"]})})
	some v in supply_chain.warn with input as fx.with_evidence(fx.sbom_type, [sbom]) with data.guardrails as sources
	v.control == "DSO-SUP-03"
	v.finding == "pkg:golang/evil.example/b@v0.0.1"
}

test_dso_sup_03_fail_no_sources_configured if warned_sup_03(fx.input_ok, fx.settings)

# accepted(status, vex) is input_ok whose only finding has a VEX status
# and, unless empty, the text of the statement that set it.
accepted(status, vex) := fx.with_evidence(fx.vulns_type, [fx.vulns([json.patch(fx.finding("CVE-2026-0009", "9.8", "2026-11-01T00:00:00Z"), [{
	"op": "replace", "path": "/annotations/0",
	"value": object.union({"status": status, "suppressed": status in {"not_affected", "fixed"}}, {"vex": vex | vex != ""}),
}])])])

warned_sup_04(inp) if {
	some v in supply_chain.warn with input as inp with data.guardrails as fx.settings
	v.control == "DSO-SUP-04"
}

test_dso_sup_04_pass_justified if not warned_sup_04(accepted("not_affected", "VEX not_affected: vulnerable_code_not_in_execute_path (https://vex.example/app)"))

test_dso_sup_04_pass_impact_statement if not warned_sup_04(accepted("not_affected", "VEX not_affected: the parser is never given untrusted input"))

test_dso_sup_04_pass_fixed_needs_no_justification if not warned_sup_04(accepted("fixed", "VEX fixed (https://vex.example/app)"))

test_dso_sup_04_pass_nothing_accepted if not warned_sup_04(fx.input_ok)

test_dso_sup_04_fail_no_justification if warned_sup_04(accepted("not_affected", "VEX not_affected (https://vex.example/app)"))

test_dso_sup_04_fail_no_statement if warned_sup_04(accepted("not_affected", ""))

test_dso_sup_04_fail_accepted_by_exception if {
	inp := fx.with_evidence(fx.vulns_type, [fx.vulns([fx.finding("CVE-2026-0002", "9.8", "2026-11-01T00:00:00Z")])])
	some v in supply_chain.warn with input as inp with data.guardrails as fx.settings
	v.control == "DSO-SUP-04"
	v.finding == "CVE-2026-0002"
	contains(v.msg, "EX-1")
}
