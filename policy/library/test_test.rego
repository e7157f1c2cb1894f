package paved.test_test

import data.paved.fixtures as fx
import data.paved.test

denied(control, inp) if {
	some v in test.deny with input as inp with time.now_ns as fx.now_ns
	v.control == control
}

warned(control, inp) if {
	some v in test.warn with input as inp with time.now_ns as fx.now_ns
	v.control == control
}

test_dso_tst_01_pass_tests_passed if {
	not denied("DSO-TST-01", fx.input_ok)
	not warned("DSO-TST-01", fx.input_ok)
}

test_dso_tst_01_fail_tests_failed if denied("DSO-TST-01", fx.with_evidence(fx.testresult_type, [fx.testresult("PASSED"), fx.testresult("FAILED")]))

test_dso_tst_01_fail_no_results if denied("DSO-TST-01", fx.without_evidence(fx.testresult_type))

test_dso_tst_01_warn_tests_warned if {
	inp := fx.with_evidence(fx.testresult_type, [fx.testresult("WARNED")])
	warned("DSO-TST-01", inp)
	not denied("DSO-TST-01", inp)
}

test_dso_tst_03_pass_evidence_complete if not denied("DSO-TST-03", fx.replace(fx.input_ok, "stage", "test"))

test_dso_tst_03_pass_spdx_sbom if {
	inp := fx.replace(fx.without_evidence(fx.sbom_type), "evidence", object.union(object.remove(fx.input_ok.evidence, [fx.sbom_type]), {"https://spdx.dev/Document": [fx.sbom]}))
	not denied("DSO-TST-03", inp)
}

test_dso_tst_03_fail_no_secret_scan if {
	some v in test.deny with input as fx.without_evidence(fx.secret_scan_type)
	v.control == "DSO-TST-03"
	contains(v.msg, "secret scan")
}

test_dso_tst_03_fail_no_sbom if denied("DSO-TST-03", fx.without_evidence(fx.sbom_type))

test_dso_tst_03_fail_no_provenance if denied("DSO-TST-03", fx.without_evidence(fx.provenance_type))

# tests(passed) is test-result evidence of the passed tests.
tests(passed) := fx.with_evidence(fx.testresult_type, [json.patch(fx.testresult("PASSED"), [
	{"op": "replace", "path": "/predicate/passedTests", "value": passed},
	{"op": "remove", "path": "/predicate/failedTests"},
])])

# scan(command, outcome) is input_ok with a Test step that ran command.
scan(command, outcome) := fx.replace(tests(["example.com/app.TestGreet"]), "evidence", object.union(tests(["example.com/app.TestGreet"]).evidence, {fx.link_type: [object.union(
	fx.link("test", "builder@example.com"),
	{"predicate": {"name": "dast", "command": command, "byproducts": {"builderId": "https://builder.example/ci@v1", "stage": "test", "outcome": outcome}}},
)]}))

test_dso_tst_02_pass_fuzz_target_seed_corpus if not warned("DSO-TST-02", tests(["example.com/app.TestGreet", "example.com/app.FuzzGreet/seed#0"]))

test_dso_tst_02_pass_dynamic_scan if not warned("DSO-TST-02", scan(["zap-baseline.py", "-t", "https://staging.example"], "succeeded"))

test_dso_tst_02_pass_configured_test_names if {
	inp := tests(["com.example.AuthSecurityIT.rejectsForgedToken"])
	not warned("DSO-TST-02", inp) with data.guardrails as {"security_tests": [`SecurityIT\.`]}
	warned("DSO-TST-02", inp)
}

test_dso_tst_02_fail_functional_tests_only if warned("DSO-TST-02", tests(["example.com/app.TestGreet", "example.com/app.TestFuzzyMatch"]))

test_dso_tst_02_fail_scan_failed if {
	some v in test.warn with input as scan(["nuclei", "-u", "https://staging.example"], "failed")
	v.control == "DSO-TST-02"
	contains(v.msg, "did not succeed")
}

test_dso_tst_02_fail_scan_at_another_stage if {
	inp := scan(["zap-baseline.py"], "succeeded")
	link := json.patch(inp.evidence[fx.link_type][0], [{"op": "replace", "path": "/predicate/byproducts/stage", "value": "operate"}])
	warned("DSO-TST-02", fx.replace(inp, "evidence", fx.replace(inp.evidence, fx.link_type, [link])))
}
