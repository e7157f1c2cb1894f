package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
)

// DefaultStepTimeout bounds a step that sets no timeout of its own.
const DefaultStepTimeout = 30 * time.Minute

type config struct {
	clock      func() time.Time
	logger     *slog.Logger
	tracer     trace.Tracer
	secrets    Secrets
	ci         ci.Context
	envLookup  func(string) (string, bool)
	envNames   []string
	timeout    time.Duration
	engine     *policy.Engine
	exceptions []policy.Exception
	released   func(context.Context) ([]string, error)
}

// Option configures a Runner at NewRunner.
type Option interface{ apply(*config) error }

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithPolicy gates every stage with engine: after a stage's steps succeed,
// the engine evaluates the stage over the subject's evidence. Without it,
// stages are not gated.
func WithPolicy(engine *policy.Engine) Option {
	return optionFunc(func(c *config) error {
		if engine == nil {
			return errors.New("WithPolicy: nil engine")
		}
		c.engine = engine
		return nil
	})
}

// WithExceptions offers exceptions (waivers) to every gate; the engine
// applies those that are valid and in scope. The default is none.
func WithExceptions(xs ...policy.Exception) Option {
	return optionFunc(func(c *config) error {
		c.exceptions = append(c.exceptions, xs...)
		return nil
	})
}

// WithReleased gives the gates the digests the ledger records as released
// ("sha256:<hex>"), read once per gate (ledger.Ledger's Released fits).
// The default is none.
func WithReleased(released func(context.Context) ([]string, error)) Option {
	return optionFunc(func(c *config) error {
		if released == nil {
			return errors.New("WithReleased: nil function")
		}
		c.released = released
		return nil
	})
}

// WithClock sets the clock that stamps steps, records and gate decisions.
// The default is time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		c.clock = now
		return nil
	})
}

// WithLogger logs runs, stages and steps to l, with secrets redacted. The
// default discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		c.logger = l
		return nil
	})
}

// WithTracerProvider records an OpenTelemetry span per run, stage and step
// through tp. The default records none.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) error {
		if tp == nil {
			return errors.New("WithTracerProvider: nil provider")
		}
		c.tracer = tp.Tracer("github.com/paved-dev/paved/pipeline")
		return nil
	})
}

// WithSecrets hands steps their secrets through s. The default has none.
func WithSecrets(s Secrets) Option {
	return optionFunc(func(c *config) error {
		if s == nil {
			return errors.New("WithSecrets: nil secrets")
		}
		c.secrets = s
		return nil
	})
}

// WithCI sets the CI context recorded with every step (see ci.FromEnv).
// The default is a local context.
func WithCI(ctx ci.Context) Option {
	return optionFunc(func(c *config) error {
		c.ci = ctx
		return nil
	})
}

// WithRecordedEnv records the named environment variables, read through
// lookup (such as os.LookupEnv), in every step's statement, secrets
// redacted; no other variable is recorded. The default records none.
func WithRecordedEnv(lookup func(string) (string, bool), names ...string) Option {
	return optionFunc(func(c *config) error {
		if lookup == nil {
			return errors.New("WithRecordedEnv: nil lookup")
		}
		c.envLookup, c.envNames = lookup, slices.Clone(names)
		return nil
	})
}

// WithStepTimeout bounds each step that sets no timeout of its own. The
// default is DefaultStepTimeout.
func WithStepTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithStepTimeout: %v is not positive", d)
		}
		c.timeout = d
		return nil
	})
}

// RunOption configures one run.
type RunOption interface{ applyRun(*runConfig) }

type runConfig struct {
	dir         string
	subject     *supplychain.Subject
	environment string
	deployer    string
	id          string
	bypass      *policy.Bypass
}

type runOptionFunc func(*runConfig)

func (f runOptionFunc) applyRun(c *runConfig) { f(c) }

// InDir runs the steps in dir (relative to the process's working
// directory when relative). The default is the process's working
// directory.
func InDir(dir string) RunOption { return runOptionFunc(func(c *runConfig) { c.dir = dir }) }

// ForSubject makes s the run's subject from the start: the artifact the
// gates decide on. By default the subject is the first product a step
// declares, and before that the CI context's commit.
func ForSubject(s supplychain.Subject) RunOption {
	return runOptionFunc(func(c *runConfig) { c.subject = &s })
}

// ToEnvironment names the environment the run deploys to, for the gates.
func ToEnvironment(env string) RunOption {
	return runOptionFunc(func(c *runConfig) { c.environment = env })
}

// AsDeployer names the identity the run deploys as, which the gates check
// against the target environment's identity boundary. The default is the
// CI context's actor.
func AsDeployer(id string) RunOption {
	return runOptionFunc(func(c *runConfig) { c.deployer = id })
}

// WithRunID sets the run's ID. The default is random.
func WithRunID(id string) RunOption { return runOptionFunc(func(c *runConfig) { c.id = id }) }

// BypassGatesUnsafe lets blocked gate decisions through (break glass);
// every decision records who and why.
func BypassGatesUnsafe(by, reason string) RunOption {
	return runOptionFunc(func(c *runConfig) { c.bypass = &policy.Bypass{By: by, Reason: reason} })
}

func defaultConfig() config {
	return config{
		clock:   time.Now,
		logger:  slog.New(slog.DiscardHandler),
		tracer:  noop.NewTracerProvider().Tracer(""),
		ci:      ci.Context{Provider: ci.Local, BuilderID: ci.LocalBuilderID},
		timeout: DefaultStepTimeout,
	}
}
