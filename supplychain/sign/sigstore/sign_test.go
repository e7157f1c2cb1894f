package sigstore_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
	"github.com/paved-dev/paved/supplychain/sign/sigstore"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newKeypair(t testing.TB, signer crypto.Signer) *sigstore.Keypair {
	t.Helper()
	kp, err := sigstore.NewKeypair(signer)
	require.NoError(t, err)
	return kp
}

func ecdsaKey(t testing.TB, c elliptic.Curve) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	require.NoError(t, err)
	return k
}

// keyVerifier trusts keys and accepts key-signed bundles without log
// entries or timestamps, as Sign makes them.
func keyVerifier(t testing.TB, keys ...sigstore.TrustedKey) *sigstore.Verifier {
	t.Helper()
	tm, err := sigstore.NewTrustedKeys(keys...)
	require.NoError(t, err)
	v, err := sigstore.NewVerifier(tm, sigstore.WithOfflineKeys())
	require.NoError(t, err)
	return v
}

func TestSignRoundTrip(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		signer crypto.Signer
		alg    protocommon.PublicKeyDetails
		hash   protocommon.HashAlgorithm
		keyAlg string
	}{
		{"ecdsa-p256", ecdsaKey(t, elliptic.P256()), protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, protocommon.HashAlgorithm_SHA2_256, "ECDSA"},
		{"ecdsa-p384", ecdsaKey(t, elliptic.P384()), protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384, protocommon.HashAlgorithm_SHA2_384, "ECDSA"},
		{"ecdsa-p521", ecdsaKey(t, elliptic.P521()), protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512, protocommon.HashAlgorithm_SHA2_512, "ECDSA"},
		{"ed25519", edKey, protocommon.PublicKeyDetails_PKIX_ED25519, protocommon.HashAlgorithm_SHA2_512, "ED25519"},
		{"rsa-2048", rsaKey, protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256, protocommon.HashAlgorithm_SHA2_256, "RSA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kp := newKeypair(t, tc.signer)
			wantID, err := pkixKeyID(tc.signer.Public())
			require.NoError(t, err)
			assert.Equal(t, wantID, kp.KeyID())
			assert.Equal(t, []byte(wantID), kp.GetHint())
			assert.Equal(t, tc.alg, kp.GetSigningAlgorithm())
			assert.Equal(t, tc.hash, kp.GetHashAlgorithm())
			assert.Equal(t, tc.keyAlg, kp.GetKeyAlgorithm())
			assert.Equal(t, tc.signer.Public(), kp.GetPublicKey())
			pemKey, err := kp.GetPublicKeyPem()
			require.NoError(t, err)
			assert.Contains(t, pemKey, "-----BEGIN PUBLIC KEY-----")

			v := keyVerifier(t, sigstore.TrustedKey{PublicKey: tc.signer.Public()})
			signer := sign.Identity{KeyID: wantID}

			st := statement(testArtifact)
			dsse, err := sigstore.Sign(ctx, kp, sigstore.InToto(st))
			require.NoError(t, err)
			res, err := v.Verify(ctx, dsse, mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithKey()))
			require.NoError(t, err)
			assert.Equal(t, "application/vnd.dev.sigstore.bundle.v0.3+json", res.MediaType)
			assert.Equal(t, attest.PayloadType, res.PayloadType)
			assert.Equal(t, st, res.Payload)
			assert.Equal(t, []sign.Identity{signer}, res.Signers)
			assert.Empty(t, res.Timestamps)

			msg, err := sigstore.Sign(ctx, kp, sigstore.Message(testArtifact))
			require.NoError(t, err)
			res, err = v.Verify(ctx, msg, mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithKey()))
			require.NoError(t, err)
			assert.Equal(t, artifactDigest(), res.ArtifactDigest)
			assert.Equal(t, []sign.Identity{signer}, res.Signers)
			if tc.hash == protocommon.HashAlgorithm_SHA2_256 {
				res, err = v.Verify(ctx, msg, mustPolicy(t, sigstore.WithArtifactDigest(artifactDigest()), sigstore.WithKey()))
				require.NoError(t, err)
				assert.Equal(t, artifactDigest(), res.ArtifactDigest)
			}

			for _, bad := range []struct {
				name   string
				bundle []byte
				policy sigstore.Policy
				want   error
			}{
				{"dsse tampered signature", tamper(t, dsse, func(b map[string]any) { flipByte(t, dsseSig(b), "sig", -1) }), mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithKey()), sigstore.ErrBadSignature},
				{"dsse tampered payload", tamper(t, dsse, func(b map[string]any) { flipByte(t, b["dsseEnvelope"], "payload", 10) }), mustPolicy(t, sigstore.WithoutArtifactUnsafe(), sigstore.WithKey()), sigstore.ErrBadSignature},
				{"message tampered signature", tamper(t, msg, func(b map[string]any) { flipByte(t, b["messageSignature"], "signature", 0) }), mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithKey()), sigstore.ErrBadSignature},
				{"message other artifact", msg, mustPolicy(t, sigstore.WithArtifact([]byte("other")), sigstore.WithKey()), sigstore.ErrArtifactMismatch},
				{"identity expected", msg, mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithIdentity(".*", ".*")), sigstore.ErrIdentityMismatch},
			} {
				t.Run(bad.name, func(t *testing.T) {
					_, err := v.Verify(ctx, bad.bundle, bad.policy)
					assert.ErrorIs(t, err, bad.want)
				})
			}
		})
	}
}

