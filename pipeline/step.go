package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"time"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// Step is one unit of work in a stage. Run does the work and says what it
// used and made; the Runner records it. A Step must be safe to run
// concurrently with other steps, and again in a later run.
type Step interface {
	// Name identifies the step within its pipeline.
	Name() string
	// Run does the step's work. A returned error fails the step (and its
	// stage) as a failed Result does; a Result is recorded either way.
	Run(ctx context.Context, sc *StepContext) (*Result, error)
}

// StepContext is what a step sees of its run. It is safe for concurrent
// use by the step's goroutines.
type StepContext struct {
	// Stage is the stage the step runs in.
	Stage Stage
	// RunID identifies the run.
	RunID string
	// Dir is the pipeline's working directory.
	Dir string
	// CI is the CI context the run was given.
	CI ci.Context
	// Environment is the run's target environment, if any; Deployer is
	// who deploys there (AsDeployer, else the CI context's actor), whom
	// the gates check against the environment's identity boundary.
	Environment string
	Deployer    string
	// Store is the evidence store the run records into, for steps that
	// query earlier evidence (the ledger, a previous release).
	Store *evidence.Store
	// Logger logs with the run's secrets redacted.
	Logger *slog.Logger

	run     *execution
	secrets Secrets
}

// Now returns the run's clock reading.
func (sc *StepContext) Now() time.Time { return sc.run.runner.cfg.clock() }

// Subject returns the artifact the run is about, once a step produced or
// declared one.
func (sc *StepContext) Subject() (supplychain.Subject, bool) { return sc.run.subject() }

// Secret fetches a secret through the run's Secrets and registers its
// value for redaction from everything the run captures, logs and records.
func (sc *StepContext) Secret(ctx context.Context, name string) (string, error) {
	if sc.secrets == nil {
		return "", fmt.Errorf("%w: %s (the runner has no Secrets)", ErrSecretNotFound, name)
	}
	v, err := sc.secrets.Secret(ctx, name)
	if err != nil {
		return "", err
	}
	sc.run.redact.add(v)
	return v, nil
}

// Redact returns b with the run's secrets replaced by Redacted.
func (sc *StepContext) Redact(b []byte) []byte { return sc.run.redact.bytes(b) }

// Exec runs a command in the pipeline's directory (or dir, if the step
// sets Cmd.Dir) and returns its redacted output and exit code. A command
// that runs and exits non-zero is not an error: the Result says so.
func (sc *StepContext) Exec(ctx context.Context, cmd *exec.Cmd) (*Output, error) {
	if cmd.Dir == "" {
		cmd.Dir = sc.Dir
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	out := &Output{Stdout: sc.Redact(stdout.Bytes()), Stderr: sc.Redact(stderr.Bytes()), Duration: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		out.ExitCode = exit.ExitCode()
	case err != nil:
		return out, fmt.Errorf("pipeline: exec %s: %w", cmd.Path, err)
	}
	return out, nil
}

// Output is what a command printed, secrets redacted, and how it ended.
type Output struct {
	Stdout, Stderr []byte
	ExitCode       int
	Duration       time.Duration
}

// Result is what a step did. The Runner records it as a signed statement
// and stores the evidence it carries.
type Result struct {
	// Failed marks a step that did not succeed; Message says why.
	Failed  bool
	Message string
	// Command is the command the step ran, if any, and its exit code.
	Command  []string
	ExitCode int
	// Stdout and Stderr are the command's output (redacted again by the
	// runner); the record keeps their digests.
	Stdout, Stderr []byte
	// Materials are the inputs the step declared, by digest.
	Materials []supplychain.Subject
	// Products are the artifacts the step made, by digest; the first
	// product of a run becomes its subject unless the run was given one.
	Products []supplychain.Subject
	// Subject, when set, names what the run is about until a product
	// exists, if the run was given no subject: the commit a plan step
	// read, say.
	Subject *supplychain.Subject
	// Evidence are further statements to sign and store, such as an SBOM
	// or a test result.
	Evidence []Evidence
	// Manual marks work a person did (an approval, a hand check): toil.
	// ManualTime is how long it took them, when known.
	Manual     bool
	ManualTime time.Duration
}

// Evidence is a predicate a step produced, about Subjects (the run's
// subject when empty).
type Evidence struct {
	Predicate attest.Predicate
	Subjects  []supplychain.Subject
}
