package sign_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

var (
	ctx = context.Background()
	now = attesttest.When
)

// keyring is a set of named keys and a trust policy over them.
type keyring map[string]*sign.Signer

func newKeyring(t testing.TB, names ...string) keyring {
	t.Helper()
	k := keyring{}
	for i, n := range names {
		s, err := sign.GenerateKey(algorithms[i%2]) // Ed25519 and ECDSA P-256
		require.NoError(t, err)
		k[n] = s
	}
	return k
}

func (k keyring) trust(t testing.TB, rules []sign.Rule, edit func(name string, tk *sign.TrustedKey)) *sign.Trust {
	t.Helper()
	var keys []sign.TrustedKey
	for name, s := range k {
		tk := sign.TrustedKey{Name: name, Key: s.Verifier}
		if edit != nil {
			edit(name, &tk)
		}
		keys = append(keys, tk)
	}
	tr, err := sign.NewTrust(keys, rules)
	require.NoError(t, err)
	return tr
}

func build(t testing.TB, p attest.Predicate) *attest.Statement {
	t.Helper()
	st, err := attest.Build(p, attesttest.Subject())
	require.NoError(t, err)
	return st
}

// TestSignVerifyEveryPredicate: build, sign and verify round trips for
// every predicate type, with every key algorithm.
func TestSignVerifyEveryPredicate(t *testing.T) {
	for _, alg := range algorithms {
		s, err := sign.GenerateKey(alg)
		require.NoError(t, err)
		tr, err := sign.NewTrust([]sign.TrustedKey{{Name: "k", Key: s.Verifier}}, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"k"}}})
		require.NoError(t, err)
		for _, p := range attesttest.Samples() {
			t.Run(string(alg)+"/"+p.PredicateType(), func(t *testing.T) {
				st := build(t, p)
				env, err := sign.Sign(ctx, s, st)
				require.NoError(t, err)
				assert.Equal(t, attest.PayloadType, env.PayloadType)

				data, err := json.Marshal(env)
				require.NoError(t, err)
				parsed, err := sign.ParseEnvelope(data)
				require.NoError(t, err)

				v, err := sign.Verify(ctx, parsed, tr, sign.AtTime(now), sign.ForArtifact(attesttest.Subject().Digest))
				require.NoError(t, err)
				assert.Equal(t, st.Bytes(), v.Statement.Bytes(), "the signed bytes come back unchanged")
				assert.Equal(t, []sign.Identity{{KeyID: s.KeyID(), Name: "k"}}, v.Signers)

				into := reflect.New(reflect.TypeOf(p)).Interface().(attest.Predicate)
				require.NoError(t, v.Statement.Decode(into))
			})
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	keys := newKeyring(t, "builder", "rm", "sec", "stranger")
	stranger := keys["stranger"]
	delete(keys, "stranger")
	rules := []sign.Rule{
		{PredicateTypes: []string{attest.PredicateSLSAProvenance}, Signers: []string{"builder"}},
		{PredicateTypes: []string{"https://paved.dev/attestation/*"}, Stages: []string{"release"}, Signers: []string{"rm", "sec"}, Threshold: 2},
	}
	trust := keys.trust(t, rules, nil)
	prov := build(t, attesttest.Samples()[0])
	approval := build(t, attest.Approval{Approver: "rm@example.com", Decision: "approved", ChangeID: "PR-1", DecidedAt: now})

	signed := func(st *attest.Statement, signers ...*sign.Signer) *sign.Envelope {
		env, err := sign.Sign(ctx, signers[0], st)
		require.NoError(t, err)
		for _, s := range signers[1:] {
			require.NoError(t, sign.AddSignature(ctx, env, s))
		}
		return env
	}
	good := signed(prov, keys["builder"])
	_, err := sign.Verify(ctx, good, trust, sign.AtTime(now))
	require.NoError(t, err)

	tests := []struct {
		name  string
		env   func() *sign.Envelope
		trust *sign.Trust
		opts  []sign.VerifyOption
		want  error
	}{
		{"tampered payload", func() *sign.Envelope {
			e := *good
			p, _ := base64.StdEncoding.DecodeString(e.Payload)
			p[len(p)/2] ^= 1
			e.Payload = base64.StdEncoding.EncodeToString(p)
			return &e
		}, trust, nil, sign.ErrBadSignature},
		{"tampered signature", func() *sign.Envelope {
			e := *good
			s, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
			s[3] ^= 1
			e.Signatures = []dsse.Signature{{KeyID: e.Signatures[0].KeyID, Sig: base64.StdEncoding.EncodeToString(s)}}
			return &e
		}, trust, nil, sign.ErrBadSignature},
		{"swapped payload type", func() *sign.Envelope {
			e := *good
			e.PayloadType = "application/json"
			return &e
		}, trust, nil, sign.ErrPayloadType},
		{"payload type with a trailing space", func() *sign.Envelope {
			e := *good
			e.PayloadType = attest.PayloadType + " "
			return &e
		}, trust, nil, sign.ErrPayloadType},
		{"untrusted key", func() *sign.Envelope { return signed(prov, stranger) }, trust, nil, sign.ErrUntrustedKey},
		{"untrusted key without key id", func() *sign.Envelope {
			e := signed(prov, stranger)
			e.Signatures[0].KeyID = ""
			return e
		}, trust, nil, sign.ErrUntrustedKey},
		{"trusted key id, other key's signature", func() *sign.Envelope {
			e := signed(prov, stranger)
			e.Signatures[0].KeyID = keys["builder"].KeyID()
			return e
		}, trust, nil, sign.ErrBadSignature},
		{"predicate type not allowed for the signer", func() *sign.Envelope { return signed(prov, keys["rm"]) }, trust, nil, sign.ErrPredicateNotAllowed},
		{"predicate type no rule covers", func() *sign.Envelope {
			return signed(build(t, attest.Generic{Type: "https://example.com/other/v1", JSON: json.RawMessage(`{}`)}), keys["builder"])
		}, trust, nil, sign.ErrPredicateNotAllowed},
		{"stage rule without the stage", func() *sign.Envelope { return signed(approval, keys["rm"], keys["sec"]) }, trust, nil, sign.ErrPredicateNotAllowed},
		{"threshold: one of two", func() *sign.Envelope { return signed(approval, keys["rm"]) }, trust, []sign.VerifyOption{sign.AtStage("release")}, sign.ErrThreshold},
		{"threshold: the same key twice counts once", func() *sign.Envelope { return signed(approval, keys["rm"], keys["rm"]) }, trust, []sign.VerifyOption{sign.AtStage("release")}, sign.ErrThreshold},
		{"revoked key", func() *sign.Envelope { return good }, keys.trust(t, rules, func(n string, k *sign.TrustedKey) { k.Revoked = n == "builder" }), nil, sign.ErrUntrustedKey},
		{"expired key", func() *sign.Envelope { return good }, keys.trust(t, rules, func(n string, k *sign.TrustedKey) { k.NotAfter = now.Add(-time.Hour) }), nil, sign.ErrUntrustedKey},
		{"key not yet valid", func() *sign.Envelope { return good }, keys.trust(t, rules, func(n string, k *sign.TrustedKey) { k.NotBefore = now.Add(time.Hour) }), nil, sign.ErrUntrustedKey},
		{"subject does not match the artifact", func() *sign.Envelope { return good }, trust,
			[]sign.VerifyOption{sign.ForArtifact(supplychain.DigestSet{"sha256": strings.Repeat("cd", 32)})}, sign.ErrSubjectMismatch},
		{"no signatures", func() *sign.Envelope {
			e := *good
			e.Signatures = nil
			return &e
		}, trust, nil, sign.ErrMalformed},
		{"payload not base64", func() *sign.Envelope {
			e := *good
			e.Payload = "%%%"
			return &e
		}, trust, nil, sign.ErrMalformed},
		{"signed garbage", func() *sign.Envelope {
			es, err := dsse.NewEnvelopeSigner(dsseAdapter{keys["builder"]})
			require.NoError(t, err)
			e, err := es.SignPayload(ctx, attest.PayloadType, []byte(`{"not":"a statement"}`))
			require.NoError(t, err)
			return e
		}, trust, nil, sign.ErrMalformed},
		{"too many signatures", func() *sign.Envelope {
			e := *good
			for len(e.Signatures) <= sign.MaxSignatures {
				e.Signatures = append(e.Signatures, good.Signatures[0])
			}
			return &e
		}, trust, nil, sign.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]sign.VerifyOption{sign.AtTime(now)}, tt.opts...)
			_, err := sign.Verify(ctx, tt.env(), tt.trust, opts...)
			require.ErrorIs(t, err, tt.want)
			var ve *sign.VerificationError
			assert.ErrorAs(t, err, &ve)
		})
	}
}

