// Package capabilitytest builds a realistic assessment scenario for
// tests: a service whose pipeline recorded signed evidence in a real
// SQLite evidence store, the default capability map with an exception,
// and a policy engine bound to the map. Packages that consume
// assessments (reports, routing) test against it.
//
// Each Scenario is independent and lives in the test's temporary
// directory; a Scenario is not safe for concurrent use.
package capabilitytest
