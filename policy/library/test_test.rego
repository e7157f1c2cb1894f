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
