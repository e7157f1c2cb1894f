package sigstore

import (
	"context"
	"crypto"
	"crypto/rand"
	"fmt"

	"github.com/paved-dev/paved/supplychain/sign"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sigsign "github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Keypair signs sigstore bundles with a long-lived key held by a
// crypto.Signer (a private key in memory, or one in a KMS or HSM). It
// implements sigstore-go's sign.Keypair. The bundles it makes name the key
// by its key ID and verify against NewTrustedKeys. A Keypair is safe for
// concurrent use by multiple goroutines if its crypto.Signer is.
type Keypair struct {
	signer  crypto.Signer
	details signature.AlgorithmDetails
	keyID   string
	pem     string
}

var _ sigsign.Keypair = (*Keypair)(nil)

// NewKeypair returns a Keypair over signer, whose public key must be ECDSA
// P-256 (signing SHA-256 digests), P-384 (SHA-384), P-521 (SHA-512),
// Ed25519 (pure Ed25519), or RSA of 2048, 3072 or 4096 bits (PKCS #1 v1.5
// with SHA-256). Other keys are rejected with ErrUnsupportedKey.
func NewKeypair(signer crypto.Signer) (*Keypair, error) {
	if signer == nil {
		return nil, fmt.Errorf("%w: nil signer", ErrUnsupportedKey)
	}
	pub := signer.Public()
	details, err := signature.GetDefaultAlgorithmDetails(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %T: %w", ErrUnsupportedKey, pub, err)
	}
	id, err := sign.KeyID(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	pem, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	return &Keypair{signer: signer, details: details, keyID: id, pem: string(pem)}, nil
}

// KeyID returns the hex sha256 of the public key's PKIX DER form, the
// hint that bundles signed by k carry and the KeyID of sign.Identity.
func (k *Keypair) KeyID() string { return k.keyID }

// GetHashAlgorithm returns the digest algorithm of message signatures:
// the one the key signs, or SHA2_512 for pure Ed25519, which signs the
// message itself.
func (k *Keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	if k.details.GetHashType() == 0 {
		return protocommon.HashAlgorithm_SHA2_512
	}
	return k.details.GetProtoHashType()
}

// GetSigningAlgorithm returns the sigstore name of the signature
// algorithm, such as PKIX_ECDSA_P256_SHA_256.
func (k *Keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return k.details.GetSignatureAlgorithm()
}

// GetHint returns the key ID, which bundles carry to name their key.
func (k *Keypair) GetHint() []byte { return []byte(k.keyID) }

// GetKeyAlgorithm returns "ECDSA", "ED25519" or "RSA".
func (k *Keypair) GetKeyAlgorithm() string {
	switch k.details.GetKeyType() {
	case signature.ECDSA:
		return "ECDSA"
	case signature.ED25519:
		return "ED25519"
	default:
		return "RSA"
	}
}

// GetPublicKey returns the public key.
func (k *Keypair) GetPublicKey() crypto.PublicKey { return k.signer.Public() }

// GetPublicKeyPem returns the public key in PEM-encoded PKIX form.
func (k *Keypair) GetPublicKeyPem() (string, error) { return k.pem, nil }

// SignData signs data and returns the signature and the digest of data
// under GetHashAlgorithm. ECDSA and RSA sign that digest; Ed25519 signs
// data itself. The context is checked before signing and is not passed to
// the crypto.Signer.
func (k *Keypair) SignData(ctx context.Context, data []byte) (sig, digest []byte, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("sigstore: sign: %w", err)
	}
	h, opts := k.details.GetHashType(), k.details.GetHashType()
	if h == 0 {
		// Pure Ed25519 signs the message itself; the bundle records its
		// SHA-512 digest.
		h = crypto.SHA512
	}
	hh := h.New()
	hh.Write(data)
	digest = hh.Sum(nil)
	signed := digest
	if opts == 0 {
		signed = data
	}
	sig, err = k.signer.Sign(rand.Reader, signed, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("sigstore: sign key %s: %w", k.keyID, err)
	}
	return sig, digest, nil
}
