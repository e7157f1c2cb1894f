// Package sigstore signs into and verifies sigstore bundles, offline by
// default, with sigstore-go.
//
// # Concepts
//
// A bundle (media types v0.1 to v0.3) holds a signature, either over an
// artifact's bytes (a message signature) or over an in-toto statement in a
// DSSE envelope, together with what verifies it: a short-lived
// certificate from a certificate authority such as Fulcio ("keyless"), or
// the hint of a long-lived key; and evidence of when it was made:
// transparency log (Rekor) entries and RFC 3161 timestamps.
//
// Trusted material is what a [Verifier] believes: a trusted_root.json
// ([ParseTrustedRoot], [LoadTrustedRoot]) listing a deployment's
// certificate authorities, logs and timestamp authorities, and/or
// long-lived keys ([NewTrustedKeys]); root.TrustedMaterialCollection
// combines them. Facts about the deployment (how many log entries and
// timestamps a bundle needs, whether key-signed bundles may have none) are
// [VerifierOption] values given to [NewVerifier]. What one call expects
// (which artifact, which signer) is a [Policy]: [WithIdentity] takes the
// certificate's subject alternative name and OIDC issuer as regular
// expressions, always matched against the whole value; [WithKey] expects
// a trusted key. Options that skip a check say Unsafe.
//
// [Verifier.Verify] fails closed. A rejected bundle yields a
// [*VerificationError] that unwraps to [ErrInvalidBundle],
// [ErrInvalidPolicy], [ErrArtifactMismatch], [ErrBadSignature],
// [ErrIdentityMismatch] or [ErrUntrusted], and says which check failed. A verified one yields a [Result]: the signer as
// sign.Identity values, the verified timestamps, and for a DSSE bundle the
// exact statement bytes, which paved's attest package parses.
//
// [Sign] makes a bundle offline with a long-lived key held by any
// crypto.Signer ([Keypair]). Only the functions whose names say so reach
// the network: [FetchTrustedRoot] (TUF) and [SignKeyless] (Fulcio, Rekor,
// a timestamp authority).
//
// # Concurrency
//
// A Verifier, a Policy and a Bundle are immutable and safe for concurrent
// use by multiple goroutines; so is a Keypair whose crypto.Signer is. The
// package has no mutable package-level state and starts no goroutines.
package sigstore
