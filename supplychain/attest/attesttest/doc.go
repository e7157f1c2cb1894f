// Package attesttest provides sample predicates and subjects for tests of
// code that builds, signs, stores or evaluates attestations: one valid
// predicate of every type the attest package knows. Values are fresh on
// every call, so callers may change them.
package attesttest
