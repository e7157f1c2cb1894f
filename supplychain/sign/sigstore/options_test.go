package sigstore_test

import (
	"context"
	"crypto/elliptic"
	"errors"
	"testing"
	"time"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign/sigstore"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewPolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []sigstore.PolicyOption
		count int // problems reported
	}{
		{"nothing", nil, 2},
		{"no signer", []sigstore.PolicyOption{sigstore.WithArtifact(testArtifact)}, 1},
		{"no artifact", []sigstore.PolicyOption{sigstore.WithKey()}, 1},
		{"two artifacts", []sigstore.PolicyOption{sigstore.WithArtifact(testArtifact), sigstore.WithArtifactDigest(artifactDigest()), sigstore.WithKey()}, 1},
		{"artifact and unsafe", []sigstore.PolicyOption{sigstore.WithoutArtifactUnsafe(), sigstore.WithArtifact(testArtifact), sigstore.WithKey()}, 1},
		{"bad digest", []sigstore.PolicyOption{sigstore.WithArtifactDigest(supplychain.Digest{Algorithm: "md5", Hex: "00"}), sigstore.WithKey()}, 1},
		{"identity and key", []sigstore.PolicyOption{sigstore.WithArtifact(testArtifact), sigstore.WithIdentity("a", "b"), sigstore.WithKey()}, 1},
		{"key and identity", []sigstore.PolicyOption{sigstore.WithArtifact(testArtifact), sigstore.WithKey(), sigstore.WithIdentity("a", "b")}, 1},
		{"key twice", []sigstore.PolicyOption{sigstore.WithArtifact(testArtifact), sigstore.WithKey(), sigstore.WithKey()}, 1},
		{"identity and unsafe", []sigstore.PolicyOption{sigstore.WithArtifact(testArtifact), sigstore.WithIdentity("a", "b"), sigstore.WithoutIdentityUnsafe()}, 1},
		{"unsafe and identity", []sigstore.PolicyOption{sigstore.WithArtifact(testArtifact), sigstore.WithoutIdentityUnsafe(), sigstore.WithIdentity("a", "b")}, 1},
		{"empty SAN", []sigstore.PolicyOption{sigstore.WithArtifact(testArtifact), sigstore.WithIdentity("", "b")}, 1},
		{"empty issuer", []sigstore.PolicyOption{sigstore.WithArtifact(testArtifact), sigstore.WithIdentity("a", "")}, 1},
		{"bad regexps", []sigstore.PolicyOption{sigstore.WithArtifact(testArtifact), sigstore.WithIdentity("(", "b"), sigstore.WithIdentity("a", "[")}, 2},
		{"nil option", []sigstore.PolicyOption{nil, sigstore.WithArtifact(testArtifact), sigstore.WithKey()}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := sigstore.NewPolicy(tc.opts...)
			require.Error(t, err)
			assert.ErrorIs(t, err, sigstore.ErrInvalidPolicy)
			assert.Zero(t, p)
			var joined interface{ Unwrap() []error }
			require.True(t, errors.As(err, &joined))
			assert.Len(t, joined.Unwrap(), tc.count, "%v", err)
		})
	}
}

func TestNewVerifierErrors(t *testing.T) {
	tm, err := sigstore.NewTrustedKeys(sigstore.TrustedKey{PublicKey: ecdsaKey(t, elliptic.P256()).Public()})
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		trusted root.TrustedMaterial
		opts    []sigstore.VerifierOption
	}{
		{"no trusted material", nil, nil},
		{"negative threshold", tm, []sigstore.VerifierOption{sigstore.WithTransparencyLog(-1)}},
		{"given twice", tm, []sigstore.VerifierOption{sigstore.WithTransparencyLog(1), sigstore.WithTransparencyLog(2)}},
		{"offline keys twice", tm, []sigstore.VerifierOption{sigstore.WithOfflineKeys(), sigstore.WithOfflineKeys()}},
		{"no time for certificates", tm, []sigstore.VerifierOption{sigstore.WithObserverTimestamps(0)}},
		{"nil clock", tm, []sigstore.VerifierOption{sigstore.WithClock(nil)}},
		{"nil option", tm, []sigstore.VerifierOption{nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := sigstore.NewVerifier(tc.trusted, tc.opts...)
			assert.ErrorIs(t, err, sigstore.ErrInvalidOption)
			assert.Nil(t, v)
		})
	}
	// A timestamp authority alone can give certificates their time.
	_, err = sigstore.NewVerifier(tm, sigstore.WithObserverTimestamps(0), sigstore.WithSignedTimestamps(1))
	assert.NoError(t, err)
}

