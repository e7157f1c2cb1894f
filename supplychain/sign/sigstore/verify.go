package sigstore

import (
	"bytes"
	"context"
	"crypto"
	_ "crypto/sha256" // message digests
	_ "crypto/sha512" // message digests
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Kinds of verified timestamp.
const (
	// TimestampLog is a transparency log entry's integrated time, vouched
	// for by the log's signed inclusion promise.
	TimestampLog = "transparency log"
	// TimestampAuthority is an RFC 3161 timestamp.
	TimestampAuthority = "timestamp authority"
)

// Verifier verifies sigstore bundles offline against trusted material: a
// trusted root (certificate authorities, transparency logs, CT logs,
// timestamp authorities) and/or long-lived keys. Make it once with
// NewVerifier and call Verify for each bundle. A Verifier is immutable and
// safe for concurrent use by multiple goroutines, provided its trusted
// material is (the types of sigstore-go's root package and NewTrustedKeys
// are).
type Verifier struct {
	trusted     root.TrustedMaterial
	cert, key   *verify.Verifier
	offlineKeys bool
	now         func() time.Time
}

// NewVerifier returns a Verifier that trusts only trusted, for a deployment
// described by opts. With no option, a bundle needs one verified
// transparency log entry and one observer timestamp, and a certificate one
// signed certificate timestamp: the public-good sigstore's guarantees.
// It does no I/O.
func NewVerifier(trusted root.TrustedMaterial, opts ...VerifierOption) (*Verifier, error) {
	if trusted == nil {
		return nil, fmt.Errorf("%w: no trusted material", ErrInvalidOption)
	}
	c := defaultConfig()
	var errs []error
	for _, o := range opts {
		if o == nil {
			errs = append(errs, fmt.Errorf("%w: nil option", ErrInvalidOption))
			continue
		}
		if err := o.applyVerifier(&c); err != nil {
			errs = append(errs, err)
		}
	}
	if c.observerTimestamps == 0 && c.signedTimestamps == 0 {
		errs = append(errs, fmt.Errorf("%w: a certificate needs a time to be checked at: WithObserverTimestamps or WithSignedTimestamps must be at least 1", ErrInvalidOption))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	common := []verify.VerifierOption{verify.WithoutStatementPredicate()}
	if c.tlog > 0 {
		common = append(common, verify.WithTransparencyLog(c.tlog))
	}
	if c.signedTimestamps > 0 {
		common = append(common, verify.WithSignedTimestamps(c.signedTimestamps))
	}
	if c.observerTimestamps > 0 {
		common = append(common, verify.WithObserverTimestamps(c.observerTimestamps))
	}
	certOpts := slices.Clone(common)
	if c.scts > 0 {
		certOpts = append(certOpts, verify.WithSignedCertificateTimestamps(c.scts))
	}
	keyOpts := common
	if c.offlineKeys {
		keyOpts = []verify.VerifierOption{verify.WithoutStatementPredicate(), verify.WithNoObserverTimestamps()}
	}
	cert, err := verify.NewVerifier(trusted, certOpts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	key, err := verify.NewVerifier(trusted, keyOpts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	return &Verifier{trusted: trusted, cert: cert, key: key, offlineKeys: c.offlineKeys, now: c.now}, nil
}

// Result is what a verified bundle establishes.
type Result struct {
	// MediaType is the bundle's media type.
	MediaType string
	// PayloadType and Payload are a DSSE bundle's payload type (always
	// attest.PayloadType) and its exact payload bytes: the signed in-toto
	// statement. Both are empty for a message signature.
	PayloadType string
	Payload     []byte
	// ArtifactDigest is the digest of the artifact that a message signature
	// signs: the policy's digest, or the sha256 of the policy's artifact.
	// It is zero for a DSSE bundle.
	ArtifactDigest supplychain.Digest
	// Signers holds the signer: for a certificate, its SAN as Subject and
	// its OIDC issuer as Issuer; KeyID is the hex sha256 of the PKIX DER of
	// the certificate's or trusted key's public key.
	Signers []sign.Identity
	// Timestamps are the verified times at which the signature was
	// observed, empty for a key-signed bundle verified under
	// WithOfflineKeys.
	Timestamps []Timestamp
}

// Timestamp is one verified observation of a signature.
type Timestamp struct {
	// Kind is TimestampLog or TimestampAuthority.
	Kind string
	// URI names the log or authority, when the trusted root gives one.
	URI string
	// Time is when the signature was observed.
	Time time.Time
}

// Verify parses bundleJSON with ParseBundle and verifies it, as
// VerifyBundle does.
func (v *Verifier) Verify(ctx context.Context, bundleJSON []byte, policy Policy) (*Result, error) {
	b, err := ParseBundle(bundleJSON)
	if err != nil {
		return nil, err
	}
	return v.VerifyBundle(ctx, b, policy)
}

// VerifyBundle verifies b offline: its transparency log entries,
// timestamps and certificate chain against the trusted material and the
// Verifier's thresholds, its signature, and then the policy's artifact and
// signer expectations. It fails closed: any unmet expectation rejects the
// bundle with a *VerificationError whose Reason says what failed.
// Verification does no I/O; a context already done returns its error.
func (v *Verifier) VerifyBundle(ctx context.Context, b *Bundle, policy Policy) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sigstore: verify: %w", err)
	}
	if b == nil || b.b == nil {
		return nil, verifyErr("bundle", ErrInvalidBundle, errors.New("nil bundle"))
	}
	if !policy.built {
		return nil, verifyErr("policy", ErrInvalidPolicy, errors.New("zero Policy: build it with NewPolicy"))
	}
	// sigstore-go records flags on the bundle while it reads its log
	// entries: verify a shallow copy so that b can be shared.
	entity := *b.b
	vc, err := entity.VerificationContent()
	if err != nil {
		return nil, verifyErr("bundle", ErrInvalidBundle, err)
	}
	sc, err := entity.SignatureContent()
	if err != nil {
		return nil, verifyErr("bundle", ErrInvalidBundle, err)
	}
	cert := vc.Certificate()
	switch {
	case policy.key && cert != nil:
		return nil, verifyErr("identity", ErrIdentityMismatch, errors.New("policy expects a key-signed bundle, bundle is signed with a certificate"))
	case len(policy.identities) > 0 && cert == nil:
		return nil, verifyErr("identity", ErrIdentityMismatch, errors.New("policy expects a certificate identity, bundle is signed with a key"))
	}
	res := &Result{MediaType: entity.GetMediaType()}
	if env := sc.EnvelopeContent(); env != nil {
		if pt := env.RawEnvelope().PayloadType; pt != attest.PayloadType {
			return nil, verifyErr("bundle", ErrInvalidBundle, fmt.Errorf("DSSE payload type %q, want %q", pt, attest.PayloadType))
		}
		res.PayloadType = attest.PayloadType
		res.Payload = bytes.Clone(entity.GetDsseEnvelope().GetPayload())
	} else {
		d, err := policy.messageArtifact(sc.MessageSignatureContent())
		if err != nil {
			return nil, err
		}
		res.ArtifactDigest = d
	}

	sv := v.cert
	if cert == nil {
		sv = v.key
	}
	out, err := sv.Verify(&entity, policy.sigstorePolicy(true, true))
	if err != nil {
		return nil, v.explain(&entity, &policy, sv, err)
	}

	signer := sign.Identity{}
	var pub crypto.PublicKey
	if cert != nil {
		pub = cert.PublicKey
		signer.Subject = out.Signature.Certificate.SubjectAlternativeName
		signer.Issuer = out.Signature.Certificate.Issuer
	} else {
		kv, err := v.trusted.PublicKeyVerifier(vc.PublicKey().Hint())
		if err != nil {
			return nil, verifyErr("key", ErrUntrusted, err)
		}
		if now := v.now(); v.offlineKeys && !kv.ValidAtTime(now) {
			return nil, verifyErr("key", ErrUntrusted, fmt.Errorf("trusted key is not valid at %s", now.UTC().Format(time.RFC3339)))
		}
		if pub, err = kv.PublicKey(); err != nil {
			return nil, verifyErr("key", ErrUntrusted, err)
		}
	}
	if signer.KeyID, err = sign.KeyID(pub); err != nil {
		return nil, verifyErr("key", ErrUntrusted, err)
	}
	res.Signers = []sign.Identity{signer}
	for _, ts := range out.VerifiedTimestamps {
		kind := TimestampAuthority
		if ts.Type == "Tlog" {
			kind = TimestampLog
		}
		t := Timestamp{Kind: kind, URI: ts.URI, Time: ts.Timestamp}
		// sigstore-go lists an RFC 3161 timestamp once per threshold that
		// counted it.
		if !slices.ContainsFunc(res.Timestamps, func(u Timestamp) bool { return u.Kind == t.Kind && u.URI == t.URI && u.Time.Equal(t.Time) }) {
			res.Timestamps = append(res.Timestamps, t)
		}
	}
	return res, nil
}

// messageArtifact checks, before any cryptography, that the policy names
// the artifact whose digest a message signature carries, and returns the
// artifact's digest for the Result. The carried digest is only a hint: the
// signature is verified afterwards.
func (p *Policy) messageArtifact(msg verify.MessageSignatureContent) (supplychain.Digest, error) {
	alg := msg.DigestAlgorithm()
	var h crypto.Hash
	var name string // paved's name, where supplychain.Digest has one
	switch alg {
	case "SHA2_256":
		h, name = crypto.SHA256, supplychain.SHA256
	case "SHA2_384":
		h = crypto.SHA384
	case "SHA2_512":
		h, name = crypto.SHA512, supplychain.SHA512
	default:
		return supplychain.Digest{}, verifyErr("bundle", ErrInvalidBundle, fmt.Errorf("message digest algorithm %q", alg))
	}
	switch {
	case p.noArtifact:
		return supplychain.Digest{}, verifyErr("artifact", ErrArtifactMismatch, errors.New("a message signature cannot be verified without its artifact or digest"))
	case p.artifact != nil:
		hh := h.New()
		hh.Write(p.artifact)
		sum := hh.Sum(nil)
		if !bytes.Equal(sum, msg.Digest()) {
			return supplychain.Digest{}, verifyErr("artifact", ErrArtifactMismatch, fmt.Errorf("bundle signs %s %x, artifact has %x", alg, msg.Digest(), sum))
		}
		if h != crypto.SHA256 {
			s := crypto.SHA256.New()
			s.Write(p.artifact)
			sum = s.Sum(nil)
		}
		return supplychain.Digest{Algorithm: supplychain.SHA256, Hex: hex.EncodeToString(sum)}, nil
	default:
		if name != p.digest.Algorithm {
			return supplychain.Digest{}, verifyErr("artifact", ErrArtifactMismatch, fmt.Errorf("bundle signs a %s digest, policy gives %s: give the artifact instead", alg, p.digest.Algorithm))
		}
		if hex.EncodeToString(msg.Digest()) != p.digest.Hex {
			return supplychain.Digest{}, verifyErr("artifact", ErrArtifactMismatch, fmt.Errorf("bundle signs %s:%x, policy expects %s", p.digest.Algorithm, msg.Digest(), p.digest))
		}
		return p.digest, nil
	}
}

// explain turns a sigstore-go failure into a VerificationError by
// re-running its checks one by one, from the signature outwards. It runs
// only on the failure path.
func (v *Verifier) explain(entity *bundle.Bundle, p *Policy, sv *verify.Verifier, err error) error {
	var noID *verify.ErrNoMatchingCertificateIdentity
	switch {
	case errors.As(err, &noID):
		return verifyErr("identity", ErrIdentityMismatch, err)
	case errors.Is(err, bundle.ErrValidation), errors.Is(err, verify.ErrDSSEInvalidSignatureCount):
		return verifyErr("bundle", ErrInvalidBundle, err)
	}
	vc, verr := entity.VerificationContent()
	sc, serr := entity.SignatureContent()
	if e := errors.Join(verr, serr); e != nil {
		return verifyErr("bundle", ErrInvalidBundle, e)
	}
	if vc.Certificate() == nil {
		if _, kerr := v.trusted.PublicKeyVerifier(vc.PublicKey().Hint()); kerr != nil {
			return verifyErr("key", ErrUntrusted, kerr)
		}
	}
	if sigErr := p.checkSignature(sc, vc, v.trusted); sigErr != nil {
		return verifyErr("signature", ErrBadSignature, sigErr)
	}
	if env := sc.EnvelopeContent(); env != nil {
		if _, stErr := checkStatement(entity.GetDsseEnvelope().GetPayload()); stErr != nil {
			return verifyErr("bundle", ErrInvalidBundle, stErr)
		}
		if !p.noArtifact {
			if _, aerr := sv.Verify(entity, p.sigstorePolicy(false, false)); aerr == nil {
				return verifyErr("artifact", ErrArtifactMismatch, err)
			}
		}
	}
	logTimes, terr := sv.VerifyTransparencyLogInclusion(entity)
	if terr != nil {
		return verifyErr("transparency log", ErrUntrusted, err)
	}
	if _, terr := sv.VerifyObserverTimestamps(entity, logTimes); terr != nil {
		return verifyErr("timestamps", ErrUntrusted, err)
	}
	if vc.Certificate() == nil {
		return verifyErr("key", ErrUntrusted, err)
	}
	return verifyErr("certificate", ErrUntrusted, err)
}

// checkSignature verifies only the signature, with the bundle's own
// certificate or the trusted key it names.
func (p *Policy) checkSignature(sc verify.SignatureContent, vc verify.VerificationContent, tm root.TrustedMaterial) error {
	switch {
	case sc.EnvelopeContent() != nil:
		return verify.VerifySignature(sc, vc, tm)
	case p.artifact != nil:
		return verify.VerifySignatureWithArtifacts(sc, vc, tm, []io.Reader{bytes.NewReader(p.artifact)})
	default:
		sum, _ := hex.DecodeString(p.digest.Hex) // validated by WithArtifactDigest
		return verify.VerifySignatureWithArtifactDigests(sc, vc, tm, []verify.ArtifactDigest{{Algorithm: p.digest.Algorithm, Digest: sum}})
	}
}

// statement is the part of an in-toto statement that sigstore-go reads.
type statement struct {
	Type    string `json:"_type"`
	Subject []struct {
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

// checkStatement checks that payload has the shape of an in-toto
// statement that sigstore-go reads, and returns it.
func checkStatement(payload []byte) (statement, error) {
	var st statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return st, fmt.Errorf("DSSE payload is not an in-toto statement: %w", err)
	}
	return st, nil
}
