package sign_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// statement4KiB builds a statement of about 4 KiB: a predicate with a few
// dozen fields, the shape of a build or test record.
func statement4KiB(b *testing.B) *attest.Statement {
	b.Helper()
	fields := map[string]any{}
	for i := 0; len(mustJSON(b, fields)) < 3800; i++ {
		fields[fmt.Sprintf("field%03d", i)] = map[string]any{"name": fmt.Sprintf("step-%d", i), "ok": i%3 != 0, "n": i * 7919}
	}
	st, err := attest.Build(attest.Generic{Type: "https://example.com/build/v1", JSON: mustJSON(b, fields)}, attesttest.Subject())
	if err != nil {
		b.Fatal(err)
	}
	if n := len(st.Bytes()); n < 3900 || n > 4300 {
		b.Fatalf("statement is %d bytes, want about 4 KiB", n)
	}
	return st
}

func mustJSON(b *testing.B, v any) json.RawMessage {
	out, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func anyTrust(b *testing.B, s *sign.Signer) *sign.Trust {
	tr, err := sign.NewTrust([]sign.TrustedKey{{Name: "k", Key: s.Verifier}}, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"k"}}})
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// BenchmarkSignEd25519 signs a 4 KiB statement into a DSSE envelope, beside
// the raw crypto/ed25519 signature of the same bytes.
func BenchmarkSignEd25519(b *testing.B) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	s, err := sign.NewSigner(priv)
	if err != nil {
		b.Fatal(err)
	}
	st := statement4KiB(b)
	b.Run("dsse", func(b *testing.B) {
		for b.Loop() {
			if _, err := sign.Sign(ctx, s, st); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			ed25519.Sign(priv, st.Bytes())
		}
	})
}

// benchVerify verifies a DSSE envelope of a 4 KiB statement signed by key
// ("dsse"), beside raw, the standard library's verification of the same
// bytes ("raw"); prepare makes raw from the statement's bytes.
func benchVerify(b *testing.B, key crypto.Signer, prepare func(msg []byte) (raw func() bool)) {
	s, err := sign.NewSigner(key)
	if err != nil {
		b.Fatal(err)
	}
	st := statement4KiB(b)
	env, err := sign.Sign(ctx, s, st)
	if err != nil {
		b.Fatal(err)
	}
	trust := anyTrust(b, s)
	raw := prepare(st.Bytes())
	b.Run("dsse", func(b *testing.B) {
		for b.Loop() {
			if _, err := sign.Verify(ctx, env, trust); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			if !raw() {
				b.Fatal("raw verify failed")
			}
		}
	})
}

// BenchmarkVerifyEd25519 verifies a signed 4 KiB statement, beside the raw
// crypto/ed25519 verification of the same bytes.
func BenchmarkVerifyEd25519(b *testing.B) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, priv, func(msg []byte) func() bool {
		sig := ed25519.Sign(priv, msg)
		return func() bool { return ed25519.Verify(pub, msg, sig) }
	})
}

// BenchmarkVerifyECDSAP256 verifies a signed 4 KiB statement, beside the
// raw crypto/ecdsa verification (SHA-256 and VerifyASN1) of the same bytes.
func BenchmarkVerifyECDSAP256(b *testing.B) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, priv, func(msg []byte) func() bool {
		h := sha256.Sum256(msg)
		sig, err := ecdsa.SignASN1(rand.Reader, priv, h[:])
		if err != nil {
			b.Fatal(err)
		}
		return func() bool {
			h := sha256.Sum256(msg)
			return ecdsa.VerifyASN1(&priv.PublicKey, h[:], sig)
		}
	})
}
