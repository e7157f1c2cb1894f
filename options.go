package paved

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain/sign"
)

// config is what Open assembles the Program from; nil or empty fields
// take their defaults.
type config struct {
	given map[string]bool

	m          *capability.Map
	mapFile    string
	backend    evidence.Backend
	signer     *sign.Signer
	trust      *sign.Trust
	cpSigner   string
	cpVerifier string
	policies   []policy.Source
	guardrails map[string]any
	service    string
	ci         *ci.Context
	clock      func() time.Time
	logger     *slog.Logger
}

// Option configures a Program at Open. Options validate their values; Open
// reports a bad option, an option given twice or two options that conflict
// as an error naming them.
type Option interface{ apply(*config) error }

type option struct {
	name string
	fn   func(*config) error
}

func (o option) apply(c *config) error {
	if c.given[o.name] {
		return fmt.Errorf("%s given twice", o.name)
	}
	c.given[o.name] = true
	if err := o.fn(c); err != nil {
		return fmt.Errorf("%s: %w", o.name, err)
	}
	return nil
}

// WithMap uses m as the capability map; it is validated at Open. The
// default is capability.Default(). It conflicts with WithMapFile.
func WithMap(m *capability.Map) Option {
	return option{"WithMap", func(c *config) error {
		if m == nil {
			return errors.New("nil map")
		}
		c.m = m
		return nil
	}}
}

// WithMapFile loads the capability map from a YAML or JSON file at Open
// (see capability.LoadFile). The default is capability.Default(). It
// conflicts with WithMap.
func WithMapFile(path string) Option {
	return option{"WithMapFile", func(c *config) error {
		if path == "" {
			return errors.New("empty path")
		}
		c.mapFile = path
		return nil
	}}
}

// WithBackend stores evidence in b instead of the default, a SQLite file
// evidence.db under Open's directory (evidence/sqlite). The Program owns
// b from Open on: Close closes it, and so does a failed Open.
func WithBackend(b evidence.Backend) Option {
	return option{"WithBackend", func(c *config) error {
		if b == nil {
			return errors.New("nil backend")
		}
		c.backend = b
		return nil
	}}
}

// WithSigner signs the Program's evidence with s. The default is an
// Ed25519 key kept in keys/signer.pem under Open's directory: generated
// with mode 0600 on first use and loaded afterwards.
func WithSigner(s *sign.Signer) Option {
	return option{"WithSigner", func(c *config) error {
		if s == nil {
			return errors.New("nil signer")
		}
		c.signer = s
		return nil
	}}
}

// WithTrust verifies the evidence the store appends against t, which must
// accept the Program's signer for what its pipelines record. The default
// trusts the signer, under the name "paved", for every predicate type at
// every stage.
func WithTrust(t *sign.Trust) Option {
	return option{"WithTrust", func(c *config) error {
		if t == nil {
			return errors.New("nil trust policy")
		}
		c.trust = t
		return nil
	}}
}

// WithCheckpointKey signs the store's checkpoints with the note signer key
// skey, whose public half is vkey (both as golang.org/x/mod/sumdb/note's
// GenerateKey returns them); the key's name is the log's origin. The
// default is a key kept in keys/checkpoint.key and keys/checkpoint.pub
// under Open's directory: generated on first use (the private half with
// mode 0600) and loaded afterwards.
func WithCheckpointKey(skey, vkey string) Option {
	return option{"WithCheckpointKey", func(c *config) error {
		if err := checkNoteKeys(skey, vkey); err != nil {
			return err
		}
		c.cpSigner, c.cpVerifier = skey, vkey
		return nil
	}}
}

// checkNoteKeys checks that skey is a note signer key and vkey the
// verifier key of the same key.
func checkNoteKeys(skey, vkey string) error {
	s, err := note.NewSigner(skey)
	if err != nil {
		return fmt.Errorf("signer key: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return fmt.Errorf("verifier key: %w", err)
	}
	if s.Name() != v.Name() || s.KeyHash() != v.KeyHash() {
		return fmt.Errorf("verifier key %s+%08x is not the public half of signer key %s+%08x", v.Name(), v.KeyHash(), s.Name(), s.KeyHash())
	}
	return nil
}

// WithPolicies adds the caller's policy modules to the engine, beside the
// built-in library (policy.Builtin) and the platform foundation's
// guardrails (platform/iac). The default adds none.
func WithPolicies(srcs ...policy.Source) Option {
	return option{"WithPolicies", func(c *config) error {
		if len(srcs) == 0 {
			return errors.New("no sources")
		}
		c.policies = srcs
		return nil
	}}
}

// WithGuardrails adds settings under data.guardrails for the policies,
// such as trusted_builders, release_signers, vulnerability_sla_days or iac
// (see the policy and platform/iac packages), beside the environments the
// capability map defines. The default adds none; "environments" is the
// map's and may not be given.
func WithGuardrails(settings map[string]any) Option {
	return option{"WithGuardrails", func(c *config) error {
		if _, ok := settings["environments"]; ok {
			return errors.New(`"environments" comes from the capability map's environments`)
		}
		c.guardrails = maps.Clone(settings)
		return nil
	}}
}

// WithService names the service the Program delivers: the release gate
// admits only the digests the ledger records as released for it. The
// default is every service's releases.
func WithService(name string) Option {
	return option{"WithService", func(c *config) error {
		if name == "" {
			return errors.New("empty service name")
		}
		c.service = name
		return nil
	}}
}

// WithCI gives the runner the CI system's account of its runs (read it
// with ci.FromEnv): every step record and run summary carries its builder
// ID and run URL, a run's subject defaults to its commit and the deployer
// to its actor. The default is a local context (ci.Local). A context
// without a provider or a builder ID is refused.
func WithCI(c ci.Context) Option {
	return option{"WithCI", func(cfg *config) error {
		if c.Provider == "" || c.BuilderID == "" {
			return errors.New("CI context without a provider or a builder ID (read it with ci.FromEnv)")
		}
		cfg.ci = &c
		return nil
	}}
}

// WithClock sets the clock of the store, the policy engine, the ledger and
// the runner. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return option{"WithClock", func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.clock = now
		return nil
	}}
}

// WithLogger logs the store's, the ledger's and the runner's work to l.
// The default discards.
func WithLogger(l *slog.Logger) Option {
	return option{"WithLogger", func(c *config) error {
		if l == nil {
			return errors.New("nil logger")
		}
		c.logger = l
		return nil
	}}
}

// conflicts reports the options that exclude each other.
func (c *config) conflicts() error {
	if c.m != nil && c.mapFile != "" {
		return errors.New("WithMap and WithMapFile conflict: give one capability map")
	}
	return nil
}
