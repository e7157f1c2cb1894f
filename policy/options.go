package policy

import (
	"fmt"
	"maps"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/keys"
)

// DefaultMaxInputBytes is the default cap on the input document's size
// (its canonical JSON encoding): 16 MiB.
const DefaultMaxInputBytes = 16 << 20

// DefaultMaxExceptionDuration is the default longest an exception may
// last from grant to expiry: 90 days, the default capability map's
// maximum.
const DefaultMaxExceptionDuration = 90 * 24 * time.Hour

// DefaultVerifier is the verifier ID written into VSAs by default.
const DefaultVerifier = "https://paved.dev/policy"

type config struct {
	clock                func() time.Time
	bindings             map[string]Binding
	data                 map[string]any
	verification         *bundle.VerificationConfig
	network              bool
	maxInputBytes        int
	maxExceptionDuration time.Duration
	revision             string
	verifier             string
}

func defaultConfig() config {
	return config{
		clock:                time.Now,
		maxInputBytes:        DefaultMaxInputBytes,
		maxExceptionDuration: DefaultMaxExceptionDuration,
		verifier:             DefaultVerifier,
	}
}

// Option configures an Engine. Options validate their values; New reports
// a bad or conflicting option as an error wrapping ErrInvalidOption.
type Option interface{ apply(*config) error }

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithClock sets the clock that gives each evaluation its time: the time
// Rego's time.now_ns returns, the time exceptions are checked against and
// the time the decision records. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		c.clock = now
		return nil
	})
}

// WithBindings sets the capability map's bindings: per control, the
// enforcement, stages, required evidence and framework mappings. The
// default is none: controls take these from their policies' annotations.
// Two bindings of one control are an error.
func WithBindings(bs ...Binding) Option {
	return optionFunc(func(c *config) error {
		m := make(map[string]Binding, len(bs))
		for _, b := range bs {
			if err := b.validate(); err != nil {
				return err
			}
			if _, dup := m[b.Control]; dup {
				return fmt.Errorf("%w: two bindings of control %q", ErrInvalidOption, b.Control)
			}
			m[b.Control] = b
		}
		c.bindings = m
		return nil
	})
}

// WithData sets the base document policies read under data, such as the
// built-in library's settings under data.guardrails (see the package
// documentation). It must be JSON-compatible (maps, slices, strings,
// numbers, booleans, nil). The default is an empty document; a bundle's
// data is added to it, and a key both define is an error.
func WithData(data map[string]any) Option {
	return optionFunc(func(c *config) error {
		c.data = maps.Clone(data)
		return nil
	})
}

// WithBundleKey configures the public key that signs OPA bundles: keyID
// names it in the bundle's .signatures.json, algorithm is a JWT algorithm
// such as "RS256" or "ES256", and key is the PEM-encoded public key (or the
// HMAC secret). With a key, a bundle's signature must verify and unsigned
// bundles are rejected. The default is no key: bundle signatures are not
// checked.
func WithBundleKey(keyID, algorithm, key string) Option {
	return optionFunc(func(c *config) error {
		if keyID == "" || key == "" {
			return fmt.Errorf("%w: bundle key needs an ID and a key", ErrInvalidOption)
		}
		if !keys.IsSupportedAlgorithm(algorithm) {
			return fmt.Errorf("%w: bundle key %q: unsupported algorithm %q", ErrInvalidOption, keyID, algorithm)
		}
		kc := &keys.Config{Key: key, Algorithm: algorithm}
		c.verification = bundle.NewVerificationConfig(map[string]*bundle.KeyConfig{keyID: kc}, keyID, "", nil)
		return nil
	})
}

// WithNetworkUnsafe enables the builtins that reach the network
// (http.send, net.lookup_ip_addr). Decisions then depend on more than
// their input, and a policy may leak it. The default is disabled: a policy
// that calls one does not compile.
func WithNetworkUnsafe() Option {
	return optionFunc(func(c *config) error {
		c.network = true
		return nil
	})
}

// WithMaxInputBytes caps the size of the input document (its canonical
// JSON encoding); a larger Request fails with ErrInputTooLarge. The default
// is DefaultMaxInputBytes.
func WithMaxInputBytes(n int) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: max input bytes %d is not positive", ErrInvalidOption, n)
		}
		c.maxInputBytes = n
		return nil
	})
}

// WithMaxExceptionDuration sets the longest an exception may last from
// grant to expiry, the capability map's maximum; a longer one never
// applies. The default is DefaultMaxExceptionDuration.
func WithMaxExceptionDuration(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: max exception duration %v is not positive", ErrInvalidOption, d)
		}
		c.maxExceptionDuration = d
		return nil
	})
}

// WithRevision sets the policy set's revision, such as a commit hash,
// which decisions record. The default is a bundle's manifest revision, or
// empty; a bundle whose revision differs is an error.
func WithRevision(rev string) Option {
	return optionFunc(func(c *config) error {
		c.revision = rev
		return nil
	})
}

// WithVerifier sets the verifier ID written into VSAs. The default is
// DefaultVerifier.
func WithVerifier(id string) Option {
	return optionFunc(func(c *config) error {
		if id == "" {
			return fmt.Errorf("%w: empty verifier ID", ErrInvalidOption)
		}
		c.verifier = id
		return nil
	})
}

// EvalOption configures one evaluation.
type EvalOption interface{ applyEval(*evalConfig) }

type evalConfig struct{ explain bool }

type evalOptionFunc func(*evalConfig)

func (f evalOptionFunc) applyEval(c *evalConfig) { f(c) }

// Explain records the evaluation's trace and print output in the
// decision. It costs several times the evaluation; the default is off.
func Explain() EvalOption { return evalOptionFunc(func(c *evalConfig) { c.explain = true }) }
