// Package sbom generates, reads, validates, compares and attests software
// bills of materials.
//
// One normalized model serves every format: an [SBOM] holds [Component]
// values (name, version, purl, hashes, licenses, supplier) and
// [Dependency] edges between them, whatever document it came from.
// [Decode] reads CycloneDX 1.2 to 1.7 (JSON or XML) and SPDX 2.2 and 2.3
// JSON into it, through github.com/CycloneDX/cyclonedx-go and
// github.com/spdx/tools-golang.
//
// Bad input yields [*Error] values wrapping [ErrInvalidSBOM] (and
// [ErrUnsupported] for formats and versions paved does not read) that say
// where the problem is: the line and column of a syntax error, the field
// of a structural one. Every problem found is reported, joined.
//
// The package keeps no state; its functions are safe for concurrent use.
package sbom
