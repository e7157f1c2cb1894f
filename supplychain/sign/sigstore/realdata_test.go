package sigstore_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign/sigstore"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/data"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The real bundles and trusted roots shipped with sigstore-go, with the
// identities and artifacts that its own tests verify them against.
const (
	sigstoreJSBundle  = "sigstore.js@2.0.0-provenance.sigstore.json"
	sigstoreJSSAN     = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
	sigstoreJSIssuer  = "https://token.actions.githubusercontent.com"
	sigstoreJSDigest  = "46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c"
	dsseBundle        = "dsse.sigstore.json"
	dsseDigest        = "bbfd372fc9beeb777fe35d05bb10c0c70a9733d366a75fed7dd18866c7391de3ee7e88ba74dd47abf3e15c845e547fcf0e5c3da80854c751554224d3a6d4e55f"
	othernameBundle   = "othername.sigstore.json"
	othernameDigest   = "bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b"
	keyValidityBundle = "public-key-validity.sigstore.json"
)

// realBundle returns the JSON of one of sigstore-go's test bundles.
func realBundle(t *testing.T, name string) []byte {
	t.Helper()
	out, err := data.Bundle(t, name).MarshalJSON()
	require.NoError(t, err)
	return out
}

// realRoot parses one of sigstore-go's test trusted roots with
// ParseTrustedRoot.
func realRoot(t *testing.T, name string) *root.TrustedRoot {
	t.Helper()
	js, err := data.TrustedRoot(t, name).MarshalJSON()
	require.NoError(t, err)
	tr, err := sigstore.ParseTrustedRoot(js)
	require.NoError(t, err)
	return tr
}

func digest(alg, hex string) supplychain.Digest { return supplychain.Digest{Algorithm: alg, Hex: hex} }

func TestVerifyRealBundles(t *testing.T) {
	publicGood := realRoot(t, "public-good.json")
	scaffolding := realRoot(t, "scaffolding.json")
	keyRoot := realRoot(t, "public-key-validity.json")
	key, err := sigstore.NewTrustedKeys(sigstore.TrustedKey{PublicKey: data.PublicKey(t, "public-key-validity.pem")})
	require.NoError(t, err)
	keyID, err := pkixKeyID(data.PublicKey(t, "public-key-validity.pem"))
	require.NoError(t, err)

	for _, tc := range []struct {
		name        string
		bundle      string
		trusted     root.TrustedMaterial
		opts        []sigstore.VerifierOption
		policy      sigstore.Policy
		subject     string
		issuer      string
		keyID       string
		payloadType string
		artifact    supplychain.Digest
		timestamps  []string
	}{
		{
			name: "sigstore.js provenance (v0.1 DSSE, public good)", bundle: sigstoreJSBundle, trusted: publicGood,
			policy:  mustPolicy(t, sigstore.WithArtifactDigest(digest("sha512", sigstoreJSDigest)), sigstore.WithIdentity(`https://github\.com/sigstore/sigstore-js/\.github/workflows/release\.yml@refs/heads/main`, `https://token\.actions\.githubusercontent\.com`)),
			subject: sigstoreJSSAN, issuer: sigstoreJSIssuer, payloadType: attest.PayloadType, timestamps: []string{sigstore.TimestampLog},
		},
		{
			name: "npm provenance by e-mail (v0.1 DSSE, public good)", bundle: dsseBundle, trusted: publicGood,
			policy:  mustPolicy(t, sigstore.WithArtifactDigest(digest("sha512", dsseDigest)), sigstore.WithIdentity(`brian@dehamer\.com`, `https://github\.com/login/oauth`)),
			subject: "brian@dehamer.com", issuer: "https://github.com/login/oauth", payloadType: attest.PayloadType, timestamps: []string{sigstore.TimestampLog},
		},
		{
			name: "othername SAN (v0.3 message, private deployment)", bundle: othernameBundle, trusted: scaffolding,
			policy:  mustPolicy(t, sigstore.WithArtifactDigest(digest("sha256", othernameDigest)), sigstore.WithIdentity(`foo!oidc\.local`, `http://oidc\.local:8080`)),
			subject: "foo!oidc.local", issuer: "http://oidc.local:8080", artifact: digest("sha256", othernameDigest), timestamps: []string{sigstore.TimestampLog},
		},
		{
			name: "long-lived key with a signed timestamp (v0.3 message)", bundle: keyValidityBundle, trusted: root.TrustedMaterialCollection{keyRoot, key},
			opts:   []sigstore.VerifierOption{sigstore.WithTransparencyLog(0), sigstore.WithSignedTimestamps(1)},
			policy: mustPolicy(t, sigstore.WithArtifact([]byte("test content")), sigstore.WithKey()),
			keyID:  keyID, artifact: digest("sha256", "6ae8a75555209fd6c44157c0aed8016e763ff435a19cf186f76863140143ff72"), timestamps: []string{sigstore.TimestampAuthority},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := realBundle(t, tc.bundle)
			res, err := mustVerifier(t, tc.trusted, tc.opts...).Verify(context.Background(), js, tc.policy)
			require.NoError(t, err)
			require.Len(t, res.Signers, 1)
			if tc.keyID == "" {
				tc.keyID = leafKeyID(t, js)
			}
			assert.Equal(t, tc.subject, res.Signers[0].Subject)
			assert.Equal(t, tc.issuer, res.Signers[0].Issuer)
			assert.Equal(t, tc.keyID, res.Signers[0].KeyID)
			assert.Equal(t, tc.payloadType, res.PayloadType)
			assert.Equal(t, tc.artifact, res.ArtifactDigest)
			var kinds []string
			for _, ts := range res.Timestamps {
				kinds = append(kinds, ts.Kind)
			}
			assert.Equal(t, tc.timestamps, kinds)
			if tc.payloadType != "" {
				var st struct {
					Type string `json:"_type"`
				}
				require.NoError(t, json.Unmarshal(res.Payload, &st), "payload is the statement's exact JSON")
				assert.Contains(t, st.Type, "in-toto.io/Statement")
			}
		})
	}
}

