package sign_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// FuzzParseEnvelope: ParseEnvelope never panics, and whatever it accepts
// is rejected by Verify unless it was really signed (these inputs never
// are).
func FuzzParseEnvelope(f *testing.F) {
	s, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		f.Fatal(err)
	}
	env, err := sign.Sign(ctx, s, build(f, attesttest.Samples()[1]))
	if err != nil {
		f.Fatal(err)
	}
	good, err := json.Marshal(env)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	other, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		f.Fatal(err)
	}
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "other", Key: other.Verifier}}, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"other"}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := sign.ParseEnvelope(data)
		if err != nil {
			if !errors.Is(err, sign.ErrMalformed) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if _, err := sign.Verify(ctx, e, trust); err == nil {
			t.Fatal("an envelope not signed by the trusted key verified")
		}
	})
}

// FuzzParseTrust: ParseTrust never panics and its errors are typed.
func FuzzParseTrust(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := sign.ParseTrust(data); err != nil && !errors.Is(err, sign.ErrInvalidTrust) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}

// FuzzParsePEM: the PEM key parsers never panic and their errors are
// typed.
func FuzzParsePEM(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := sign.ParsePrivateKeyPEM(data); err != nil && !errors.Is(err, sign.ErrInvalidKey) && !errors.Is(err, sign.ErrUnsupportedKey) {
			t.Fatalf("untyped error: %v", err)
		}
		if _, err := sign.ParsePublicKeyPEM(data); err != nil && !errors.Is(err, sign.ErrInvalidKey) && !errors.Is(err, sign.ErrUnsupportedKey) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}
