package sigstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/sign/sigstore"
)

// BenchmarkVerifySigstoreBundle verifies bundles beside the one
// standard-library ECDSA verification that each contains, for a ratio:
//   - keyless: a v0.1 DSSE bundle from sigstore-go's in-process sigstore
//     (Fulcio certificate chain, Rekor entry with signed entry timestamp
//     and inclusion proof), the shape of a CI provenance bundle;
//   - key-message: a message signature by a long-lived P-256 key;
//   - stdlib/*: ecdsa.VerifyASN1 of the same signatures over the same
//     digests (the DSSE pre-authentication encoding's, and the message's).
func BenchmarkVerifySigstoreBundle(b *testing.B) {
	ctx := context.Background()

	// keyless
	vs, err := ca.NewVirtualSigstore()
	require.NoError(b, err)
	entity, err := vs.Attest(testSAN, testIssuer, statement(testArtifact))
	require.NoError(b, err)
	pgJSON := packBundle(b, vs, entity, "v0.1")
	pgVerifier, err := sigstore.NewVerifier(vs, sigstore.WithSignedCertificateTimestamps(0))
	require.NoError(b, err)
	pgPolicy := mustPolicy(b, sigstore.WithArtifactDigest(artifactDigest()), sigstore.WithIdentity(regexp.QuoteMeta(testSAN), regexp.QuoteMeta(testIssuer)))
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

	b.Run("bundle/keyless", func(b *testing.B) {
		b.SetBytes(int64(len(pgJSON)))
		for b.Loop() {
			if _, err := pgVerifier.Verify(ctx, pgJSON, pgPolicy); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib/ecdsa.VerifyASN1/keyless", func(b *testing.B) {
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
