// Package supplychain holds the types every supply-chain package shares:
// a [Subject] (an artifact named by its digests) and [DigestSet], with
// streaming helpers that hash files and readers and parse and format
// digests written as "sha256:<hex>".
//
// Subpackages do the work: attest builds and parses in-toto statements,
// sign signs and verifies DSSE envelopes under a trust policy,
// sign/sigstore verifies and produces sigstore bundles, and layout verifies
// classic in-toto layouts.
//
// The package has no state; its functions are safe for concurrent use.
package supplychain
