package paved

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/platform/iac"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sign"
)

// ErrClosed is returned by Close after the first call, and by the store's
// methods once the Program is closed: it is evidence.ErrClosed.
var ErrClosed = evidence.ErrClosed

// The files Open keeps under its directory by default.
const (
	// StoreFile is the SQLite evidence store.
	StoreFile = "evidence.db"
	// SignerKeyFile is the signing key (PKCS #8 PEM, mode 0600), beside
	// its public half with the suffix ".pub".
	SignerKeyFile = "keys/signer.pem"
	// CheckpointKeyFile holds the store's checkpoint note key pair, the
	// signer key and the verifier key a line each (mode 0600);
	// CheckpointVerifierFile the verifier key alone, for auditors.
	CheckpointKeyFile      = "keys/checkpoint.key"
	CheckpointVerifierFile = "keys/checkpoint.pub"
)

// trustedName is the name the default trust policy gives the signer.
const trustedName = "paved"

// Program is paved wired for a tool that embeds it: a capability map, an
// evidence store, a signer and the trust policy the store verifies with, a
// policy engine bound to the map, a ledger of what shipped and a pipeline
// runner that gates every stage with the engine. It is safe for concurrent
// use by multiple goroutines, as its parts are.
type Program struct {
	m           *capability.Map
	store       *evidence.Store
	signer      *sign.Signer
	trust       *sign.Trust
	engine      *policy.Engine
	ledger      *ledger.Ledger
	runner      *pipeline.Runner
	verifierKey string
	closed      atomic.Bool
}

// Open wires a Program around dir, which it creates (mode 0700) if
// missing: the capability map (capability.Default unless WithMap or
// WithMapFile), the evidence store (StoreFile under dir unless
// WithBackend), the signer (SignerKeyFile under dir unless WithSigner),
// the trust policy (the signer, for everything, unless WithTrust), the
// checkpoint key (CheckpointKeyFile under dir unless WithCheckpointKey),
// the policy engine (the built-in library, the platform foundation's
// guardrails and WithPolicies, with the map's bindings and environments),
// the ledger, and a runner gated by the engine that admits only released
// digests at release (recording the CI context WithCI gives). A key file under dir that others may read is
// refused. Close the Program when done; a failed Open closes what it
// opened, a WithBackend backend included.
func Open(ctx context.Context, dir string, opts ...Option) (*Program, error) {
	cfg := config{given: map[string]bool{}, clock: time.Now, logger: slog.New(slog.DiscardHandler)}
	var errs []error
	if dir == "" {
		errs = append(errs, errors.New("paved: open: empty directory"))
	}
	for i, o := range opts {
		if o == nil {
			errs = append(errs, fmt.Errorf("paved: open: option %d is nil", i))
			continue
		}
		if err := o.apply(&cfg); err != nil {
			errs = append(errs, fmt.Errorf("paved: open: %w", err))
		}
	}
	if err := cfg.conflicts(); err != nil {
		errs = append(errs, fmt.Errorf("paved: open: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		if cfg.backend != nil {
			_ = cfg.backend.Close(ctx)
		}
		return nil, err
	}
	p, err := open(ctx, dir, &cfg)
	if err != nil {
		return nil, fmt.Errorf("paved: open %s: %w", dir, err)
	}
	return p, nil
}

func open(ctx context.Context, dir string, cfg *config) (_ *Program, err error) {
	p := &Program{m: cfg.m}
	backend := cfg.backend
	defer func() { // a failed Open closes what it opened, and the caller's backend
		switch {
		case err == nil:
		case p.store != nil:
			_ = p.store.Close(ctx)
		case backend != nil:
			_ = backend.Close(ctx)
		}
	}()
	if cfg.mapFile != "" {
		if p.m, err = capability.LoadFile(cfg.mapFile, capability.WithClock(cfg.clock)); err != nil {
			return nil, err
		}
	}
	if p.m == nil {
		p.m = capability.Default()
	}
	if cfg.given["WithMap"] {
		if err := p.m.ValidateAt(cfg.clock()); err != nil {
			return nil, fmt.Errorf("capability map: %w", err)
		}
	}
	// The engine is compiled before anything is written under dir, so
	// that a map or a policy that does not compile leaves no trace.
	guardrails := p.m.GuardrailData()
	for k, v := range cfg.guardrails {
		guardrails[k] = v
	}
	src := policy.Merge(append([]policy.Source{policy.Builtin(), policy.FS(iac.Policies())}, cfg.policies...)...)
	if p.engine, err = policy.New(ctx, src, policy.WithBindings(p.m.Bindings()...),
		policy.WithData(map[string]any{"guardrails": guardrails}), policy.WithClock(cfg.clock)); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if p.signer = cfg.signer; p.signer == nil {
		if p.signer, err = signerKey(filepath.Join(dir, SignerKeyFile)); err != nil {
			return nil, err
		}
	}
	if p.trust = cfg.trust; p.trust == nil {
		p.trust, err = sign.NewTrust([]sign.TrustedKey{{Name: trustedName, Key: p.signer.Verifier}},
			[]sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{trustedName}}})
		if err != nil {
			return nil, err
		}
	}
	skey, vkey := cfg.cpSigner, cfg.cpVerifier
	if skey == "" {
		if skey, vkey, err = checkpointKey(filepath.Join(dir, CheckpointKeyFile), filepath.Join(dir, CheckpointVerifierFile)); err != nil {
			return nil, err
		}
	}
	p.verifierKey = vkey
	if backend == nil {
		b, err := sqlite.Open(ctx, filepath.Join(dir, StoreFile), sqlite.WithLogger(cfg.logger))
		if err != nil {
			return nil, err
		}
		backend = b
	}
	if p.store, err = evidence.Open(ctx, backend, evidence.WithTrust(p.trust), evidence.WithCheckpointKey(skey),
		evidence.WithCheckpointVerifier(vkey), evidence.WithClock(cfg.clock), evidence.WithLogger(cfg.logger)); err != nil {
		return nil, err
	}
	if p.ledger, err = ledger.New(p.store, p.signer, ledger.WithClock(cfg.clock), ledger.WithLogger(cfg.logger)); err != nil {
		return nil, err
	}
	service := cfg.service
	released := func(ctx context.Context) ([]string, error) { return p.ledger.Released(ctx, service) }
	ropts := []pipeline.Option{pipeline.WithPolicy(p.engine), pipeline.WithReleased(released),
		pipeline.WithClock(cfg.clock), pipeline.WithLogger(cfg.logger)}
	if cfg.ci != nil {
		ropts = append(ropts, pipeline.WithCI(*cfg.ci))
	}
	if p.runner, err = pipeline.NewRunner(p.store, p.signer, ropts...); err != nil {
		return nil, err
	}
	return p, nil
}

