package sigstore_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
	"github.com/paved-dev/paved/supplychain/sign/sigstore"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testSAN    = "builder@example.com"
	testIssuer = "https://accounts.example.com"
)

var testArtifact = []byte("the release tarball\n")

// virtualBundles are bundles made by one in-process sigstore.
type virtualBundles struct {
	vs      *ca.VirtualSigstore
	dsse    map[string][]byte // by bundle version
	message map[string][]byte
}

func newVirtualBundles(t *testing.T) *virtualBundles {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	require.NoError(t, err)
	vb := &virtualBundles{vs: vs, dsse: map[string][]byte{}, message: map[string][]byte{}}
	for _, v := range []string{"v0.1", "v0.2", "v0.3"} {
		e, err := vs.Attest(testSAN, testIssuer, statement(testArtifact))
		require.NoError(t, err)
		vb.dsse[v] = packBundle(t, vs, e, v)
		m, err := vs.Sign(testSAN, testIssuer, testArtifact)
		require.NoError(t, err)
		vb.message[v] = packBundle(t, vs, m, v)
	}
	return vb
}

// virtualVerifier trusts vs. The virtual Fulcio embeds no signed
// certificate timestamps, so they are not required.
func virtualVerifier(t *testing.T, vs root.TrustedMaterial, opts ...sigstore.VerifierOption) *sigstore.Verifier {
	t.Helper()
	v, err := sigstore.NewVerifier(vs, append([]sigstore.VerifierOption{sigstore.WithSignedCertificateTimestamps(0)}, opts...)...)
	require.NoError(t, err)
	return v
}

func mustPolicy(t testing.TB, opts ...sigstore.PolicyOption) sigstore.Policy {
	t.Helper()
	p, err := sigstore.NewPolicy(opts...)
	require.NoError(t, err)
	return p
}

func artifactDigest() supplychain.Digest {
	sum := sha256.Sum256(testArtifact)
	return supplychain.Digest{Algorithm: supplychain.SHA256, Hex: hex.EncodeToString(sum[:])}
}

// leafKeyID returns the key ID of the certificate in a bundle's JSON.
func leafKeyID(t *testing.T, bundleJSON []byte) string {
	t.Helper()
	var b struct {
		VerificationMaterial struct {
			Certificate *struct {
				RawBytes []byte `json:"rawBytes"`
			} `json:"certificate"`
			X509CertificateChain *struct {
				Certificates []struct {
					RawBytes []byte `json:"rawBytes"`
				} `json:"certificates"`
			} `json:"x509CertificateChain"`
		} `json:"verificationMaterial"`
	}
	require.NoError(t, json.Unmarshal(bundleJSON, &b))
	var der []byte
	if c := b.VerificationMaterial.Certificate; c != nil {
		der = c.RawBytes
	} else {
		der = b.VerificationMaterial.X509CertificateChain.Certificates[0].RawBytes
	}
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	id, err := pkixKeyID(cert.PublicKey)
	require.NoError(t, err)
	return id
}

func TestVerifyVirtualSigstoreAccepts(t *testing.T) {
	vb := newVirtualBundles(t)
	v := virtualVerifier(t, vb.vs)
	ctx := context.Background()
	for _, version := range []string{"v0.1", "v0.2", "v0.3"} {
		for _, tc := range []struct {
			name   string
			bundle []byte
			policy sigstore.Policy
		}{
			{"dsse/artifact", vb.dsse[version], mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithIdentity(testSAN, testIssuer))},
			{"dsse/digest", vb.dsse[version], mustPolicy(t, sigstore.WithArtifactDigest(artifactDigest()), sigstore.WithIdentity(`[a-z]+@example\.com`, `https://accounts\.example\.com`))},
			{"dsse/unsafe", vb.dsse[version], mustPolicy(t, sigstore.WithoutArtifactUnsafe(), sigstore.WithoutIdentityUnsafe())},
			{"message/artifact", vb.message[version], mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithIdentity("nobody@example.com", testIssuer), sigstore.WithIdentity(testSAN, testIssuer))},
			{"message/digest", vb.message[version], mustPolicy(t, sigstore.WithArtifactDigest(artifactDigest()), sigstore.WithIdentity(testSAN, ".*"))},
		} {
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				res, err := v.Verify(ctx, tc.bundle, tc.policy)
				require.NoError(t, err)
				require.Len(t, res.Signers, 1)
				assert.Equal(t, sign.Identity{KeyID: leafKeyID(t, tc.bundle), Subject: testSAN, Issuer: testIssuer}, res.Signers[0])
				kinds := map[string]bool{}
				for _, ts := range res.Timestamps {
					kinds[ts.Kind] = true
					assert.False(t, ts.Time.IsZero())
				}
				assert.Equal(t, map[string]bool{sigstore.TimestampLog: true, sigstore.TimestampAuthority: true}, kinds)
				if tc.name[:4] == "dsse" {
					assert.Equal(t, attest.PayloadType, res.PayloadType)
					assert.Equal(t, statement(testArtifact), res.Payload)
					assert.Zero(t, res.ArtifactDigest)
				} else {
					assert.Empty(t, res.PayloadType)
					assert.Nil(t, res.Payload)
					assert.Equal(t, artifactDigest(), res.ArtifactDigest)
				}
			})
		}
	}
}

