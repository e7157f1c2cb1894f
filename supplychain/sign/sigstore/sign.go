package sigstore

import (
	"context"
	"errors"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	sigsign "github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/paved-dev/paved/supplychain/attest"
)

// Content is what a bundle signs: an in-toto statement, carried in a DSSE
// envelope, or an artifact's bytes, signed as a message. Make it with
// InToto or Message; the zero Content cannot be signed.
type Content struct {
	dsse bool
	data []byte
}

// InToto returns content that signs statement, the JSON of an in-toto
// statement, in a DSSE envelope of payload type attest.PayloadType.
func InToto(statement []byte) Content { return Content{dsse: true, data: statement} }

// Message returns content that signs artifact directly; the bundle
// carries the signature and the artifact's digest, not the artifact.
func Message(artifact []byte) Content {
	if artifact == nil {
		artifact = []byte{}
	}
	return Content{data: artifact}
}

// sigstore returns sigstore-go's form of c, after checking it.
func (c Content) sigstore() (sigsign.Content, error) {
	switch {
	case c.data == nil:
		return nil, fmt.Errorf("%w: zero Content: use InToto or Message", ErrInvalidContent)
	case !c.dsse:
		return &sigsign.PlainData{Data: c.data}, nil
	}
	st, err := checkStatement(c.data)
	if err == nil && st.Type == "" {
		err = errors.New("in-toto statement has no _type")
	}
	if err == nil && len(st.Subject) == 0 {
		err = errors.New("in-toto statement has no subject")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidContent, err)
	}
	return &sigsign.DSSEData{Data: c.data, PayloadType: attest.PayloadType}, nil
}

// Sign signs c with the long-lived key k into a sigstore bundle (media
// type v0.3) and returns the bundle's JSON. It does no I/O: the bundle has
// no transparency log entry and no timestamp, so it verifies with a
// Verifier that trusts k's public key (NewTrustedKeys) under
// WithOfflineKeys and a policy with WithKey.
func Sign(ctx context.Context, k *Keypair, c Content) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: nil Keypair", ErrUnsupportedKey)
	}
	sc, err := c.sigstore()
	if err != nil {
		return nil, err
	}
	pb, err := sigsign.Bundle(sc, k, sigsign.BundleOptions{Context: ctx})
	if err != nil {
		// Without services, only k.SignData can fail, and its errors say so.
		return nil, err
	}
	return marshalBundle(pb)
}

// marshalBundle checks a bundle just made, as ParseBundle would, and
// encodes it.
func marshalBundle(pb *protobundle.Bundle) ([]byte, error) {
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, fmt.Errorf("sigstore: sign: %w", err)
	}
	return (&Bundle{b: b}).MarshalJSON()
}
