// Package policytest runs Rego unit tests under go test: every rule named
// test_* in the _test.rego files beside the policies becomes a subtest,
// compiled with the engine's hermetic capabilities (policy.Capabilities),
// so a test passes here exactly when the policy would behave so in a
// policy.Engine.
//
// Run is safe for concurrent use; each call compiles its own modules.
package policytest
