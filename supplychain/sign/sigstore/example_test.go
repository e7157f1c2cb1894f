package sigstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign/sigstore"
)

// Sign an in-toto statement into a bundle with a long-lived key, then
// verify it offline against that key, for the artifact it is about.
func ExampleVerifier_Verify() {
	ctx := context.Background()
	artifact := []byte("contents of app.tar.gz")
	sum := sha256.Sum256(artifact)
	statement := fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar.gz","digest":{"sha256":"%x"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`, sum)

	// The signer: any crypto.Signer, here a key generated in memory.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fmt.Println(err)
		return
	}
	kp, err := sigstore.NewKeypair(key)
	if err != nil {
		fmt.Println(err)
		return
	}
	bundleJSON, err := sigstore.Sign(ctx, kp, sigstore.InToto(statement))
	if err != nil {
		fmt.Println(err)
		return
	}

	// The verifier: trusts the public key; the bundle has no log entry.
	trusted, err := sigstore.NewTrustedKeys(sigstore.TrustedKey{PublicKey: key.Public()})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := sigstore.NewVerifier(trusted, sigstore.WithOfflineKeys())
	if err != nil {
		fmt.Println(err)
		return
	}
	policy, err := sigstore.NewPolicy(sigstore.WithArtifact(artifact), sigstore.WithKey())
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := v.Verify(ctx, bundleJSON, policy)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.PayloadType)
	fmt.Println(res.Signers[0].KeyID == kp.KeyID(), len(res.Signers[0].KeyID))

	// Another artifact is rejected.
	other, err := sigstore.NewPolicy(sigstore.WithArtifact([]byte("something else")), sigstore.WithKey())
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = v.Verify(ctx, bundleJSON, other)
	fmt.Println(errors.Is(err, sigstore.ErrArtifactMismatch))
	// Output:
	// application/vnd.in-toto+json
	// true 64
	// true
}

// A policy for bundles about one artifact, signed in a given GitHub Actions
// workflow on any branch; the expressions match whole values. Options that
// contradict each other are an error.
func ExampleNewPolicy() {
	d, err := supplychain.ParseDigest("sha256:5c3d5ab0c2bd0e8a8bd1a0b5b2a7a0c06b5f1bb6c4d7f1c9a6b0e8e2b1c3d4e5")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = sigstore.NewPolicy(
		sigstore.WithArtifactDigest(d),
		sigstore.WithIdentity(`https://github\.com/acme/app/\.github/workflows/release\.yml@refs/heads/.+`, `https://token\.actions\.githubusercontent\.com`),
	)
	fmt.Println(err)

	_, err = sigstore.NewPolicy(sigstore.WithArtifactDigest(d), sigstore.WithKey(), sigstore.WithoutIdentityUnsafe())
	fmt.Println(err)
	// Output:
	// <nil>
	// sigstore: invalid policy: WithoutIdentityUnsafe conflicts with WithIdentity, WithKey or another WithoutIdentityUnsafe
}