// tamper decodes a bundle's JSON, lets edit change it, and encodes it.
func tamper(t *testing.T, bundleJSON []byte, edit func(b map[string]any)) []byte {
	t.Helper()
	var b map[string]any
	require.NoError(t, json.Unmarshal(bundleJSON, &b))
	edit(b)
	out, err := json.Marshal(b)
	require.NoError(t, err)
	return out
}

// flipByte flips the last bit of byte i (negative: from the end) of the
// base64 field key of m.
func flipByte(t *testing.T, m any, key string, i int) {
	t.Helper()
	obj := m.(map[string]any)
	raw, err := base64.StdEncoding.DecodeString(obj[key].(string))
	require.NoError(t, err)
	if i < 0 {
		i += len(raw)
	}
	raw[i] ^= 1
	obj[key] = base64.StdEncoding.EncodeToString(raw)
}

func dsseSig(b map[string]any) map[string]any {
	return b["dsseEnvelope"].(map[string]any)["signatures"].([]any)[0].(map[string]any)
}

func TestVerifyVirtualSigstoreRejects(t *testing.T) {
	vb := newVirtualBundles(t)
	v := virtualVerifier(t, vb.vs)
	good := mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithIdentity(testSAN, testIssuer))
	ctx := context.Background()

	// Bundles for the same artifact by other identities, and by another
	// sigstore that the verifier does not trust.
	other := func(san, issuer string) []byte {
		e, err := vb.vs.Attest(san, issuer, statement(testArtifact))
		require.NoError(t, err)
		return packBundle(t, vb.vs, e, "v0.3")
	}
	evilPrefix := other("evil"+testSAN, testIssuer)
	evilSuffix := other(testSAN+".evil.net", testIssuer)
	evilIssuer := other(testSAN, testIssuer+".evil.net")
	stranger, err := ca.NewVirtualSigstore()
	require.NoError(t, err)
	se, err := stranger.Attest(testSAN, testIssuer, statement(testArtifact))
	require.NoError(t, err)
	untrusted := packBundle(t, stranger, se, "v0.3")

	otherDigest := artifactDigest()
	otherDigest.Hex = "00" + otherDigest.Hex[2:]

	for _, tc := range []struct {
		name     string
		verifier *sigstore.Verifier
		bundle   []byte
		policy   sigstore.Policy
		want     error
		check    string
	}{
		{"wrong SAN", v, vb.dsse["v0.3"], mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithIdentity("someone@example.com", testIssuer)), sigstore.ErrIdentityMismatch, "identity"},
		{"wrong issuer", v, vb.dsse["v0.3"], mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithIdentity(testSAN, "https://token.actions.githubusercontent.com")), sigstore.ErrIdentityMismatch, "identity"},
		{"unanchored SAN prefix", v, evilPrefix, good, sigstore.ErrIdentityMismatch, "identity"},
		{"unanchored SAN suffix", v, evilSuffix, good, sigstore.ErrIdentityMismatch, "identity"},
		{"unanchored issuer suffix", v, evilIssuer, good, sigstore.ErrIdentityMismatch, "identity"},
		{"key expected", v, vb.dsse["v0.3"], mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithKey()), sigstore.ErrIdentityMismatch, "identity"},
		{"dsse wrong artifact", v, vb.dsse["v0.3"], mustPolicy(t, sigstore.WithArtifact([]byte("another artifact")), sigstore.WithIdentity(testSAN, testIssuer)), sigstore.ErrArtifactMismatch, "artifact"},
		{"dsse wrong digest", v, vb.dsse["v0.2"], mustPolicy(t, sigstore.WithArtifactDigest(otherDigest), sigstore.WithIdentity(testSAN, testIssuer)), sigstore.ErrArtifactMismatch, "artifact"},
		{"dsse wrong artifact and identity", v, vb.dsse["v0.3"], mustPolicy(t, sigstore.WithArtifact([]byte("another artifact")), sigstore.WithIdentity("someone@example.com", testIssuer)), sigstore.ErrArtifactMismatch, "artifact"},
		{"message wrong artifact", v, vb.message["v0.3"], mustPolicy(t, sigstore.WithArtifact([]byte("another artifact")), sigstore.WithIdentity(testSAN, testIssuer)), sigstore.ErrArtifactMismatch, "artifact"},
		{"message wrong digest", v, vb.message["v0.1"], mustPolicy(t, sigstore.WithArtifactDigest(otherDigest), sigstore.WithIdentity(testSAN, testIssuer)), sigstore.ErrArtifactMismatch, "artifact"},
		{"message sha512 digest", v, vb.message["v0.3"], mustPolicy(t, sigstore.WithArtifactDigest(supplychain.Digest{Algorithm: supplychain.SHA512, Hex: hex.EncodeToString(make([]byte, 64))}), sigstore.WithIdentity(testSAN, testIssuer)), sigstore.ErrArtifactMismatch, "artifact"},
		{"message without artifact", v, vb.message["v0.3"], mustPolicy(t, sigstore.WithoutArtifactUnsafe(), sigstore.WithIdentity(testSAN, testIssuer)), sigstore.ErrArtifactMismatch, "artifact"},
		{"dsse tampered signature", v, tamper(t, vb.dsse["v0.3"], func(b map[string]any) { flipByte(t, dsseSig(b), "sig", -1) }), good, sigstore.ErrBadSignature, "signature"},
		{"dsse tampered payload", v, tamper(t, vb.dsse["v0.1"], func(b map[string]any) { flipByte(t, b["dsseEnvelope"], "payload", 40) }), good, sigstore.ErrBadSignature, "signature"},
		{"dsse tampered payload without artifact check", v, tamper(t, vb.dsse["v0.2"], func(b map[string]any) { flipByte(t, b["dsseEnvelope"], "payload", 40) }), mustPolicy(t, sigstore.WithoutArtifactUnsafe(), sigstore.WithIdentity(testSAN, testIssuer)), sigstore.ErrBadSignature, "signature"},
		{"message tampered signature", v, tamper(t, vb.message["v0.3"], func(b map[string]any) { flipByte(t, b["messageSignature"], "signature", -1) }), good, sigstore.ErrBadSignature, "signature"},
		{"message tampered digest", v, tamper(t, vb.message["v0.3"], func(b map[string]any) {
			flipByte(t, b["messageSignature"].(map[string]any)["messageDigest"], "digest", 0)
		}), mustPolicy(t, sigstore.WithArtifactDigest(flippedDigest()), sigstore.WithIdentity(testSAN, testIssuer)), sigstore.ErrBadSignature, "signature"},
		{"untrusted root", v, untrusted, good, sigstore.ErrUntrusted, "transparency log"},
		{"untrusted root without log", virtualVerifier(t, vb.vs, sigstore.WithTransparencyLog(0)), untrusted, good, sigstore.ErrUntrusted, "timestamps"},
		{"certificate authority untrusted", virtualVerifier(t, root.TrustedMaterialCollection{vb.vs, onlyLogsAndTSA{stranger}}), untrusted, good, sigstore.ErrUntrusted, "certificate"},
		{"log threshold", virtualVerifier(t, vb.vs, sigstore.WithTransparencyLog(2)), vb.dsse["v0.3"], good, sigstore.ErrUntrusted, "transparency log"},
		{"signed timestamp threshold", virtualVerifier(t, vb.vs, sigstore.WithSignedTimestamps(2)), vb.dsse["v0.3"], good, sigstore.ErrUntrusted, "timestamps"},
		{"observer timestamp threshold", virtualVerifier(t, vb.vs, sigstore.WithObserverTimestamps(3)), vb.message["v0.3"], good, sigstore.ErrUntrusted, "timestamps"},
		{"certificate timestamps required by default", mustVerifier(t, vb.vs), vb.dsse["v0.3"], good, sigstore.ErrUntrusted, "certificate"},
		{"zero policy", v, vb.dsse["v0.3"], sigstore.Policy{}, sigstore.ErrInvalidPolicy, "policy"},
		{"not a bundle", v, []byte(`{"mediaType":"application/json"}`), good, sigstore.ErrInvalidBundle, "bundle"},
		{"two DSSE signatures", v, tamper(t, vb.dsse["v0.3"], func(b map[string]any) {
			env := b["dsseEnvelope"].(map[string]any)
			env["signatures"] = append(env["signatures"].([]any), dsseSig(b))
		}), good, sigstore.ErrInvalidBundle, "bundle"},
		{"not in-toto", v, tamper(t, vb.dsse["v0.3"], func(b map[string]any) {
			b["dsseEnvelope"].(map[string]any)["payloadType"] = "text/plain"
		}), good, sigstore.ErrInvalidBundle, "bundle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := tc.verifier.Verify(ctx, tc.bundle, tc.policy)
			require.Error(t, err)
			assert.Nil(t, res)
			assert.ErrorIs(t, err, tc.want)
			var ve *sigstore.VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.check, ve.Check, "%v", err)
			assert.Equal(t, tc.want, ve.Reason)
			for _, other := range []error{sigstore.ErrInvalidBundle, sigstore.ErrInvalidPolicy, sigstore.ErrArtifactMismatch, sigstore.ErrBadSignature, sigstore.ErrIdentityMismatch, sigstore.ErrUntrusted} {
				if other != tc.want {
					assert.NotErrorIs(t, err, other)
				}
			}
			assert.Regexp(t, `^sigstore: (verify|parse) [a-z ]+: `, err.Error())
		})
	}
}

