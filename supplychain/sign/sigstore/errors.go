package sigstore

import (
	"errors"
	"fmt"
)

// Sentinel errors; check with errors.Is. Verification failures are
// *VerificationError values that unwrap to one of ErrInvalidBundle,
// ErrInvalidPolicy, ErrArtifactMismatch, ErrBadSignature,
// ErrIdentityMismatch or ErrUntrusted.
var (
	// ErrInvalidBundle: bytes that are not a sigstore bundle this package can
	// verify (malformed JSON, an unknown media type, more than one DSSE
	// signature, a DSSE payload that is not an in-toto statement, or more
	// than MaxBundleSize bytes).
	ErrInvalidBundle = errors.New("sigstore: invalid bundle")
	// ErrInvalidTrustedRoot: a trusted_root.json that cannot be parsed, or
	// more than MaxTrustedRootSize bytes.
	ErrInvalidTrustedRoot = errors.New("sigstore: invalid trusted root")
	// ErrInvalidOption: an option that is out of range, given twice, or in
	// conflict with another.
	ErrInvalidOption = errors.New("sigstore: invalid option")
	// ErrInvalidPolicy: a Policy that does not say what to expect of the
	// artifact or of the signer.
	ErrInvalidPolicy = errors.New("sigstore: invalid policy")
	// ErrInvalidContent: content that cannot be signed into a bundle.
	ErrInvalidContent = errors.New("sigstore: invalid content")
	// ErrUnsupportedKey: a key type or size sigstore cannot sign or verify
	// with.
	ErrUnsupportedKey = errors.New("sigstore: unsupported key")
	// ErrArtifactMismatch: the bundle signs another artifact than the one the
	// policy names.
	ErrArtifactMismatch = errors.New("sigstore: artifact mismatch")
	// ErrBadSignature: the signature does not verify with the bundle's
	// certificate or key.
	ErrBadSignature = errors.New("sigstore: bad signature")
	// ErrIdentityMismatch: the signature is valid but made by a signer the
	// policy does not accept (another SAN or issuer, or a key where a
	// certificate identity was expected, or the reverse).
	ErrIdentityMismatch = errors.New("sigstore: identity mismatch")
	// ErrUntrusted: the bundle does not chain to the trusted material or does
	// not meet the verifier's thresholds: an unknown certificate authority
	// or key, a transparency log entry or timestamp that is missing or does
	// not verify, a key used outside its validity window.
	ErrUntrusted = errors.New("sigstore: untrusted")
)

// VerificationError reports a bundle that was rejected, and why. It unwraps
// both to Reason, one of this package's sentinels, and to Err, the cause.
type VerificationError struct {
	// Op is the operation: "parse" or "verify".
	Op string
	// Check names what failed: "bundle", "policy", "artifact", "signature",
	// "identity", "key", "transparency log", "timestamps" or "certificate".
	Check string
	// Reason is the sentinel callers branch on, such as ErrBadSignature.
	Reason error
	// Err is the underlying cause, often from sigstore-go.
	Err error
}

// Error formats the failure as "sigstore: op check: cause".
func (e *VerificationError) Error() string {
	return fmt.Sprintf("sigstore: %s %s: %v", e.Op, e.Check, e.Err)
}

// Unwrap returns the sentinel reason and the cause, so that errors.Is
// matches either.
func (e *VerificationError) Unwrap() []error { return []error{e.Reason, e.Err} }

func verifyErr(check string, reason, err error) *VerificationError {
	return &VerificationError{Op: "verify", Check: check, Reason: reason, Err: err}
}
