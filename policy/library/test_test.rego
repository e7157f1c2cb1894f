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
