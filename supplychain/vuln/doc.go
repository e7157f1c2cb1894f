// Package vuln matches SBOM components against an OSV vulnerability
// database offline, applies OpenVEX statements and reports the findings.
//
// [LoadDir] and [LoadZip] read the OSV exports (one JSON record per file)
// into a [DB], indexed by ecosystem and package; records that do not parse
// or cannot be evaluated are kept out and listed by [DB.Problems]. A
// [Matcher] looks up each component of an [sbom.SBOM] by its purl
// ([PackageOf]) and evaluates the records' explicit versions and SEMVER and
// ECOSYSTEM ranges in the ecosystem's own version ordering ([Compare], via
// github.com/google/osv-scalibr/semantic: Go, npm, PyPI, Maven, crates.io,
// RubyGems, NuGet, Packagist and more). Records that name one
// vulnerability through aliases (CVE, GHSA, GO-) become one [Finding].
//
// Each finding has a severity from its CVSS v3.x or v4 vectors
// (github.com/pandatix/go-cvss) or the database's own rating, and a fix-by
// date from an [SLA]. OpenVEX documents (github.com/openvex/go-vex) set a
// finding's status; not_affected and fixed suppress it, and a suppressed
// finding stays in the [Report] with the statement that suppressed it.
// Reports are written as JSON, SARIF 2.1.0, or an in-toto vulns predicate.
//
// DB and Matcher are immutable and safe for concurrent use.
package vuln