func TestVerifyRealBundlesRejects(t *testing.T) {
	publicGood := realRoot(t, "public-good.json")
	scaffolding := realRoot(t, "scaffolding.json")
	keyRoot := realRoot(t, "public-key-validity.json")
	pub := data.PublicKey(t, "public-key-validity.pem")
	expired, err := sigstore.NewTrustedKeys(sigstore.TrustedKey{PublicKey: pub, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1, 0)})
	require.NoError(t, err)
	jsPolicy := mustPolicy(t, sigstore.WithArtifactDigest(digest("sha512", sigstoreJSDigest)), sigstore.WithIdentity(`https://github\.com/sigstore/sigstore-js/\.github/workflows/release\.yml@refs/heads/main`, sigstoreJSIssuer))
	keyPolicy := mustPolicy(t, sigstore.WithArtifact([]byte("test content")), sigstore.WithKey())
	keyOpts := []sigstore.VerifierOption{sigstore.WithTransparencyLog(0), sigstore.WithSignedTimestamps(1)}

	for _, tc := range []struct {
		name    string
		bundle  []byte
		trusted root.TrustedMaterial
		opts    []sigstore.VerifierOption
		policy  sigstore.Policy
		want    error
		check   string
	}{
		{"two DSSE signatures", realBundle(t, "dsse-2sigs.sigstore.json"), publicGood, nil, mustPolicy(t, sigstore.WithArtifactDigest(digest("sha512", dsseDigest)), sigstore.WithIdentity(`brian@dehamer\.com`, `https://github\.com/login/oauth`)), sigstore.ErrInvalidBundle, "bundle"},
		{"another deployment's root", realBundle(t, sigstoreJSBundle), scaffolding, nil, jsPolicy, sigstore.ErrUntrusted, "transparency log"},
		{"another workflow", realBundle(t, sigstoreJSBundle), publicGood, nil, mustPolicy(t, sigstore.WithArtifactDigest(digest("sha512", sigstoreJSDigest)), sigstore.WithIdentity(`https://github\.com/sigstore/sigstore-js/\.github/workflows/publish\.yml@refs/heads/main`, sigstoreJSIssuer)), sigstore.ErrIdentityMismatch, "identity"},
		{"substring of the SAN", realBundle(t, sigstoreJSBundle), publicGood, nil, mustPolicy(t, sigstore.WithArtifactDigest(digest("sha512", sigstoreJSDigest)), sigstore.WithIdentity(`sigstore/sigstore-js`, sigstoreJSIssuer)), sigstore.ErrIdentityMismatch, "identity"},
		{"substring of the issuer", realBundle(t, sigstoreJSBundle), publicGood, nil, mustPolicy(t, sigstore.WithArtifactDigest(digest("sha512", sigstoreJSDigest)), sigstore.WithIdentity(sigstoreJSSAN, `actions`)), sigstore.ErrIdentityMismatch, "identity"},
		{"another artifact", realBundle(t, sigstoreJSBundle), publicGood, nil, mustPolicy(t, sigstore.WithArtifactDigest(digest("sha512", dsseDigest)), sigstore.WithIdentity(sigstoreJSSAN, sigstoreJSIssuer)), sigstore.ErrArtifactMismatch, "artifact"},
		{"tampered payload", tamper(t, realBundle(t, sigstoreJSBundle), func(b map[string]any) { flipByte(t, b["dsseEnvelope"], "payload", 100) }), publicGood, nil, jsPolicy, sigstore.ErrBadSignature, "signature"},
		{"tampered signature", tamper(t, realBundle(t, sigstoreJSBundle), func(b map[string]any) { flipByte(t, dsseSig(b), "sig", 20) }), publicGood, nil, jsPolicy, sigstore.ErrBadSignature, "signature"},
		{"two log entries required", realBundle(t, sigstoreJSBundle), publicGood, []sigstore.VerifierOption{sigstore.WithTransparencyLog(2)}, jsPolicy, sigstore.ErrUntrusted, "transparency log"},
		{"signed timestamp required", realBundle(t, sigstoreJSBundle), publicGood, []sigstore.VerifierOption{sigstore.WithSignedTimestamps(1)}, jsPolicy, sigstore.ErrUntrusted, "timestamps"},
		{"othername wrong issuer", realBundle(t, othernameBundle), scaffolding, nil, mustPolicy(t, sigstore.WithArtifactDigest(digest("sha256", othernameDigest)), sigstore.WithIdentity(`foo!oidc\.local`, `http://oidc\.local:9090`)), sigstore.ErrIdentityMismatch, "identity"},
		{"key outside its validity window", realBundle(t, keyValidityBundle), root.TrustedMaterialCollection{keyRoot, expired}, keyOpts, keyPolicy, sigstore.ErrUntrusted, "key"},
		{"key not trusted", realBundle(t, keyValidityBundle), keyRoot, keyOpts, keyPolicy, sigstore.ErrUntrusted, "key"},
		{"identity expected of a key", realBundle(t, keyValidityBundle), keyRoot, keyOpts, mustPolicy(t, sigstore.WithArtifact([]byte("test content")), sigstore.WithIdentity(".*", ".*")), sigstore.ErrIdentityMismatch, "identity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mustVerifier(t, tc.trusted, tc.opts...).Verify(context.Background(), tc.bundle, tc.policy)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			var ve *sigstore.VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.check, ve.Check, "%v", err)
		})
	}
}

func TestLoadTrustedRoot(t *testing.T) {
	js, err := data.TrustedRoot(t, "public-good.json").MarshalJSON()
	require.NoError(t, err)
	dir := t.TempDir()
	good := filepath.Join(dir, "trusted_root.json")
	require.NoError(t, os.WriteFile(good, js, 0o600))
	tr, err := sigstore.LoadTrustedRoot(good)
	require.NoError(t, err)
	assert.Len(t, tr.FulcioCertificateAuthorities(), 2)
	assert.Len(t, tr.RekorLogs(), 1)

	big := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(big, make([]byte, sigstore.MaxTrustedRootSize+1), 0o600))
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"mediaType": 7}`), 0o600))
	for _, path := range []string{big, bad} {
		_, err := sigstore.LoadTrustedRoot(path)
		assert.ErrorIs(t, err, sigstore.ErrInvalidTrustedRoot, path)
		assert.Contains(t, err.Error(), path)
	}
	_, err = sigstore.LoadTrustedRoot(filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.NotErrorIs(t, err, sigstore.ErrInvalidTrustedRoot)
}
