// Package attest builds, encodes, parses and validates in-toto Statement v1
// attestations, the unit of evidence in paved.
//
// A [Statement] wraps the in-toto protobuf statement
// (github.com/in-toto/attestation/go/v1) together with the exact bytes it
// was encoded to or parsed from: those bytes are what gets signed and
// stored, and a statement is never re-serialized. [Build] makes a statement
// from a typed [Predicate] and subjects; [Parse] reads one, size-capped at
// [MaxStatementSize]; [Statement.Decode] turns its predicate back into a
// typed value and validates it.
//
// Typed predicates:
//   - standard ones, wrapping the attestation module's protobuf messages:
//     [Provenance] (SLSA provenance v1), [TestResult], [Vulns], [Link]
//     (v0.3), [Release] and [VSA] (SLSA verification summary v1);
//   - paved's own, where no standard exists, each with a versioned type URI
//     under https://paved.dev/attestation/, a JSON schema ([Schema]) and a
//     validator: [Approval], [Change], [PolicyDecision], [Exception],
//     [Deployment] and [Incident];
//   - [Generic], any predicate kept as its type URI and raw JSON, so that
//     foreign attestations can be stored and evaluated.
//
// Invalid input yields errors that wrap [ErrInvalidStatement] or
// [ErrInvalidPredicate]; predicate problems are [*PredicateError] values
// naming the field, all of them joined.
//
// Statements are immutable and safe for concurrent use; the package keeps
// no state.
package attest