func TestSignKeyTrust(t *testing.T) {
	ctx := context.Background()
	signer := ecdsaKey(t, elliptic.P256())
	kp := newKeypair(t, signer)
	msg, err := sigstore.Sign(ctx, kp, sigstore.Message(testArtifact))
	require.NoError(t, err)
	policy := mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithKey())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	other := ecdsaKey(t, elliptic.P256()).Public()

	for _, tc := range []struct {
		name  string
		keys  []sigstore.TrustedKey
		opts  []sigstore.VerifierOption
		want  error
		check string
	}{
		{"one of several keys", []sigstore.TrustedKey{{PublicKey: other}, {PublicKey: signer.Public()}}, []sigstore.VerifierOption{sigstore.WithOfflineKeys()}, nil, ""},
		{"inside its window", []sigstore.TrustedKey{{PublicKey: signer.Public(), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}}, []sigstore.VerifierOption{sigstore.WithOfflineKeys(), sigstore.WithClock(clock)}, nil, ""},
		{"another key", []sigstore.TrustedKey{{PublicKey: other}}, []sigstore.VerifierOption{sigstore.WithOfflineKeys()}, sigstore.ErrUntrusted, "key"},
		{"expired", []sigstore.TrustedKey{{PublicKey: signer.Public(), NotAfter: now.Add(-time.Hour)}}, []sigstore.VerifierOption{sigstore.WithOfflineKeys(), sigstore.WithClock(clock)}, sigstore.ErrUntrusted, "key"},
		{"not yet valid", []sigstore.TrustedKey{{PublicKey: signer.Public(), NotBefore: now.Add(time.Hour)}}, []sigstore.VerifierOption{sigstore.WithOfflineKeys(), sigstore.WithClock(clock)}, sigstore.ErrUntrusted, "key"},
		{"log entry required", []sigstore.TrustedKey{{PublicKey: signer.Public()}}, nil, sigstore.ErrUntrusted, "transparency log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm, err := sigstore.NewTrustedKeys(tc.keys...)
			require.NoError(t, err)
			v, err := sigstore.NewVerifier(tm, tc.opts...)
			require.NoError(t, err)
			res, err := v.Verify(ctx, msg, policy)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, kp.KeyID(), res.Signers[0].KeyID)
				return
			}
			assert.ErrorIs(t, err, tc.want)
			var ve *sigstore.VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.check, ve.Check, "%v", err)
		})
	}
}

// failingSigner is a crypto.Signer whose key store is unavailable.
type failingSigner struct{ crypto.Signer }

var errKeyStore = errors.New("key store unavailable")

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errKeyStore
}

func TestSignErrors(t *testing.T) {
	ctx := context.Background()
	kp := newKeypair(t, ecdsaKey(t, elliptic.P256()))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		kp      *sigstore.Keypair
		content sigstore.Content
		want    error
	}{
		{"zero content", ctx, kp, sigstore.Content{}, sigstore.ErrInvalidContent},
		{"not JSON", ctx, kp, sigstore.InToto([]byte("not json")), sigstore.ErrInvalidContent},
		{"no _type", ctx, kp, sigstore.InToto([]byte(`{"subject":[{"digest":{"sha256":"00"}}]}`)), sigstore.ErrInvalidContent},
		{"no subject", ctx, kp, sigstore.InToto([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[]}`)), sigstore.ErrInvalidContent},
		{"nil keypair", ctx, nil, sigstore.Message(testArtifact), sigstore.ErrUnsupportedKey},
		{"cancelled", cancelled, kp, sigstore.Message(testArtifact), context.Canceled},
		{"signer fails", ctx, newKeypair(t, failingSigner{ecdsaKey(t, elliptic.P256())}), sigstore.Message(testArtifact), errKeyStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := sigstore.Sign(tc.ctx, tc.kp, tc.content)
			assert.ErrorIs(t, err, tc.want)
			assert.Nil(t, out)
		})
	}

	// An empty artifact is a message like any other.
	empty, err := sigstore.Sign(ctx, kp, sigstore.Message(nil))
	require.NoError(t, err)
	sum := sha256.Sum256(nil)
	res, err := keyVerifier(t, sigstore.TrustedKey{PublicKey: kp.GetPublicKey()}).Verify(ctx, empty, mustPolicy(t, sigstore.WithArtifact(nil), sigstore.WithKey()))
	require.NoError(t, err)
	assert.Equal(t, supplychain.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}, res.ArtifactDigest)
}

func TestNewKeypairErrors(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		signer crypto.Signer
	}{
		{"nil", nil},
		{"rsa-1024", small},
		{"p224", ecdsaKey(t, elliptic.P224())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sigstore.NewKeypair(tc.signer)
			assert.ErrorIs(t, err, sigstore.ErrUnsupportedKey)
		})
	}
}
