// Package sign signs in-toto statements into DSSE envelopes and verifies
// them offline under a trust policy.
//
// A [Signer] holds a private key (Ed25519, ECDSA P-256 or P-384, or
// RSA-PSS); key IDs are the hex sha256 of the public key's PKIX DER form.
// [Verify] checks an envelope's payload type, every signature and a
// threshold, and which keys the [Trust] policy allows to sign the
// statement's predicate type, and returns the statement with the
// [Identity] values that signed it. Rejections are *VerificationError
// values that unwrap to sentinels such as [ErrBadSignature].
//
// Keyless and bundle signatures live in the sigstore subpackage.
package sign
