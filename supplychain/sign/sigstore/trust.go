package sigstore

import (
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/paved-dev/paved/supplychain/sign"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"
)

// MaxTrustedRootSize is the largest trusted_root.json, in bytes, that
// ParseTrustedRoot and LoadTrustedRoot accept: 1 MiB. The public-good root
// is about 7 KiB.
const MaxTrustedRootSize = 1 << 20

// ParseTrustedRoot parses a sigstore trusted_root.json (media type
// application/vnd.dev.sigstore.trustedroot+json;version=0.1): the
// certificate authorities, transparency logs, CT logs and timestamp
// authorities of one sigstore deployment. Errors wrap ErrInvalidTrustedRoot.
func ParseTrustedRoot(data []byte) (*root.TrustedRoot, error) {
	if len(data) > MaxTrustedRootSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidTrustedRoot, len(data), MaxTrustedRootSize)
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidTrustedRoot, err)
	}
	return tr, nil
}

// LoadTrustedRoot reads and parses the trusted_root.json at path, as
// ParseTrustedRoot does. It reads no more than MaxTrustedRootSize+1 bytes.
func LoadTrustedRoot(path string) (*root.TrustedRoot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sigstore: load trusted root: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxTrustedRootSize+1))
	if err != nil {
		return nil, fmt.Errorf("sigstore: load trusted root: %w", err)
	}
	tr, err := ParseTrustedRoot(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return tr, nil
}

// TrustedKey is a long-lived public key that a Verifier trusts to sign
// bundles, optionally only within a validity window.
type TrustedKey struct {
	// PublicKey is an *ecdsa.PublicKey (P-256, P-384 or P-521), an
	// ed25519.PublicKey or an *rsa.PublicKey (2048, 3072 or 4096 bits,
	// PKCS #1 v1.5).
	PublicKey crypto.PublicKey
	// NotBefore and NotAfter bound when the key may have signed; zero means
	// unbounded. They are checked against the bundle's verified timestamps,
	// or against the Verifier's clock for bundles verified under
	// WithOfflineKeys.
	NotBefore, NotAfter time.Time
}

// NewTrustedKeys returns trusted material holding long-lived keys, for
// bundles whose verification material is a public key rather than a
// certificate. A bundle names its key by a hint; a key matches when the hint
// is its key ID (hex sha256 of its PKIX DER, as Keypair writes) or the
// base64 of that digest (as sigstore-go writes); a bundle whose
// hint names no trusted key is rejected with ErrUntrusted.
//
// Combine it with a trusted root with root.TrustedMaterialCollection.
func NewTrustedKeys(keys ...TrustedKey) (root.TrustedMaterial, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no trusted keys", ErrInvalidOption)
	}
	byHint := make(map[string]root.TimeConstrainedVerifier, 2*len(keys))
	for i, k := range keys {
		if !k.NotAfter.IsZero() && k.NotAfter.Before(k.NotBefore) {
			return nil, fmt.Errorf("%w: trusted key %d: not after %s is before not before %s", ErrInvalidOption, i, k.NotAfter, k.NotBefore)
		}
		v, err := signature.LoadDefaultVerifier(k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("%w: trusted key %d: %w", ErrUnsupportedKey, i, err)
		}
		id, err := sign.KeyID(k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("%w: trusted key %d: %w", ErrUnsupportedKey, i, err)
		}
		sum, err := hex.DecodeString(id)
		if err != nil {
			return nil, fmt.Errorf("%w: trusted key %d: %w", ErrUnsupportedKey, i, err)
		}
		ek := root.NewExpiringKey(v, k.NotBefore, k.NotAfter)
		byHint[id] = ek
		byHint[base64.StdEncoding.EncodeToString(sum)] = ek
	}
	return root.NewTrustedPublicKeyMaterial(func(hint string) (root.TimeConstrainedVerifier, error) {
		if v, ok := byHint[hint]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("no trusted key for hint %q", hint)
	}), nil
}
