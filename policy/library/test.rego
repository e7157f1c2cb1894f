# METADATA
# title: Test guardrails
package paved.test

import data.paved.lib

# METADATA
# title: Functional tests pass
# description: Every test result for the artifact is PASSED; WARNED warns.
# custom:
#   control: DSO-TST-01
#   stages: [test, release]
#   evidence: ["https://in-toto.io/attestation/test-result/v0.1"]
deny contains v if {
	some item in lib.evidence(lib.testresult_type)
	item.predicate.result == "FAILED"
	v := {
		"control": "DSO-TST-01",
		"msg": sprintf("tests failed: %v", [object.get(item.predicate, "failedTests", [])]),
	}
}

# METADATA
# custom:
#   control: DSO-TST-01
deny contains v if {
	count(lib.evidence(lib.testresult_type)) == 0
	v := {"control": "DSO-TST-01", "msg": sprintf("no test results for %s", [input.subject.name])}
}

# METADATA
# title: Functional tests pass without warnings
# custom:
#   control: DSO-TST-01
warn contains v if {
	some item in lib.evidence(lib.testresult_type)
	item.predicate.result == "WARNED"
	v := {
		"control": "DSO-TST-01",
		"msg": sprintf("tests warned: %v", [object.get(item.predicate, "warnedTests", [])]),
	}
}