func TestVerifyThresholdAndStages(t *testing.T) {
	keys := newKeyring(t, "rm", "sec", "builder")
	trust := keys.trust(t, []sign.Rule{
		{PredicateTypes: []string{"https://paved.dev/attestation/*"}, Stages: []string{"release"}, Signers: []string{"rm", "sec"}, Threshold: 2},
		{PredicateTypes: []string{attest.PredicateApproval}, Stages: []string{"plan"}, Signers: []string{"rm"}},
	}, nil)
	st := build(t, attest.Approval{Approver: "rm@example.com", Decision: "approved", ChangeID: "PR-1", DecidedAt: now})
	env, err := sign.Sign(ctx, keys["rm"], st)
	require.NoError(t, err)

	_, err = sign.Verify(ctx, env, trust, sign.AtStage("plan"), sign.AtTime(now))
	require.NoError(t, err, "one signer suffices at plan")

	require.NoError(t, sign.AddSignature(ctx, env, keys["builder"]))
	require.NoError(t, sign.AddSignature(ctx, env, keys["sec"]))
	v, err := sign.Verify(ctx, env, trust, sign.AtStage("release"), sign.AtTime(now))
	require.NoError(t, err, "two of two at release; the builder's extra signature is harmless")
	var names []string
	for _, id := range v.Signers {
		names = append(names, id.Name)
	}
	assert.Equal(t, []string{"rm", "sec"}, names)

	// A signature without a key ID is matched to its key.
	env.Signatures[0].KeyID = ""
	_, err = sign.Verify(ctx, env, trust, sign.AtStage("release"), sign.AtTime(now))
	require.NoError(t, err)
}

