package sigstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/paved-dev/paved/supplychain/sign/sigstore"
	"github.com/stretchr/testify/require"
)

// corpusBytes reads the bytes of one seed of a fuzz corpus.
func corpusBytes(tb testing.TB, path string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(tb, err)
	s := strings.TrimSuffix(strings.TrimPrefix(string(raw), "go test fuzz v1\n[]byte("), ")\n")
	u, err := strconv.Unquote(s)
	require.NoError(tb, err)
	return []byte(u)
}

// BenchmarkVerifySigstoreBundle verifies bundles beside the one
// standard-library ECDSA verification that each contains, for a ratio:
//   - public-good: sigstore-go's real npm provenance bundle (v0.1 DSSE,
//     Fulcio chain with SCT, Rekor entry with signed entry timestamp and
//     inclusion proof) against the public-good trusted root;
//   - key-message: a message signature by a long-lived P-256 key;
//   - stdlib/*: ecdsa.VerifyASN1 of the same signatures over the same
//     digests (the DSSE pre-authentication encoding's, and the message's).
func BenchmarkVerifySigstoreBundle(b *testing.B) {
	ctx := context.Background()

	// public-good
	pgJSON := corpusBytes(b, "testdata/fuzz/FuzzParseBundle/sigstore.js-2.0.0-provenance")
	tr, err := sigstore.ParseTrustedRoot(corpusBytes(b, "testdata/fuzz/FuzzParseTrustedRoot/public-good"))
	require.NoError(b, err)
	pgVerifier, err := sigstore.NewVerifier(tr)
	require.NoError(b, err)
	pgPolicy := mustPolicy(b, sigstore.WithArtifactDigest(digest("sha512", sigstoreJSDigest)), sigstore.WithIdentity(`https://github\.com/sigstore/sigstore-js/\.github/workflows/release\.yml@refs/heads/main`, `https://token\.actions\.githubusercontent\.com`))
	var pg struct {
		VerificationMaterial struct {
			X509CertificateChain struct {
				Certificates []struct {
					RawBytes []byte `json:"rawBytes"`
				} `json:"certificates"`
			} `json:"x509CertificateChain"`
		} `json:"verificationMaterial"`
		DSSEEnvelope struct {
			Payload     []byte `json:"payload"`
			PayloadType string `json:"payloadType"`
			Signatures  []struct {
				Sig []byte `json:"sig"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	require.NoError(b, json.Unmarshal(pgJSON, &pg))
	leaf, err := x509.ParseCertificate(pg.VerificationMaterial.X509CertificateChain.Certificates[0].RawBytes)
	require.NoError(b, err)
	pgKey := leaf.PublicKey.(*ecdsa.PublicKey)
	env := pg.DSSEEnvelope
	pae := fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(env.PayloadType), env.PayloadType, len(env.Payload), env.Payload)
	paeDigest := sha256.Sum256(pae)
	pgSig := env.Signatures[0].Sig
	require.True(b, ecdsa.VerifyASN1(pgKey, paeDigest[:], pgSig))

	// key-message
	key := ecdsaKey(b, elliptic.P256()).(*ecdsa.PrivateKey)
	msgJSON, err := sigstore.Sign(ctx, newKeypair(b, key), sigstore.Message(testArtifact))
	require.NoError(b, err)
	keyVerifier := keyVerifier(b, sigstore.TrustedKey{PublicKey: key.Public()})
	keyPolicy := mustPolicy(b, sigstore.WithArtifactDigest(artifactDigest()), sigstore.WithKey())
	var msg struct {
		MessageSignature struct {
			MessageDigest struct {
				Digest []byte `json:"digest"`
			} `json:"messageDigest"`
			Signature []byte `json:"signature"`
		} `json:"messageSignature"`
	}
	require.NoError(b, json.Unmarshal(msgJSON, &msg))
	msgDigest, msgSig := msg.MessageSignature.MessageDigest.Digest, msg.MessageSignature.Signature
	require.Equal(b, artifactDigest().Hex, fmt.Sprintf("%x", msgDigest))
	require.True(b, ecdsa.VerifyASN1(&key.PublicKey, msgDigest, msgSig))
	parsed, err := sigstore.ParseBundle(msgJSON)
	require.NoError(b, err)

	b.Run("bundle/public-good", func(b *testing.B) {
		b.SetBytes(int64(len(pgJSON)))
		for b.Loop() {
			if _, err := pgVerifier.Verify(ctx, pgJSON, pgPolicy); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib/ecdsa.VerifyASN1/public-good", func(b *testing.B) {
		for b.Loop() {
			if !ecdsa.VerifyASN1(pgKey, paeDigest[:], pgSig) {
				b.Fatal("signature does not verify")
			}
		}
	})
	b.Run("bundle/key-message", func(b *testing.B) {
		b.SetBytes(int64(len(msgJSON)))
		for b.Loop() {
			if _, err := keyVerifier.Verify(ctx, msgJSON, keyPolicy); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bundle/key-message/parsed", func(b *testing.B) {
		for b.Loop() {
			if _, err := keyVerifier.VerifyBundle(ctx, parsed, keyPolicy); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib/ecdsa.VerifyASN1/key-message", func(b *testing.B) {
		for b.Loop() {
			if !ecdsa.VerifyASN1(&key.PublicKey, msgDigest, msgSig) {
				b.Fatal("signature does not verify")
			}
		}
	})
}
