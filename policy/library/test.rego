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

# METADATA
# title: Control evidence is complete before release
# description: >-
#   By the end of Test the artifact carries the evidence its release
#   rests on: provenance, an SBOM, a secret scan, a vulnerability scan and
#   test results.
# custom:
#   control: DSO-TST-03
#   stages: [test]
#   evidence: ["https://in-toto.io/attestation/test-result/v0.1"]
deny contains v if {
	some kind, present in release_evidence
	not present
	v := {"control": "DSO-TST-03", "msg": sprintf("%s has no %s before release", [input.subject.name, kind])}
}

release_evidence := {
	"provenance": count(lib.evidence(lib.provenance_type)) > 0,
	"SBOM": count(lib.sboms) > 0,
	"secret scan": count(lib.evidence(lib.secret_scan_type)) > 0,
	"vulnerability scan": count(lib.evidence(lib.vulns_type)) > 0,
	"test result": count(lib.evidence(lib.testresult_type)) > 0,
}

# METADATA
# title: Security tests such as fuzzing or dynamic scans run
# description: >-
#   The artifact's tests include a security test that passed: a test whose
#   name matches one of data.guardrails.security_tests (regular
#   expressions; by default Go fuzz targets, whose seed corpus go test
#   runs), or a Test step that ran one of data.guardrails.security_scanners
#   (commands, argument prefixes; by default the ZAP scans, nuclei and
#   schemathesis) and succeeded.
# custom:
#   control: DSO-TST-02
#   stages: [test]
#   evidence: ["https://in-toto.io/attestation/test-result/v0.1"]
warn contains v if {
	count(security_tests_passed) == 0
	count(scans) == 0
	v := {
		"control": "DSO-TST-02",
		"msg": sprintf("no security test of %s ran: no passed test matches data.guardrails.security_tests %v and no Test step ran one of data.guardrails.security_scanners %v", [input.subject.name, security_tests, scanners]),
	}
}

# METADATA
# custom:
#   control: DSO-TST-02
warn contains v if {
	some item in scans
	item.predicate.byproducts.outcome != "succeeded"
	v := {"control": "DSO-TST-02", "msg": sprintf("security scan %v of %s did not succeed", [item.predicate.command, input.subject.name])}
}

default_security_tests := [`(^|[./])Fuzz([^a-z]|$)`]

security_tests := lib.setting("security_tests", default_security_tests)

security_tests_passed contains name if {
	some item in lib.evidence(lib.testresult_type)
	some name in object.get(item.predicate, "passedTests", [])
	some pattern in security_tests
	regex.match(pattern, name)
}

default_scanners := [["zap-baseline.py"], ["zap-full-scan.py"], ["zap-api-scan.py"], ["nuclei"], ["schemathesis"]]

scanners := lib.setting("security_scanners", default_scanners)

scans := lib.steps_running("test", scanners)