func TestNewTrustedKeysErrors(t *testing.T) {
	pub := ecdsaKey(t, elliptic.P256()).Public()
	now := time.Now()
	for _, tc := range []struct {
		name string
		keys []sigstore.TrustedKey
		want error
	}{
		{"none", nil, sigstore.ErrInvalidOption},
		{"nil key", []sigstore.TrustedKey{{}}, sigstore.ErrUnsupportedKey},
		{"P-224", []sigstore.TrustedKey{{PublicKey: ecdsaKey(t, elliptic.P224()).Public()}}, sigstore.ErrUnsupportedKey},
		{"window reversed", []sigstore.TrustedKey{{PublicKey: pub, NotBefore: now, NotAfter: now.Add(-time.Second)}}, sigstore.ErrInvalidOption},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sigstore.NewTrustedKeys(tc.keys...)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestParseBundle(t *testing.T) {
	kp := newKeypair(t, ecdsaKey(t, elliptic.P256()))
	js, err := sigstore.Sign(context.Background(), kp, sigstore.InToto(statement(testArtifact)))
	require.NoError(t, err)
	b, err := sigstore.ParseBundle(js)
	require.NoError(t, err)
	assert.Equal(t, "application/vnd.dev.sigstore.bundle.v0.3+json", b.MediaType())
	again, err := b.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, string(js), string(again))

	v := keyVerifier(t, sigstore.TrustedKey{PublicKey: kp.GetPublicKey()})
	_, err = v.VerifyBundle(context.Background(), b, mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithKey()))
	require.NoError(t, err)
	_, err = v.VerifyBundle(context.Background(), nil, mustPolicy(t, sigstore.WithArtifact(testArtifact), sigstore.WithKey()))
	assert.ErrorIs(t, err, sigstore.ErrInvalidBundle)

	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not JSON", []byte("{")},
		{"unknown field", []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","surprise":1}`)},
		{"unknown media type", tamper(t, js, func(b map[string]any) { b["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.9+json" })},
		{"no content", tamper(t, js, func(b map[string]any) { delete(b, "dsseEnvelope") })},
		{"no verification material", tamper(t, js, func(b map[string]any) { delete(b, "verificationMaterial") })},
		{"certificate not DER", tamper(t, js, func(b map[string]any) {
			b["verificationMaterial"] = map[string]any{"certificate": map[string]any{"rawBytes": "AAAA"}}
		})},
		{"v0.1 without inclusion promise", realBundleWithout(t, "inclusionPromise")},
		{"too large", make([]byte, sigstore.MaxBundleSize+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := sigstore.ParseBundle(tc.data)
			assert.Nil(t, b)
			assert.ErrorIs(t, err, sigstore.ErrInvalidBundle)
			var ve *sigstore.VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "parse", ve.Op)
			assert.Regexp(t, `^sigstore: parse bundle: `, err.Error())
		})
	}
}

// realBundleWithout returns sigstore-go's v0.1 sigstore.js bundle with a
// field removed from its log entry.
func realBundleWithout(t *testing.T, field string) []byte {
	t.Helper()
	return tamper(t, realBundle(t, sigstoreJSBundle), func(b map[string]any) {
		vm := b["verificationMaterial"].(map[string]any)
		delete(vm["tlogEntries"].([]any)[0].(map[string]any), field)
	})
}

func TestParseTrustedRootErrors(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("{"), []byte(`{"mediaType":"x","tlogs":[{"publicKey":{"rawBytes":"AAAA"}}]}`), make([]byte, sigstore.MaxTrustedRootSize+1)} {
		_, err := sigstore.ParseTrustedRoot(data)
		assert.ErrorIs(t, err, sigstore.ErrInvalidTrustedRoot)
	}
}
