package drift

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sign"
)

// ErrInvalidInput: an observation or a document that cannot be compared,
// such as an observed value that is not a digest.
var ErrInvalidInput = errors.New("drift: invalid input")

// Detector compares what runs and how it is configured with what should
// be, and records each comparison as signed evidence. It is safe for
// concurrent use by multiple goroutines.
type Detector struct {
	store  *evidence.Store
	signer *sign.Signer
	cfg    config
}

type config struct {
	clock  func() time.Time
	logger *slog.Logger
	redact *regexp.Regexp
	stage  string
}

// Option configures a Detector.
type Option interface{ apply(*config) error }

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// DefaultRedact matches the keys whose values configuration drift never
// records: anything that names a password, secret, token, private key,
// credential or API key.
var DefaultRedact = regexp.MustCompile(`(?i)(passw(or)?d|secret|token|private[_-]?key|credential|api[_-]?key)`)

// WithClock sets the clock that dates the checks; the default is
// time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		c.clock = now
		return nil
	})
}

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		c.logger = l
		return nil
	})
}

// WithRedact sets the pattern of the keys whose values configuration
// drift replaces by "(redacted)"; the default is DefaultRedact.
func WithRedact(keys *regexp.Regexp) Option {
	return optionFunc(func(c *config) error {
		if keys == nil {
			return errors.New("WithRedact: nil pattern")
		}
		c.redact = keys
		return nil
	})
}

// WithStage records the checks at a pipeline stage; the default is
// "operate".
func WithStage(stage string) Option {
	return optionFunc(func(c *config) error {
		if !slices.Contains([]string{"plan", "build", "test", "release", "operate"}, stage) {
			return fmt.Errorf("WithStage: %q is not a pipeline stage", stage)
		}
		c.stage = stage
		return nil
	})
}

// New returns a Detector that records in store what signer signs. The
// store's trust policy must let signer sign the drift predicates
// (attest.PredicateDeploymentDrift, attest.PredicateConfigDrift) at the
// detector's stage.
func New(store *evidence.Store, signer *sign.Signer, opts ...Option) (*Detector, error) {
	cfg := config{clock: time.Now, logger: slog.New(slog.DiscardHandler), redact: DefaultRedact, stage: "operate"}
	var errs []error
	if store == nil || signer == nil {
		errs = append(errs, errors.New("drift: new: nil store or signer"))
	}
	for _, o := range opts {
		if err := o.apply(&cfg); err != nil {
			errs = append(errs, fmt.Errorf("drift: new: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Detector{store: store, signer: signer, cfg: cfg}, nil
}

// LedgerCheck is a recorded ledger drift check.
type LedgerCheck struct {
	// Drift is the check, as recorded.
	Drift attest.DeploymentDrift
	// Record is its evidence record.
	Record evidence.Record
}

// Drifted reports whether the check found drift.
func (c LedgerCheck) Drifted() bool { return len(c.Drift.Drifts) > 0 }

// Ledger compares the digests observed running in an environment
// (service to "sha256:<hex>", as the caller's tooling read them) with what
// the ledger says runs there (ledger.Current), and records the check as a
// signed attest.DeploymentDrift statement about the observed digests. A
// service running another digest than its current release's, a service
// the ledger has there but that was not observed, and one observed that
// the ledger never deployed there are drift. Observed values that are not
// digests fail with ErrInvalidInput, before anything is recorded.
func (d *Detector) Ledger(ctx context.Context, l *ledger.Ledger, environment string, observed map[string]string) (LedgerCheck, error) {
	var errs []error
	if environment == "" {
		errs = append(errs, fmt.Errorf("%w: environment: required", ErrInvalidInput))
	}
	subjects := []supplychain.Subject{}
	for _, svc := range slices.Sorted(maps.Keys(observed)) {
		dg, err := supplychain.ParseDigest(observed[svc])
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: observed[%q]: %v", ErrInvalidInput, svc, err))
			continue
		}
		subjects = append(subjects, supplychain.Subject{Name: svc, Digest: supplychain.DigestSet{dg.Algorithm: dg.Hex}})
	}
	if err := errors.Join(errs...); err != nil {
		return LedgerCheck{}, err
	}
	running, err := l.Current(ctx, environment)
	if err != nil {
		return LedgerCheck{}, fmt.Errorf("drift: ledger: %w", err)
	}
	check := attest.DeploymentDrift{Environment: environment, Checked: []string{}, Drifts: []attest.Drift{}, CheckedAt: d.cfg.clock().UTC()}
	known := map[string]bool{}
	for _, r := range running {
		svc := r.Release.Service
		known[svc] = true
		check.Checked = append(check.Checked, svc)
		var want []string
		for _, a := range r.Release.Artifacts {
			for _, dg := range a.Digest.Digests() {
				want = append(want, dg.String())
			}
			if len(observed) == 0 {
				subjects = append(subjects, a) // nothing observed: the check is about what should run
			}
		}
		got, ok := observed[svc]
		switch {
		case !ok:
			check.Drifts = append(check.Drifts, attest.Drift{Service: svc, ExpectedVersion: r.Release.Version, Expected: want, Reason: "not observed running"})
		case !slices.Contains(want, got):
			check.Drifts = append(check.Drifts, attest.Drift{Service: svc, ExpectedVersion: r.Release.Version, Expected: want, Observed: got,
				Reason: fmt.Sprintf("runs %s, not release %s", got, r.Release.ID())})
		}
	}
	for _, svc := range slices.Sorted(maps.Keys(observed)) {
		if !known[svc] {
			check.Checked = append(check.Checked, svc)
			check.Drifts = append(check.Drifts, attest.Drift{Service: svc, Observed: observed[svc], Reason: "runs, but the ledger records no deployment of it in " + environment})
		}
	}
	if len(subjects) == 0 {
		return LedgerCheck{}, fmt.Errorf("%w: nothing observed in %s and nothing deployed there", ErrInvalidInput, environment)
	}
	rec, err := d.record(ctx, check, subjects, map[string]string{"paved.drift": "ledger", "paved.environment": environment})
	if err != nil {
		return LedgerCheck{}, err
	}
	d.cfg.logger.InfoContext(ctx, "drift: ledger checked", "environment", environment, "drifts", len(check.Drifts), "record", rec.ID)
	return LedgerCheck{Drift: check, Record: rec}, nil
}

// record signs a statement of p about subjects and appends it.
func (d *Detector) record(ctx context.Context, p attest.Predicate, subjects []supplychain.Subject, labels map[string]string) (evidence.Record, error) {
	st, err := attest.Build(p, subjects...)
	if err != nil {
		return evidence.Record{}, fmt.Errorf("drift: record: %w", err)
	}
	env, err := sign.Sign(ctx, d.signer, st)
	if err != nil {
		return evidence.Record{}, fmt.Errorf("drift: record: %w", err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return evidence.Record{}, fmt.Errorf("drift: record: %w", err)
	}
	recs, err := d.store.Append(ctx, evidence.Entry{Envelope: raw, Stage: d.cfg.stage, Labels: labels})
	if err != nil {
		return evidence.Record{}, fmt.Errorf("drift: record: %w", err)
	}
	return recs[0], nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
