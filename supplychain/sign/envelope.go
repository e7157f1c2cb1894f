package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// Envelope is a DSSE envelope, go-securesystemslib's type.
type Envelope = dsse.Envelope

// Caps on envelopes, so that hostile input cannot exhaust memory.
const (
	// MaxEnvelopeSize is the largest envelope ParseEnvelope reads: 96 MiB,
	// room for a base64 statement of attest.MaxStatementSize.
	MaxEnvelopeSize = 96 << 20
	// MaxSignatures is the most signatures an envelope may carry.
	MaxSignatures = 32
)

// Verification errors: a *VerificationError unwraps to one of them.
var (
	// ErrMalformed: an envelope that is not well-formed: bad JSON or
	// base64, no signatures, too large, or a payload that is not a valid
	// in-toto statement.
	ErrMalformed = errors.New("malformed envelope")
	// ErrPayloadType: a payload type other than in-toto's.
	ErrPayloadType = errors.New("wrong payload type")
	// ErrBadSignature: a signature by a trusted key that does not verify,
	// or no signature that verifies.
	ErrBadSignature = errors.New("bad signature")
	// ErrUntrustedKey: signatures only by keys the policy does not know,
	// or by known keys that are revoked or outside their validity window.
	ErrUntrustedKey = errors.New("untrusted key")
	// ErrPredicateNotAllowed: no rule of the policy lets the signers sign
	// this predicate type at this stage.
	ErrPredicateNotAllowed = errors.New("predicate type not allowed")
	// ErrThreshold: fewer distinct allowed signers than a rule requires.
	ErrThreshold = errors.New("signature threshold not met")
	// ErrSubjectMismatch: no subject of the statement is the expected
	// artifact.
	ErrSubjectMismatch = errors.New("subject does not match the artifact")
)

// VerificationError says why an envelope was rejected. It unwraps to one of
// the package's verification sentinels.
type VerificationError struct {
	// KeyID names the key concerned, when one is.
	KeyID string
	// PredicateType is the statement's predicate type, once known.
	PredicateType string
	// Reason says what failed, for people.
	Reason string
	// Err is the sentinel.
	Err error
}

// Error formats the rejection as "sign: verify: sentinel: reason".
func (e *VerificationError) Error() string {
	msg := "sign: verify: " + e.Err.Error()
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.KeyID != "" {
		msg += " (key " + e.KeyID + ")"
	}
	return msg
}

// Unwrap returns the sentinel.
func (e *VerificationError) Unwrap() error { return e.Err }

func reject(sentinel error, format string, args ...any) *VerificationError {
	return &VerificationError{Err: sentinel, Reason: fmt.Sprintf(format, args...)}
}

// Sign signs the statement's exact bytes into a DSSE envelope.
func Sign(ctx context.Context, signer *Signer, st *attest.Statement) (*Envelope, error) {
	es, err := dsse.NewEnvelopeSigner(dsseSigner{signer})
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	env, err := es.SignPayload(ctx, attest.PayloadType, st.Bytes())
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return env, nil
}

// AddSignature co-signs an envelope: it appends signer's signature over the
// envelope's payload, so that several keys can meet a threshold. The
// envelope's existing signatures are not checked.
func AddSignature(ctx context.Context, env *Envelope, signer *Signer) error {
	payload, err := decodeBase64(env.Payload)
	if err != nil {
		return fmt.Errorf("sign: add signature: %w", err)
	}
	sig, err := signer.Sign(ctx, dsse.PAE(env.PayloadType, payload))
	if err != nil {
		return err
	}
	env.Signatures = append(env.Signatures, dsse.Signature{KeyID: signer.KeyID(), Sig: base64.StdEncoding.EncodeToString(sig)})
	return nil
}

// dsseSigner adapts a Signer to go-securesystemslib's dsse.Signer.
type dsseSigner struct{ s *Signer }

func (d dsseSigner) Sign(ctx context.Context, data []byte) ([]byte, error) {
	return d.s.Sign(ctx, data)
}

func (d dsseSigner) KeyID() (string, error) { return d.s.KeyID(), nil }

