// Package depcheck pins paved's architecture: which of paved's packages may
// import which, and which third-party modules each may import directly. Its
// test lists the module's packages with `go list` and fails on any edge the
// rules do not allow, naming it.
//
// Imports point toward the model (../shared/DESIGN.md): a package with no
// rule is itself a violation, so every new package has to be placed in the
// table. The package is safe for concurrent use; it keeps no state.
package depcheck
