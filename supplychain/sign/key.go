package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
)

// Algorithm names a signature scheme paved signs and verifies with.
type Algorithm string

// The supported algorithms. ECDSA hashes with SHA-256 on P-256 and SHA-384
// on P-384; RSA-PSS hashes with SHA-256 and a salt as long as the hash, as
// go-securesystemslib does, so signatures interoperate.
const (
	Ed25519   Algorithm = "ed25519"
	ECDSAP256 Algorithm = "ecdsa-p256"
	ECDSAP384 Algorithm = "ecdsa-p384"
	RSAPSS    Algorithm = "rsa-pss"
)

// MinRSABits is the smallest RSA modulus accepted: 2048 bits.
const MinRSABits = 2048

// MaxPEMSize caps the PEM files and blocks the loaders read: 64 KiB.
const MaxPEMSize = 64 << 10

// Key errors; check with errors.Is.
var (
	// ErrUnsupportedKey: a key type, curve or size paved does not sign or
	// verify with.
	ErrUnsupportedKey = errors.New("sign: unsupported key")
	// ErrInvalidKey: bytes that are not a usable PEM key.
	ErrInvalidKey = errors.New("sign: invalid key")
)

// Verifier checks signatures made by one public key. It is immutable and
// safe for concurrent use.
type Verifier struct {
	pub   crypto.PublicKey
	alg   Algorithm
	keyID string
}

// NewVerifier returns a Verifier for an Ed25519, ECDSA P-256/P-384 or RSA
// (at least MinRSABits, verified as RSA-PSS) public key.
func NewVerifier(pub crypto.PublicKey) (*Verifier, error) {
	alg, err := algorithmOf(pub)
	if err != nil {
		return nil, err
	}
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &Verifier{pub: pub, alg: alg, keyID: id}, nil
}

// KeyID returns the hex sha256 of the key's PKIX DER encoding.
func (v *Verifier) KeyID() string { return v.keyID }

// Algorithm returns the key's signature scheme.
func (v *Verifier) Algorithm() Algorithm { return v.alg }

// Public returns the public key.
func (v *Verifier) Public() crypto.PublicKey { return v.pub }

// Verify reports whether sig is the key's signature of data.
func (v *Verifier) Verify(data, sig []byte) bool {
	switch v.alg {
	case Ed25519:
		return ed25519.Verify(v.pub.(ed25519.PublicKey), data, sig)
	case ECDSAP256, ECDSAP384:
		return ecdsa.VerifyASN1(v.pub.(*ecdsa.PublicKey), digest(v.alg, data), sig)
	case RSAPSS:
		return rsa.VerifyPSS(v.pub.(*rsa.PublicKey), hashOf(v.alg), digest(v.alg, data), sig, pssOptions) == nil
	}
	return false
}

// MarshalPEM encodes the public key as a PKIX "PUBLIC KEY" PEM block.
func (v *Verifier) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(v.pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

var pssOptions = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}

// Signer signs with a private key: in memory, or any crypto.Signer such as
// a KMS or HSM client. It is safe for concurrent use if its crypto.Signer
// is.
type Signer struct {
	key crypto.Signer
	*Verifier
}

// NewSigner returns a Signer for an Ed25519, ECDSA P-256/P-384 or RSA (at
// least MinRSABits, signing RSA-PSS) private key.
func NewSigner(key crypto.Signer) (*Signer, error) {
	v, err := NewVerifier(key.Public())
	if err != nil {
		return nil, err
	}
	return &Signer{key: key, Verifier: v}, nil
}

// Sign signs data: Ed25519 signs it whole, ECDSA and RSA-PSS sign its hash.
func (s *Signer) Sign(ctx context.Context, data []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var (
		sig []byte
		err error
	)
	switch s.alg {
	case Ed25519:
		sig, err = s.key.Sign(rand.Reader, data, crypto.Hash(0))
	case RSAPSS:
		sig, err = s.key.Sign(rand.Reader, digest(s.alg, data), pssOptions)
	default:
		sig, err = s.key.Sign(rand.Reader, digest(s.alg, data), hashOf(s.alg))
	}
	if err != nil {
		return nil, fmt.Errorf("sign: key %s: %w", s.keyID, err)
	}
	return sig, nil
}

