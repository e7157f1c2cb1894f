// Package sbom generates, reads, validates, compares and attests software
// bills of materials.
//
// One normalized model serves every format: an [SBOM] holds [Component]
// values (name, version, purl, hashes, licenses, supplier) and
// [Dependency] edges between them, whatever document it came from.
// [Decode] reads CycloneDX 1.2 to 1.7 (JSON or XML) and SPDX 2.2 and 2.3
// JSON into it, through github.com/CycloneDX/cyclonedx-go and
// github.com/spdx/tools-golang; [FromCycloneDX] normalizes a BOM held in
// memory.
//
// Generation makes CycloneDX 1.6 with cyclonedx-go, written by [Encode]
// as JSON or XML:
//   - [GenerateModule] for a Go module directory: the modules that provide
//     packages to its build (what `go mod why -m` reports as needed, the
//     set `cyclonedx-gomod mod` lists), or with [WithFullGraph] the whole
//     module graph, with pkg:golang purls, go.sum hashes, licenses found in
//     the module cache and the `go mod graph` edges. It runs the go command
//     offline unless [WithDownloads] is given.
//   - [GenerateBinary] for a compiled Go binary, from debug/buildinfo: the
//     modules `go version -m` shows, the Go version and build settings.
//
// Both fill in a serial number, a timestamp ([WithClock]) and paved as the
// tool.
//
// A [Validator] checks CycloneDX JSON against the official JSON schemas,
// embedded (schema/README.md). [NTIA] reports the NTIA minimum elements an
// SBOM lacks; [Diff] says what was added, removed or changed in version
// between two SBOMs; [Predicate] wraps a document as an in-toto predicate
// of the CycloneDX or SPDX type for attest.Build.
//
// Bad input yields [*Error] values wrapping [ErrInvalidSBOM] (and
// [ErrUnsupported] for formats and versions paved does not read) that say
// where the problem is: the line and column of a syntax error, the field
// of a structural one. Every problem found is reported, joined.
//
// The package keeps no state; its functions are safe for concurrent use,
// and so is a Validator.
package sbom
