package sigstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/paved-dev/paved/supplychain/sign/sigstore"
)

// The seed corpora in testdata/fuzz were made with sigstore-go's virtual
// sigstore (pkg/testing/ca) and packBundle: DSSE and message-signature
// bundles at v0.1 and v0.3, and the virtual sigstore's trusted root.

// FuzzParseBundle checks that no input makes ParseBundle, or verifying
// what it accepts, panic, and that an accepted bundle survives a round
// trip through MarshalJSON.
func FuzzParseBundle(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tm, err := sigstore.NewTrustedKeys(sigstore.TrustedKey{PublicKey: key.Public()})
	if err != nil {
		f.Fatal(err)
	}
	v, err := sigstore.NewVerifier(tm, sigstore.WithOfflineKeys())
	if err != nil {
		f.Fatal(err)
	}
	policy := mustPolicy(f, sigstore.WithoutArtifactUnsafe(), sigstore.WithoutIdentityUnsafe())
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := sigstore.ParseBundle(data)
		if err != nil {
			return
		}
		if b.MediaType() == "" {
			t.Fatal("accepted a bundle without a media type")
		}
		out, err := b.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		if _, err := sigstore.ParseBundle(out); err != nil {
			t.Fatalf("accepted bundle does not parse again: %v\n%s", err, out)
		}
		// Only the Verifier's own key could make this succeed; what
		// matters is that verifying untrusted bytes does not panic.
		if _, err := v.VerifyBundle(context.Background(), b, policy); err == nil {
			t.Fatal("verified a bundle that no trusted key signed")
		}
	})
}

// FuzzParseTrustedRoot checks that no input makes ParseTrustedRoot panic
// and that an accepted root survives a round trip through its JSON.
func FuzzParseTrustedRoot(f *testing.F) {
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := sigstore.ParseTrustedRoot(data)
		if err != nil {
			return
		}
		out, err := tr.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		if _, err := sigstore.ParseTrustedRoot(out); err != nil {
			t.Fatalf("accepted root does not parse again: %v\n%s", err, out)
		}
	})
}