// ParseEnvelope reads a DSSE envelope from JSON, at most MaxEnvelopeSize
// bytes and MaxSignatures signatures.
func ParseEnvelope(data []byte) (*Envelope, error) {
	if len(data) > MaxEnvelopeSize {
		return nil, reject(ErrMalformed, "%d bytes, the limit is %d", len(data), MaxEnvelopeSize)
	}
	var env Envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, reject(ErrMalformed, "%v", err)
	}
	if dec.More() {
		return nil, reject(ErrMalformed, "data after the envelope")
	}
	if len(env.Signatures) > MaxSignatures {
		return nil, reject(ErrMalformed, "%d signatures, the limit is %d", len(env.Signatures), MaxSignatures)
	}
	return &env, nil
}

// Verified is a statement whose envelope passed verification, with who
// signed it.
type Verified struct {
	// Statement is the verified statement; its Bytes are the signed payload.
	Statement *attest.Statement
	// Signers are the trusted keys whose signatures verified and count
	// under the policy, in the envelope's order.
	Signers []Identity
}

// VerifyOption is an expectation of one verification.
type VerifyOption interface{ apply(*verifyConfig) }

type verifyConfig struct {
	stage    string
	at       time.Time
	artifact supplychain.DigestSet
}

type verifyOptionFunc func(*verifyConfig)

func (f verifyOptionFunc) apply(c *verifyConfig) { f(c) }

// AtStage applies the trust rules of a pipeline stage. Without it only
// rules without stages apply.
func AtStage(stage string) VerifyOption {
	return verifyOptionFunc(func(c *verifyConfig) { c.stage = stage })
}

// AtTime judges key validity windows at t. The default is the time of the
// call.
func AtTime(t time.Time) VerifyOption {
	return verifyOptionFunc(func(c *verifyConfig) { c.at = t })
}

// ForArtifact requires a subject of the statement to be the artifact with
// these digests. Without it any subject is accepted.
func ForArtifact(digest supplychain.DigestSet) VerifyOption {
	return verifyOptionFunc(func(c *verifyConfig) { c.artifact = digest })
}

// Verify checks an envelope against a trust policy, offline: the payload
// type is in-toto's; every signature by a key the policy knows verifies
// (one that does not rejects the envelope, whatever the others say);
// signatures by unknown keys are ignored; the statement parses; and some
// rule that covers its predicate type at the stage is met by enough
// distinct signers whose keys are valid at the verification time. It
// returns the statement and the signers that counted, or a
// *VerificationError.
func Verify(ctx context.Context, env *Envelope, trust *Trust, opts ...VerifyOption) (*Verified, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg := verifyConfig{}
	for _, o := range opts {
		o.apply(&cfg)
	}
	if cfg.at.IsZero() {
		cfg.at = time.Now()
	}
	switch {
	case env == nil || trust == nil:
		return nil, reject(ErrMalformed, "nil envelope or trust policy")
	case env.PayloadType != attest.PayloadType:
		return nil, reject(ErrPayloadType, "%q, want %q", env.PayloadType, attest.PayloadType)
	case len(env.Signatures) == 0:
		return nil, reject(ErrMalformed, "no signatures")
	case len(env.Signatures) > MaxSignatures:
		return nil, reject(ErrMalformed, "%d signatures, the limit is %d", len(env.Signatures), MaxSignatures)
	}
	payload, err := decodeBase64(env.Payload)
	if err != nil {
		return nil, reject(ErrMalformed, "payload: %v", err)
	}
	signed, untrusted, err := trust.checkSignatures(dsse.PAE(env.PayloadType, payload), env.Signatures)
	if err != nil {
		return nil, err
	}
	if len(signed) == 0 {
		if untrusted > 0 {
			return nil, reject(ErrUntrustedKey, "no signature is by a key the trust policy knows")
		}
		return nil, reject(ErrBadSignature, "no signature verifies")
	}
	st, err := attest.Parse(payload)
	if err != nil {
		return nil, reject(ErrMalformed, "%v", err)
	}
	signers, verr := trust.allowed(st.PredicateType(), cfg.stage, cfg.at, signed)
	if verr != nil {
		verr.PredicateType = st.PredicateType()
		return nil, verr
	}
	if cfg.artifact != nil && !st.About(cfg.artifact) {
		return nil, &VerificationError{Err: ErrSubjectMismatch, PredicateType: st.PredicateType(), Reason: "no subject has the artifact's digests"}
	}
	return &Verified{Statement: st, Signers: signers}, nil
}