// TestEveryByteFlipIsRejected flips each byte of a signed envelope's JSON in
// turn; no variant may verify.
func TestEveryByteFlipIsRejected(t *testing.T) {
	keys := newKeyring(t, "builder")
	trust := keys.trust(t, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"builder"}}}, nil)
	env, err := sign.Sign(ctx, keys["builder"], build(t, attesttest.Samples()[1]))
	require.NoError(t, err)
	data, err := json.Marshal(env)
	require.NoError(t, err)
	_, err = sign.Verify(ctx, env, trust, sign.AtTime(now))
	require.NoError(t, err)

	for i := range data {
		for _, mask := range []byte{0x01, 0x80} {
			flipped := append([]byte(nil), data...)
			flipped[i] ^= mask
			e, err := sign.ParseEnvelope(flipped)
			if err != nil {
				continue
			}
			if _, err := sign.Verify(ctx, e, trust, sign.AtTime(now)); err == nil {
				t.Fatalf("flipping byte %d (%q) with %#x still verifies", i, data[i], mask)
			}
		}
	}
}

func TestParseEnvelope(t *testing.T) {
	for name, doc := range map[string]string{
		"not JSON":      "{",
		"unknown field": `{"payloadType":"x","payload":"","signatures":[],"extra":1}`,
		"two values":    `{"payloadType":"x","payload":"","signatures":[]}{}`,
	} {
		_, err := sign.ParseEnvelope([]byte(doc))
		assert.ErrorIs(t, err, sign.ErrMalformed, name)
	}
	_, err := sign.ParseEnvelope(make([]byte, sign.MaxEnvelopeSize+1))
	assert.ErrorIs(t, err, sign.ErrMalformed)
}

func TestVerifyHonoursContext(t *testing.T) {
	keys := newKeyring(t, "builder")
	trust := keys.trust(t, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"builder"}}}, nil)
	env, err := sign.Sign(ctx, keys["builder"], build(t, attesttest.Samples()[1]))
	require.NoError(t, err)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = sign.Verify(cancelled, env, trust)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = sign.Sign(cancelled, keys["builder"], build(t, attesttest.Samples()[1]))
	assert.ErrorIs(t, err, context.Canceled)
}

// dsseAdapter signs with go-securesystemslib directly, to make envelopes
// paved's Sign would refuse to.
type dsseAdapter struct{ s *sign.Signer }

func (d dsseAdapter) Sign(ctx context.Context, data []byte) ([]byte, error) {
	return d.s.Sign(ctx, data)
}
func (d dsseAdapter) KeyID() (string, error) { return d.s.KeyID(), nil }
