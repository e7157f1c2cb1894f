package layout

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/paved-dev/paved/supplychain/sign"
)

// MaxKeyFileSize is the largest key file ReadPublicKeysFile reads: 1 MiB,
// room for thousands of PEM public keys.
const MaxKeyFileSize = 1 << 20

// keyIDHashAlgorithms returns the key ID hash algorithms in-toto-golang and
// in-toto's reference implementation record for a key; they are part of what
// an in-toto key ID hashes.
func keyIDHashAlgorithms() []string { return []string{"sha256", "sha512"} }

// PublicKey is a root key that may sign layouts: a public key parsed from
// PEM, known both by its in-toto key ID and by paved's. A PublicKey is
// immutable and safe for concurrent use.
type PublicKey struct {
	key      in_toto.Key
	identity sign.Identity
}

// KeyID returns the key's in-toto key ID: the hex sha256 of the canonical
// JSON of its type, scheme, key ID hash algorithms and public value, as
// in-toto-golang computes it. Layout signatures name their key by it.
func (k PublicKey) KeyID() string { return k.key.KeyID }

// Identity returns the key as paved's sign package names keys: KeyID is the
// hex sha256 of the public key's PKIX DER form.
func (k PublicKey) Identity() sign.Identity { return k.identity }

// ParsePublicKeys parses every PEM block of data, each a "PUBLIC KEY" (PKIX)
// holding an Ed25519, ECDSA (P-256, P-384, P-521) or RSA key. The in-toto
// signature scheme follows from the key, as in-toto-golang chooses it:
// ed25519, ecdsa-sha2-nistpNNN by curve, rsassa-pss-sha256. Private keys,
// certificates and data outside PEM blocks are errors (ErrInvalidKey).
func ParsePublicKeys(data []byte) ([]PublicKey, error) {
	var keys []PublicKey
	var errs []error
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		k, err := parsePublicKeyBlock(block)
		if err != nil {
			errs = append(errs, fmt.Errorf("PEM block %d: %w", n, err))
			continue
		}
		keys = append(keys, k)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		errs = append(errs, errors.New("data outside PEM blocks"))
	}
	if len(keys) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no PEM block"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fail("parse", "", ErrInvalidKey, err)
	}
	return keys, nil
}

// ReadPublicKeysFile reads the file at path, at most MaxKeyFileSize bytes,
// and parses its keys as ParsePublicKeys does.
func ReadPublicKeysFile(path string) ([]PublicKey, error) {
	data, err := readCapped(path, MaxKeyFileSize)
	if err != nil {
		return nil, &VerificationError{Op: "read", Path: path, Kind: ErrInvalidKey, Err: err}
	}
	keys, err := ParsePublicKeys(data)
	if err != nil {
		var ve *VerificationError
		if errors.As(err, &ve) {
			ve.Path = path
		}
		return nil, err
	}
	return keys, nil
}

func parsePublicKeyBlock(block *pem.Block) (PublicKey, error) {
	if block.Type != "PUBLIC KEY" {
		if strings.Contains(block.Type, "PRIVATE KEY") {
			return PublicKey{}, fmt.Errorf("%s: give the public key, never a private key", block.Type)
		}
		return PublicKey{}, fmt.Errorf("PEM type %q, want PUBLIC KEY", block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return PublicKey{}, err
	}
	var scheme string
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		scheme = "ed25519"
	case *rsa.PublicKey:
		scheme = "rsassa-pss-sha256"
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			scheme = "ecdsa-sha2-nistp256"
		case elliptic.P384():
			scheme = "ecdsa-sha2-nistp384"
		case elliptic.P521():
			scheme = "ecdsa-sha2-nistp521"
		default:
			return PublicKey{}, fmt.Errorf("unsupported ECDSA curve %s", pub.Curve.Params().Name)
		}
	default:
		return PublicKey{}, fmt.Errorf("unsupported key type %T", pub)
	}
	var key in_toto.Key
	err = callLibrary(func() error {
		return key.LoadKeyReader(bytes.NewReader(pem.EncodeToMemory(block)), scheme, keyIDHashAlgorithms())
	})
	if err != nil {
		return PublicKey{}, err
	}
	id, err := pavedKeyID(pub)
	if err != nil {
		return PublicKey{}, err
	}
	return PublicKey{key: key, identity: sign.Identity{KeyID: id}}, nil
}

// pavedKeyID is paved's key ID: the hex sha256 of the PKIX DER public key.
func pavedKeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// publicKeyOf decodes an in-toto key's public value: hex for ed25519, PEM
// for RSA and ECDSA, matching its key type. in-toto-golang panics on some
// mismatches (a short ed25519 key, an RSA key labelled ecdsa), so layouts
// are checked with this before their keys are used.
func publicKeyOf(k in_toto.Key) (crypto.PublicKey, error) {
	switch k.KeyType {
	case "ed25519":
		raw, err := hex.DecodeString(k.KeyVal.Public)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("key %s: ed25519 public value is not %d hex-encoded bytes", k.KeyID, ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(raw), nil
	case "rsa", "ecdsa":
		block, _ := pem.Decode([]byte(k.KeyVal.Public))
		if block == nil {
			return nil, fmt.Errorf("key %s: public value is not PEM", k.KeyID)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", k.KeyID, err)
		}
		_, isRSA := pub.(*rsa.PublicKey)
		_, isECDSA := pub.(*ecdsa.PublicKey)
		if k.KeyType == "rsa" && !isRSA || k.KeyType == "ecdsa" && !isECDSA {
			return nil, fmt.Errorf("key %s: public value is %T, not %s", k.KeyID, pub, k.KeyType)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("key %s: unsupported key type %q", k.KeyID, k.KeyType)
}

// functionaryOf names the holder of an in-toto key. A key whose public value
// cannot be decoded keeps its in-toto key ID only.
func functionaryOf(k in_toto.Key) Functionary {
	f := Functionary{InTotoKeyID: k.KeyID}
	if pub, err := publicKeyOf(k); err == nil {
		f.Identity.KeyID, _ = pavedKeyID(pub)
	}
	return f
}

// functionaryOfCertificate names the holder of a certificate that signed a
// link: paved's key ID of its public key and, as the subject, its first URI
// or e-mail subject alternative name, else its common name.
func functionaryOfCertificate(keyID, certPEM string) Functionary {
	f := Functionary{InTotoKeyID: keyID}
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		return f
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return f
	}
	f.Identity.KeyID, _ = pavedKeyID(cert.PublicKey)
	switch {
	case len(cert.URIs) > 0:
		f.Identity.Subject = cert.URIs[0].String()
	case len(cert.EmailAddresses) > 0:
		f.Identity.Subject = cert.EmailAddresses[0]
	default:
		f.Identity.Subject = cert.Subject.CommonName
	}
	return f
}