// flippedDigest is the artifact's digest with the last bit of its first
// byte flipped, as flipByte(..., 0) does to a bundle's message digest.
func flippedDigest() supplychain.Digest {
	sum := sha256.Sum256(testArtifact)
	sum[0] ^= 1
	return supplychain.Digest{Algorithm: supplychain.SHA256, Hex: hex.EncodeToString(sum[:])}
}

// pkixKeyID is the hex sha256 of a public key's PKIX DER form.
func pkixKeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

func mustVerifier(t *testing.T, tm root.TrustedMaterial, opts ...sigstore.VerifierOption) *sigstore.Verifier {
	t.Helper()
	v, err := sigstore.NewVerifier(tm, opts...)
	require.NoError(t, err)
	return v
}

// onlyLogsAndTSA trusts another sigstore's logs and timestamp authority
// but not its certificate authority.
type onlyLogsAndTSA struct{ *ca.VirtualSigstore }

func (onlyLogsAndTSA) FulcioCertificateAuthorities() []root.CertificateAuthority { return nil }

func TestVerifyContextCancelled(t *testing.T) {
	vb := newVirtualBundles(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := virtualVerifier(t, vb.vs).Verify(ctx, vb.dsse["v0.3"], mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithIdentity(testSAN, testIssuer)))
	assert.ErrorIs(t, err, context.Canceled)
}

func TestVerifyBundleConcurrent(t *testing.T) {
	vb := newVirtualBundles(t)
	v := virtualVerifier(t, vb.vs)
	b, err := sigstore.ParseBundle(vb.dsse["v0.3"])
	require.NoError(t, err)
	p := mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithIdentity(testSAN, testIssuer))
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := v.VerifyBundle(context.Background(), b, p)
			errs <- err
		}()
	}
	for range 8 {
		assert.NoError(t, <-errs)
	}
}

// An RFC 3161 timestamp that counts for two thresholds is listed once.
func TestVerifyTimestampsListedOnce(t *testing.T) {
	vb := newVirtualBundles(t)
	v := virtualVerifier(t, vb.vs, sigstore.WithSignedTimestamps(1), sigstore.WithObserverTimestamps(2))
	res, err := v.Verify(context.Background(), vb.dsse["v0.3"], mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithIdentity(testSAN, testIssuer)))
	require.NoError(t, err)
	var kinds []string
	for _, ts := range res.Timestamps {
		kinds = append(kinds, ts.Kind)
	}
	assert.ElementsMatch(t, []string{sigstore.TimestampLog, sigstore.TimestampAuthority}, kinds)
}
