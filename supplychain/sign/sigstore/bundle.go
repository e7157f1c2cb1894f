package sigstore

import (
	"fmt"

	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// MaxBundleSize is the largest bundle, in bytes, that ParseBundle and
// Verifier.Verify accept: 128 MiB, room for a DSSE envelope around a 50 MB
// SBOM once base64 has grown it by a third.
const MaxBundleSize = 128 << 20

// Bundle is a parsed sigstore bundle (media types v0.1 to v0.3): a message
// signature or a DSSE envelope, with the certificate or key hint that
// verifies it, transparency log entries and RFC 3161 timestamps. It has
// not been verified. A Bundle is not modified by verification and is safe
// for concurrent use by multiple goroutines.
type Bundle struct {
	b *bundle.Bundle
}

// ParseBundle parses a bundle's JSON and checks its structure: its media
// type, that it has content and verification material, that each
// transparency log entry is well formed and has the inclusion promise
// (v0.1) or proof (v0.2 and later) its version requires, and that its
// certificate parses. It never panics on untrusted input. Errors are
// *VerificationError values that unwrap to ErrInvalidBundle.
func ParseBundle(data []byte) (*Bundle, error) {
	if len(data) > MaxBundleSize {
		return nil, parseErr(fmt.Errorf("%d bytes, more than %d", len(data), MaxBundleSize))
	}
	b := new(bundle.Bundle)
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, parseErr(err)
	}
	if _, err := b.VerificationContent(); err != nil {
		return nil, parseErr(err)
	}
	if _, err := b.SignatureContent(); err != nil {
		return nil, parseErr(err)
	}
	return &Bundle{b: b}, nil
}

func parseErr(err error) error {
	return &VerificationError{Op: "parse", Check: "bundle", Reason: ErrInvalidBundle, Err: err}
}

// MediaType returns the bundle's media type, such as
// "application/vnd.dev.sigstore.bundle.v0.3+json".
func (b *Bundle) MediaType() string { return b.b.GetMediaType() }

// MarshalJSON encodes the bundle in the protobuf JSON form that ParseBundle
// reads.
func (b *Bundle) MarshalJSON() ([]byte, error) {
	data, err := b.b.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("sigstore: marshal bundle: %w", err)
	}
	return data, nil
}