// checkSignatures verifies every signature by a known key over pae and
// returns the distinct keys whose signatures verified, in order, and how
// many signatures named no known key.
func (t *Trust) checkSignatures(pae []byte, sigs []dsse.Signature) ([]*TrustedKey, int, error) {
	var signed []*TrustedKey
	untrusted := 0
	for i, s := range sigs {
		raw, err := decodeBase64(s.Sig)
		if err != nil {
			return nil, 0, reject(ErrMalformed, "signature %d: %v", i, err)
		}
		var key *TrustedKey
		if s.KeyID != "" {
			key = t.byID[s.KeyID]
		} else {
			key = t.keyFor(pae, raw)
		}
		if key == nil {
			untrusted++
			continue
		}
		if !key.Key.Verify(pae, raw) {
			return nil, 0, &VerificationError{Err: ErrBadSignature, KeyID: key.Key.KeyID(), Reason: fmt.Sprintf("signature %d does not verify", i)}
		}
		if !slices.Contains(signed, key) {
			signed = append(signed, key)
		}
	}
	return signed, untrusted, nil
}

// keyFor finds the known key that made a signature without a key ID.
func (t *Trust) keyFor(pae, sig []byte) *TrustedKey {
	for i := range t.keys {
		if k := &t.keys[i]; k.Key != nil && k.Key.Verify(pae, sig) {
			return k
		}
	}
	return nil
}

// allowed applies the rules covering predicateType at stage to the keys
// that signed, and returns the identities that count under the first rule
// met.
func (t *Trust) allowed(predicateType, stage string, at time.Time, signed []*TrustedKey) ([]Identity, *VerificationError) {
	var valid []*TrustedKey
	var invalid *VerificationError
	for _, k := range signed {
		if why := k.invalidAt(at); why != "" {
			invalid = &VerificationError{Err: ErrUntrustedKey, KeyID: k.Key.KeyID(), Reason: fmt.Sprintf("key %q is %s", k.Name, why)}
			continue
		}
		valid = append(valid, k)
	}
	covered := false
	var short *VerificationError
	for i := range t.rules {
		r := &t.rules[i]
		if !r.covers(predicateType, stage) {
			continue
		}
		covered = true
		var ids []Identity
		for _, k := range valid {
			if slices.Contains(r.Signers, k.Name) {
				ids = append(ids, Identity{KeyID: k.Key.KeyID(), Name: k.Name})
			}
		}
		if len(ids) >= r.threshold() {
			return ids, nil
		}
		if len(ids) > 0 {
			short = reject(ErrThreshold, "%d of the %d signatures rule %d requires", len(ids), r.threshold(), i)
		}
	}
	switch {
	case !covered:
		return nil, reject(ErrPredicateNotAllowed, "no rule covers %q at stage %q", predicateType, stage)
	case invalid != nil:
		return nil, invalid
	case short != nil:
		return nil, short
	}
	return nil, reject(ErrPredicateNotAllowed, "no signer may sign %q at stage %q", predicateType, stage)
}

// base64Encodings are the encodings DSSE allows (standard or URL-safe,
// padded or not), strict so that every byte string has one encoding and a
// changed character never decodes to the same bytes.
var base64Encodings = []*base64.Encoding{
	base64.StdEncoding.Strict(), base64.URLEncoding.Strict(),
	base64.RawStdEncoding.Strict(), base64.RawURLEncoding.Strict(),
}

// decodeBase64 decodes s in the first encoding of base64Encodings that
// accepts it.
func decodeBase64(s string) ([]byte, error) {
	for _, enc := range base64Encodings {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}