// signerKey loads the signing key at path, or generates an Ed25519 key
// there (mode 0600, its public half beside it) if there is none.
func signerKey(path string) (*sign.Signer, error) {
	if err := privateFile(path); err == nil {
		return sign.LoadSigner(path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	s, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		return nil, err
	}
	priv, err := s.MarshalPrivatePEM()
	if err != nil {
		return nil, err
	}
	pub, err := s.MarshalPEM()
	if err != nil {
		return nil, err
	}
	if err := publish(path, priv, 0o600); errors.Is(err, fs.ErrExist) {
		return signerKey(path) // another Open made it first
	} else if err != nil {
		return nil, err
	}
	if err := publish(path+".pub", pub, 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

// checkpointKey loads the note key pair kept at path (the signer key and
// the verifier key, a line each, mode 0600), or generates one there, with
// the verifier key alone in vkeyPath for auditors, if there is none. The
// key's name, the log's origin, is unique to the store.
func checkpointKey(path, vkeyPath string) (skey, vkey string, err error) {
	if err := privateFile(path); err == nil {
		data, err := os.ReadFile(path)
		if err != nil {
			return "", "", err
		}
		skey, vkey, _ = strings.Cut(strings.TrimSpace(string(data)), "\n")
		if err := checkNoteKeys(skey, vkey); err != nil {
			return "", "", fmt.Errorf("checkpoint key %s: %w", path, err)
		}
		return skey, vkey, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", "", err
	}
	var id [8]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails
	if skey, vkey, err = note.GenerateKey(rand.Reader, "paved.local/"+hex.EncodeToString(id[:])); err != nil {
		return "", "", fmt.Errorf("checkpoint key: %w", err)
	}
	if err := publish(path, []byte(skey+"\n"+vkey+"\n"), 0o600); errors.Is(err, fs.ErrExist) {
		return checkpointKey(path, vkeyPath) // another Open made it first
	} else if err != nil {
		return "", "", err
	}
	if err := publish(vkeyPath, []byte(vkey+"\n"), 0o644); err != nil {
		return "", "", err
	}
	return skey, vkey, nil
}

// privateFile checks that the key file at path exists and that only its
// owner may read or write it.
func privateFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("key file %s has mode %04o: others may read it (chmod 600 it)", path, perm)
	}
	return nil
}

// publish writes data to a new file at path with mode perm, creating its
// directory (mode 0700) if missing. The file appears whole or not at all,
// and an existing file is left alone: the error is then fs.ErrExist, so
// that of two Opens making the same key, one makes it and the other
// loads it.
func publish(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".new-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Link(f.Name(), path)
}

// Map returns the capability map.
func (p *Program) Map() *capability.Map { return p.m }

// Store returns the evidence store.
func (p *Program) Store() *evidence.Store { return p.store }

// Signer returns the key that signs the Program's evidence.
func (p *Program) Signer() *sign.Signer { return p.signer }

// Trust returns the trust policy the store verifies appended evidence
// with.
func (p *Program) Trust() *sign.Trust { return p.trust }

// Engine returns the policy engine.
func (p *Program) Engine() *policy.Engine { return p.engine }

// Ledger returns the ledger of releases and deployments.
func (p *Program) Ledger() *ledger.Ledger { return p.ledger }

// Runner returns the pipeline runner: gated by the engine, recording into
// the store, signing with the signer.
func (p *Program) Runner() *pipeline.Runner { return p.runner }

// CheckpointVerifierKey returns the note verifier key of the store's
// checkpoints, for evidence.VerifyInclusion, VerifyConsistency and
// VerifyPack.
func (p *Program) CheckpointVerifierKey() string { return p.verifierKey }

// Close closes the store and its backend. Later calls return ErrClosed.
func (p *Program) Close(ctx context.Context) error {
	if p.closed.Swap(true) {
		return ErrClosed
	}
	return p.store.Close(ctx)
}