// MarshalPrivatePEM encodes the private key as a PKCS #8 "PRIVATE KEY" PEM block.
// It fails for keys held outside memory.
func (s *Signer) MarshalPrivatePEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// GenerateKey makes a new private key for alg, from crypto/rand.
func GenerateKey(alg Algorithm) (*Signer, error) {
	var (
		key crypto.Signer
		err error
	)
	switch alg {
	case Ed25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case ECDSAP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RSAPSS:
		key, err = rsa.GenerateKey(rand.Reader, 3072)
	default:
		return nil, fmt.Errorf("%w: algorithm %q", ErrUnsupportedKey, alg)
	}
	if err != nil {
		return nil, fmt.Errorf("sign: generate %s key: %w", alg, err)
	}
	return NewSigner(key)
}

// GenerateKeyFile makes a new private key for alg and writes it to path as
// PKCS #8 PEM with mode 0600, and its public key to path+".pub" as PKIX
// PEM with mode 0644. It never overwrites: an existing file is an error.
func GenerateKeyFile(alg Algorithm, path string) (*Signer, error) {
	s, err := GenerateKey(alg)
	if err != nil {
		return nil, err
	}
	priv, err := s.MarshalPrivatePEM()
	if err != nil {
		return nil, err
	}
	pub, err := s.MarshalPEM()
	if err != nil {
		return nil, err
	}
	if err := writeNew(path, priv, 0o600); err != nil {
		return nil, err
	}
	if err := writeNew(path+".pub", pub, 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("sign: write key: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("sign: write key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sign: write key: %w", err)
	}
	return nil
}

// ParsePrivateKeyPEM reads a private key from PEM: PKCS #8 ("PRIVATE
// KEY"), SEC 1 ("EC PRIVATE KEY") or PKCS #1 ("RSA PRIVATE KEY").
// Encrypted PEM is not supported.
func ParsePrivateKeyPEM(data []byte) (*Signer, error) {
	block, err := onePEM(data)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: PEM block %q is not a private key", ErrInvalidKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidKey, block.Type, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
	}
	return NewSigner(signer)
}

// ParsePublicKeyPEM reads a PKIX ("PUBLIC KEY") public key from PEM.
func ParsePublicKeyPEM(data []byte) (*Verifier, error) {
	block, err := onePEM(data)
	if err != nil {
		return nil, err
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%w: PEM block %q is not a PUBLIC KEY", ErrInvalidKey, block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return NewVerifier(pub)
}

// LoadSigner reads a private key PEM file, as ParsePrivateKeyPEM does.
func LoadSigner(path string) (*Signer, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	return ParsePrivateKeyPEM(data)
}

// LoadVerifier reads a public key PEM file, as ParsePublicKeyPEM does.
func LoadVerifier(path string) (*Verifier, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	return ParsePublicKeyPEM(data)
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sign: load key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPEMSize+1))
	if err != nil {
		return nil, fmt.Errorf("sign: load key %s: %w", path, err)
	}
	if len(data) > MaxPEMSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalidKey, path, MaxPEMSize)
	}
	return data, nil
}

// onePEM decodes the single PEM block in data.
func onePEM(data []byte) (*pem.Block, error) {
	if len(data) > MaxPEMSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidKey, MaxPEMSize)
	}
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrInvalidKey)
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, fmt.Errorf("%w: more than one PEM block", ErrInvalidKey)
	}
	if _, encrypted := block.Headers["Proc-Type"]; encrypted {
		return nil, fmt.Errorf("%w: encrypted PEM is not supported", ErrInvalidKey)
	}
	return block, nil
}

// KeyID returns the hex sha256 of a public key's PKIX DER encoding, the ID
// paved gives every key.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

func algorithmOf(pub crypto.PublicKey) (Algorithm, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			return Ed25519, nil
		}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ECDSAP256, nil
		case elliptic.P384():
			return ECDSAP384, nil
		}
		return "", fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedKey, k.Curve.Params().Name)
	case *rsa.PublicKey:
		if k.N.BitLen() >= MinRSABits {
			return RSAPSS, nil
		}
		return "", fmt.Errorf("%w: RSA key of %d bits, the minimum is %d", ErrUnsupportedKey, k.N.BitLen(), MinRSABits)
	}
	return "", fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

func hashOf(alg Algorithm) crypto.Hash {
	if alg == ECDSAP384 {
		return crypto.SHA384
	}
	return crypto.SHA256
}

func digest(alg Algorithm, data []byte) []byte {
	var h hash.Hash
	if alg == ECDSAP384 {
		h = sha512.New384()
	} else {
		h = sha256.New()
	}
	h.Write(data)
	return h.Sum(nil)
}
