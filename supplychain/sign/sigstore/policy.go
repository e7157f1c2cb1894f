package sigstore

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"

	"github.com/paved-dev/paved/supplychain"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Policy is what one Verify call expects of a bundle: which artifact it
// signs and who signed it. Build it with NewPolicy; the zero Policy rejects
// every bundle. A Policy is immutable and safe for concurrent use by
// multiple goroutines; build it once and reuse it.
type Policy struct {
	built bool

	// Exactly one of artifact, digest and noArtifact is set.
	artifact   []byte
	digest     supplychain.Digest
	noArtifact bool

	// Exactly one of identities, key and noIdentity is set.
	identities []verify.CertificateIdentity
	key        bool
	noIdentity bool
}

// PolicyOption is an expectation of NewPolicy. Make one with WithArtifact,
// WithArtifactDigest, WithoutArtifactUnsafe, WithIdentity, WithKey or
// WithoutIdentityUnsafe.
type PolicyOption interface {
	applyPolicy(*Policy) error
}

type policyOption func(*Policy) error

func (f policyOption) applyPolicy(p *Policy) error { return f(p) }

// NewPolicy builds a Policy. It needs one artifact expectation
// (WithArtifact, WithArtifactDigest or WithoutArtifactUnsafe) and one
// signer expectation (one or more WithIdentity, or WithKey, or
// WithoutIdentityUnsafe). Every problem is reported, joined, each wrapping
// ErrInvalidPolicy.
func NewPolicy(opts ...PolicyOption) (Policy, error) {
	var p Policy
	var errs []error
	for _, o := range opts {
		if o == nil {
			errs = append(errs, fmt.Errorf("%w: nil option", ErrInvalidPolicy))
			continue
		}
		if err := o.applyPolicy(&p); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		if !p.hasArtifact() {
			errs = append(errs, fmt.Errorf("%w: no artifact expectation: use WithArtifact, WithArtifactDigest or WithoutArtifactUnsafe", ErrInvalidPolicy))
		}
		if len(p.identities) == 0 && !p.key && !p.noIdentity {
			errs = append(errs, fmt.Errorf("%w: no signer expectation: use WithIdentity, WithKey or WithoutIdentityUnsafe", ErrInvalidPolicy))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Policy{}, err
	}
	p.built = true
	return p, nil
}

func (p *Policy) hasArtifact() bool {
	return p.artifact != nil || p.digest.Algorithm != "" || p.noArtifact
}

func (p *Policy) setArtifact(name string) error {
	if p.hasArtifact() {
		return fmt.Errorf("%w: %s conflicts with an earlier artifact expectation", ErrInvalidPolicy, name)
	}
	return nil
}

// WithArtifact expects the bundle to sign artifact: for a message
// signature, the signature must verify over these bytes; for a DSSE
// envelope, one of the statement's subjects must have their digest. The
// bytes are kept, not copied; do not modify them while the Policy is in
// use. There is no default: a policy names its artifact or says it skips
// the check.
func WithArtifact(artifact []byte) PolicyOption {
	return policyOption(func(p *Policy) error {
		if err := p.setArtifact("WithArtifact"); err != nil {
			return err
		}
		if artifact == nil {
			artifact = []byte{}
		}
		p.artifact = artifact
		return nil
	})
}

// WithArtifactDigest expects the bundle to sign the artifact with digest d
// (sha256 or sha512): for a message signature, the signed digest must be d
// (Ed25519 message signatures need WithArtifact instead); for a DSSE
// envelope, one of the statement's subjects must have d.
func WithArtifactDigest(d supplychain.Digest) PolicyOption {
	return policyOption(func(p *Policy) error {
		if err := p.setArtifact("WithArtifactDigest"); err != nil {
			return err
		}
		if err := d.Validate(); err != nil {
			return fmt.Errorf("%w: WithArtifactDigest: %w", ErrInvalidPolicy, err)
		}
		p.digest = d
		return nil
	})
}

// WithoutArtifactUnsafe skips checking which artifact a DSSE bundle's
// statement is about: the caller must match the statement's subjects
// itself, as paved's attestation policies do. A message signature cannot
// be verified without its artifact, so such a bundle is then rejected with
// ErrArtifactMismatch.
func WithoutArtifactUnsafe() PolicyOption {
	return policyOption(func(p *Policy) error {
		if err := p.setArtifact("WithoutArtifactUnsafe"); err != nil {
			return err
		}
		p.noArtifact = true
		return nil
	})
}

// WithIdentity accepts a certificate (keyless) signer whose subject
// alternative name matches sanRegexp and whose OIDC issuer matches
// issuerRegexp. Both are Go regular expressions matched against the whole
// value: each is anchored as ^(?:expr)$, so "foo" does not match "evilfoo";
// use regexp.QuoteMeta for an exact value. Given several times, a signer
// matching any of them is accepted. It conflicts with WithKey and
// WithoutIdentityUnsafe.
func WithIdentity(sanRegexp, issuerRegexp string) PolicyOption {
	return policyOption(func(p *Policy) error {
		if p.key || p.noIdentity {
			return fmt.Errorf("%w: WithIdentity conflicts with WithKey or WithoutIdentityUnsafe", ErrInvalidPolicy)
		}
		if sanRegexp == "" || issuerRegexp == "" {
			return fmt.Errorf("%w: WithIdentity needs both a SAN and an issuer expression", ErrInvalidPolicy)
		}
		san, err := anchored(sanRegexp)
		if err != nil {
			return fmt.Errorf("%w: WithIdentity SAN %q: %w", ErrInvalidPolicy, sanRegexp, err)
		}
		iss, err := anchored(issuerRegexp)
		if err != nil {
			return fmt.Errorf("%w: WithIdentity issuer %q: %w", ErrInvalidPolicy, issuerRegexp, err)
		}
		id, err := verify.NewShortCertificateIdentity("", iss, "", san)
		if err != nil {
			return fmt.Errorf("%w: WithIdentity: %w", ErrInvalidPolicy, err)
		}
		p.identities = append(p.identities, id)
		return nil
	})
}

// anchored compiles expr to match whole values only.
func anchored(expr string) (string, error) {
	a := "^(?:" + expr + ")$"
	if _, err := regexp.Compile(a); err != nil {
		return "", err
	}
	return a, nil
}

// WithKey expects a bundle signed with one of the Verifier's trusted
// long-lived keys rather than a certificate. It conflicts with WithIdentity
// and WithoutIdentityUnsafe.
func WithKey() PolicyOption {
	return policyOption(func(p *Policy) error {
		if len(p.identities) > 0 || p.noIdentity || p.key {
			return fmt.Errorf("%w: WithKey conflicts with WithIdentity, WithoutIdentityUnsafe or another WithKey", ErrInvalidPolicy)
		}
		p.key = true
		return nil
	})
}

// WithoutIdentityUnsafe accepts any signer that the trusted material
// vouches for: any certificate from a trusted certificate authority, or
// any trusted key. With a public-good trusted root that is anyone with an
// e-mail address; the caller must check Result.Signers itself. It
// conflicts with WithIdentity and WithKey.
func WithoutIdentityUnsafe() PolicyOption {
	return policyOption(func(p *Policy) error {
		if len(p.identities) > 0 || p.key || p.noIdentity {
			return fmt.Errorf("%w: WithoutIdentityUnsafe conflicts with WithIdentity, WithKey or another WithoutIdentityUnsafe", ErrInvalidPolicy)
		}
		p.noIdentity = true
		return nil
	})
}

// sigstorePolicy is the sigstore-go policy for p. For diagnosing a
// failure, withArtifact false drops the artifact check and withIdentity
// false drops the certificate identity check.
func (p *Policy) sigstorePolicy(withArtifact, withIdentity bool) verify.PolicyBuilder {
	var art verify.ArtifactPolicyOption
	switch {
	case !withArtifact || p.noArtifact:
		art = verify.WithoutArtifactUnsafe()
	case p.artifact != nil:
		art = verify.WithArtifact(bytes.NewReader(p.artifact))
	default:
		sum, _ := hex.DecodeString(p.digest.Hex) // validated by WithArtifactDigest
		art = verify.WithArtifactDigest(p.digest.Algorithm, sum)
	}
	var opts []verify.PolicyOption
	switch {
	case p.key:
		opts = append(opts, verify.WithKey())
	case withIdentity && len(p.identities) > 0:
		for _, id := range p.identities {
			opts = append(opts, verify.WithCertificateIdentity(id))
		}
	default:
		opts = append(opts, verify.WithoutIdentitiesUnsafe())
	}
	return verify.NewPolicy(art, opts...)
}
