package sign_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/sign"
)

var algorithms = []sign.Algorithm{sign.Ed25519, sign.ECDSAP256, sign.ECDSAP384, sign.RSAPSS}

func TestKeysSignAndVerify(t *testing.T) {
	ctx := context.Background()
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s, err := sign.GenerateKey(alg)
			require.NoError(t, err)
			assert.Equal(t, alg, s.Algorithm())

			der, err := x509.MarshalPKIXPublicKey(s.Public())
			require.NoError(t, err)
			sum := sha256.Sum256(der)
			assert.Equal(t, hex.EncodeToString(sum[:]), s.KeyID(), "key ID is the sha256 of the PKIX DER")

			sig, err := s.Sign(ctx, []byte("message"))
			require.NoError(t, err)
			assert.True(t, s.Verify([]byte("message"), sig))
			assert.False(t, s.Verify([]byte("massage"), sig))
			sig[len(sig)/2] ^= 1
			assert.False(t, s.Verify([]byte("message"), sig))

			// PKCS #8 and PKIX round trips.
			privPEM, err := s.MarshalPrivatePEM()
			require.NoError(t, err)
			back, err := sign.ParsePrivateKeyPEM(privPEM)
			require.NoError(t, err)
			assert.Equal(t, s.KeyID(), back.KeyID())
			pubPEM, err := s.MarshalPEM()
			require.NoError(t, err)
			v, err := sign.ParsePublicKeyPEM(pubPEM)
			require.NoError(t, err)
			assert.Equal(t, s.KeyID(), v.KeyID())

			sig, err = back.Sign(ctx, []byte("again"))
			require.NoError(t, err)
			assert.True(t, v.Verify([]byte("again"), sig))
		})
	}
}

func TestParseLegacyPEMForms(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sec1, err := x509.MarshalECPrivateKey(ec)
	require.NoError(t, err)
	s, err := sign.ParsePrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}))
	require.NoError(t, err, "SEC 1")
	assert.Equal(t, sign.ECDSAP256, s.Algorithm())

	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	s, err = sign.ParsePrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	require.NoError(t, err, "PKCS #1")
	assert.Equal(t, sign.RSAPSS, s.Algorithm())
}

func TestKeyRejections(t *testing.T) {
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	_, err = sign.NewSigner(p521)
	assert.ErrorIs(t, err, sign.ErrUnsupportedKey)

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	_, err = sign.NewVerifier(&small.PublicKey)
	assert.ErrorIs(t, err, sign.ErrUnsupportedKey)

	_, err = sign.GenerateKey("dsa")
	assert.ErrorIs(t, err, sign.ErrUnsupportedKey)

	good, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	pub, err := good.MarshalPEM()
	require.NoError(t, err)
	priv, err := good.MarshalPrivatePEM()
	require.NoError(t, err)

	for name, data := range map[string][]byte{
		"empty":             nil,
		"not PEM":           []byte("hello"),
		"two blocks":        append(append([]byte{}, priv...), priv...),
		"public as private": pub,
		"corrupt DER":       pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
		"encrypted":         pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}}),
		"too large":         make([]byte, sign.MaxPEMSize+1),
	} {
		_, err := sign.ParsePrivateKeyPEM(data)
		assert.ErrorIs(t, err, sign.ErrInvalidKey, name)
	}
	_, err = sign.ParsePublicKeyPEM(priv)
	assert.ErrorIs(t, err, sign.ErrInvalidKey, "private as public")
}

func TestGenerateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.key")
	s, err := sign.GenerateKeyFile(sign.ECDSAP256, path)
	require.NoError(t, err)

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the private key is readable by its owner only")
	info, err = os.Stat(path + ".pub")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())

	loaded, err := sign.LoadSigner(path)
	require.NoError(t, err)
	assert.Equal(t, s.KeyID(), loaded.KeyID())
	v, err := sign.LoadVerifier(path + ".pub")
	require.NoError(t, err)
	assert.Equal(t, s.KeyID(), v.KeyID())

	_, err = sign.GenerateKeyFile(sign.ECDSAP256, path)
	assert.ErrorIs(t, err, os.ErrExist, "never overwrites a key")
	again, err := sign.LoadSigner(path)
	require.NoError(t, err)
	assert.Equal(t, s.KeyID(), again.KeyID(), "the existing key is untouched")
}
