package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Sentinel errors of a run; Run's error wraps one of them.
var (
	// ErrStepFailed: a step failed, so its stage and the run did.
	ErrStepFailed = errors.New("pipeline: step failed")
	// ErrBlocked: a gate blocked the run.
	ErrBlocked = errors.New("pipeline: blocked by policy")
	// ErrGate: a gate could not decide (no subject, a policy error).
	ErrGate = errors.New("pipeline: gate error")
)

// Runner executes pipelines: it runs their steps, records each as signed
// evidence in a store, gates each stage with policy, and records a summary
// of each run. It is safe for concurrent use; runs are independent.
type Runner struct {
	store  *evidence.Store
	signer *sign.Signer
	cfg    config
}

// NewRunner returns a Runner that records into store, signing with signer
// (the store's trust policy must accept signer for the predicate types and
// stages the pipeline records). Conflicting or invalid options are an
// error.
func NewRunner(store *evidence.Store, signer *sign.Signer, opts ...Option) (*Runner, error) {
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("pipeline: new runner: nil store"))
	}
	if signer == nil {
		errs = append(errs, errors.New("pipeline: new runner: nil signer"))
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o.apply(&cfg); err != nil {
			errs = append(errs, fmt.Errorf("pipeline: new runner: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Runner{store: store, signer: signer, cfg: cfg}, nil
}

// RunOutcome is how a run ended.
type RunOutcome string

// The outcomes of a run.
const (
	Succeeded RunOutcome = "succeeded"
	Failed    RunOutcome = "failed"
	Blocked   RunOutcome = "blocked"
	Canceled  RunOutcome = "canceled"
)

// Run is the record of one execution of a pipeline.
type Run struct {
	// ID identifies the run; Pipeline names what ran.
	ID       string
	Pipeline string
	// Subject is the artifact the run delivered, once known.
	Subject *supplychain.Subject
	// Outcome is how the run ended; Err is why it did not succeed.
	Outcome RunOutcome
	Err     error
	// StartedAt and FinishedAt bound the run.
	StartedAt, FinishedAt time.Time
	// Steps are the steps that ran, in the order they finished.
	Steps []StepRun
	// Gates are the gate decisions, in stage order.
	Gates []GateRun
	// Summary is the run's summary record in the evidence log.
	Summary evidence.Record
}

// StepRun is one step of a run.
type StepRun struct {
	Stage Stage
	Name  string
	// Failed and Message say how the step ended.
	Failed  bool
	Message string
	// ExitCode is the step's command's exit code, if it ran one.
	ExitCode int
	// StartedAt and FinishedAt bound the step; Manual marks a person's
	// work.
	StartedAt, FinishedAt time.Time
	Manual                bool
	ManualTime            time.Duration
	// Record is the step's signed record; Evidence the records of what it
	// produced.
	Record   evidence.Record
	Evidence []evidence.Record
}

// GateRun is one gate decision of a run.
type GateRun struct {
	Stage    Stage
	Decision *policy.Decision
	// Record is the decision's record in the evidence log.
	Record evidence.Record
}

// execution is the state of one run in progress.
type execution struct {
	runner *Runner
	p      *Pipeline
	rc     runConfig
	redact *redactor
	logger *slog.Logger

	mu       sync.Mutex
	run      *Run
	subj     *supplychain.Subject
	chg      *attest.Change    // the change this run recorded, if any
	produced []evidence.Record // everything this run recorded, for the gates
}

// change returns the change record a step of this run produced, if any.
func (x *execution) change() *attest.Change {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.chg
}

func (x *execution) subject() (supplychain.Subject, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.subj == nil {
		return supplychain.Subject{}, false
	}
	return *x.subj, true
}

// Run executes p: each stage's steps (in order, or concurrently as
// declared), a signed record per step and per piece of evidence, the
// stage's gate, and finally the run's summary record. It returns the Run
// and, when the run did not succeed, an error wrapping ErrStepFailed,
// ErrBlocked, ErrGate or the context's error; the Run and everything
// recorded before the stop are kept either way.
func (r *Runner) Run(ctx context.Context, p *Pipeline, opts ...RunOption) (*Run, error) {
	var rc runConfig
	for _, o := range opts {
		o.applyRun(&rc)
	}
	if rc.id == "" {
		rc.id = newRunID()
	}
	if rc.deployer == "" {
		rc.deployer = r.cfg.ci.Actor
	}
	// Steps join their paths to the directory and run commands in it: a
	// relative one would be resolved twice.
	dir, err := filepath.Abs(rc.dir)
	if err != nil {
		return nil, fmt.Errorf("pipeline: run: %w", err)
	}
	rc.dir = dir
	x := &execution{runner: r, p: p, rc: rc, redact: &redactor{}, subj: rc.subject,
		run: &Run{ID: rc.id, Pipeline: p.name, StartedAt: r.cfg.clock()}}
	x.logger = slog.New(redactingHandler{next: r.cfg.logger.Handler(), r: x.redact}).With("run", rc.id, "pipeline", p.name)
	if c := r.cfg.ci.Commit; x.subj == nil && (len(c) == 40 || len(c) == 64) && isHex(c) {
		x.subj = &supplychain.Subject{Name: r.cfg.ci.Repository, Digest: supplychain.DigestSet{"gitCommit": r.cfg.ci.Commit}}
	}

	ctx, span := r.cfg.tracer.Start(ctx, "pipeline.run "+p.name,
		trace.WithAttributes(attribute.String("paved.run", rc.id), attribute.String("paved.pipeline", p.name)))
	defer span.End()
	x.logger.InfoContext(ctx, "pipeline: run started")

	err = x.stages(ctx)
	run := x.finish(ctx, err)
	if err != nil {
		span.SetStatus(codes.Error, x.redact.string(err.Error()))
	}
	return run, err
}

// isHex reports whether s is lowercase hexadecimal, as a full commit ID.
func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// newRunID returns a random run ID.
func newRunID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// stages runs the stages in order, stopping at the first failure.
func (x *execution) stages(ctx context.Context) error {
	for _, st := range x.p.stages {
		if err := ctx.Err(); err != nil {
			return err
		}
		sctx, span := x.runner.cfg.tracer.Start(ctx, "pipeline.stage "+string(st.Stage),
			trace.WithAttributes(attribute.String("paved.stage", string(st.Stage))))
		x.logger.InfoContext(sctx, "pipeline: stage started", "stage", st.Stage)
		err := x.steps(sctx, st)
		if err == nil {
			err = x.gate(sctx, st.Stage)
		}
		if err != nil {
			span.SetStatus(codes.Error, x.redact.string(err.Error()))
		}
		span.End()
		if err != nil {
			return err
		}
	}
	return nil
}

// steps runs a stage's steps: in order, or concurrently after their needs.
func (x *execution) steps(ctx context.Context, st StageSpec) error {
	if !st.Concurrent {
		for _, sp := range st.Steps {
			if err := x.step(ctx, st.Stage, sp); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(map[string]chan struct{}, len(st.Steps))
	for _, sp := range st.Steps {
		done[sp.Step.Name()] = make(chan struct{})
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			cancel()
		}
	}
	for _, sp := range st.Steps {
		wg.Go(func() {
			defer close(done[sp.Step.Name()])
			for _, need := range sp.Needs {
				select {
				case <-done[need]:
				case <-ctx.Done():
					return
				}
			}
			if ctx.Err() != nil {
				return // a step it needs failed
			}
			if err := x.step(ctx, st.Stage, sp); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return first
}

// step runs one step under its timeout and records it.
func (x *execution) step(ctx context.Context, stage Stage, sp StepSpec) error {
	name := sp.Step.Name()
	timeout := sp.Timeout
	if timeout == 0 {
		timeout = x.runner.cfg.timeout
	}
	ctx, span := x.runner.cfg.tracer.Start(ctx, "pipeline.step "+name,
		trace.WithAttributes(attribute.String("paved.stage", string(stage)), attribute.String("paved.step", name)))
	defer span.End()
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	sc := &StepContext{Stage: stage, RunID: x.rc.id, Dir: x.rc.dir, CI: x.runner.cfg.ci, Environment: x.rc.environment, Deployer: x.rc.deployer,
		Store: x.runner.store, Logger: x.logger.With("stage", stage, "step", name), run: x, secrets: x.runner.cfg.secrets}
	started := x.runner.cfg.clock()
	res, runErr := runStep(sctx, sp.Step, sc)
	finished := x.runner.cfg.clock()
	if res == nil {
		res = &Result{}
	}
	if errors.Is(sctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		runErr = fmt.Errorf("timed out after %v", timeout)
		res.Message = ""
	}
	if runErr != nil {
		res.Failed = true
		if res.Message == "" {
			res.Message = runErr.Error()
		}
	}
	res.Message = x.redact.string(res.Message)
	sr := StepRun{Stage: stage, Name: name, Failed: res.Failed, Message: res.Message, ExitCode: res.ExitCode,
		StartedAt: started, FinishedAt: finished, Manual: res.Manual, ManualTime: res.ManualTime}

	x.mu.Lock()
	switch {
	case x.rc.subject != nil:
	case len(res.Products) > 0 && (x.subj == nil || x.subj.Digest["gitCommit"] != ""):
		p := res.Products[0]
		x.subj = &p
	case res.Subject != nil && x.subj == nil:
		s := *res.Subject
		x.subj = &s
	}
	x.mu.Unlock()
	// Record the step even when it failed: the failure is evidence too.
	// The context of the run, not of the step, so that a timed-out step
	// is still recorded.
	rec, err := x.recordStep(ctx, stage, name, res, started, finished)
	if err != nil {
		return fmt.Errorf("pipeline: step %s: %w", name, err)
	}
	sr.Record = rec
	for i, ev := range res.Evidence { // a failed test run is evidence too
		r, err := x.recordEvidence(ctx, stage, name, ev)
		if err != nil {
			return fmt.Errorf("pipeline: step %s: evidence %d: %w", name, i, err)
		}
		sr.Evidence = append(sr.Evidence, r)
	}
	x.mu.Lock()
	x.run.Steps = append(x.run.Steps, sr)
	x.mu.Unlock()

	log := sc.Logger.With("duration", finished.Sub(started))
	if res.Failed {
		span.SetStatus(codes.Error, res.Message)
		log.WarnContext(ctx, "pipeline: step failed", "message", res.Message, "exit", res.ExitCode)
		return fmt.Errorf("%w: %s/%s: %s", ErrStepFailed, stage, name, res.Message)
	}
	log.InfoContext(ctx, "pipeline: step succeeded")
	return nil
}

// runStep runs a step, turning a panic in the caller's code into an error.
func runStep(ctx context.Context, s Step, sc *StepContext) (res *Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, fmt.Errorf("step panicked: %v", v)
		}
	}()
	return s.Run(ctx, sc)
}

// recordSubjects returns the subjects a record of this run is about: the
// given ones, else the run's subject, else the run itself.
func (x *execution) recordSubjects(given []supplychain.Subject) []supplychain.Subject {
	if len(given) > 0 {
		return given
	}
	if s, ok := x.subject(); ok {
		return []supplychain.Subject{s}
	}
	sum := sha256.Sum256([]byte("paved-run:" + x.rc.id))
	return []supplychain.Subject{{Name: "run:" + x.rc.id, Digest: supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}}}
}

// append signs a statement, redacts it, and appends it to the store.
func (x *execution) append(ctx context.Context, stage Stage, labels map[string]string, p attest.Predicate, subjects []supplychain.Subject) (evidence.Record, error) {
	st, err := attest.Build(p, x.recordSubjects(subjects)...)
	if err != nil {
		return evidence.Record{}, err
	}
	if clean := x.redact.bytes(st.Bytes()); len(clean) != len(st.Bytes()) || string(clean) != string(st.Bytes()) {
		if st, err = attest.Parse(clean); err != nil {
			return evidence.Record{}, fmt.Errorf("redacting: %w", err)
		}
	}
	env, err := sign.Sign(ctx, x.runner.signer, st)
	if err != nil {
		return evidence.Record{}, err
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return evidence.Record{}, err
	}
	labels["paved.run"] = x.rc.id
	recs, err := x.runner.store.Append(ctx, evidence.Entry{Envelope: raw, Stage: string(stage), Labels: labels})
	if err != nil {
		return evidence.Record{}, err
	}
	x.mu.Lock()
	x.produced = append(x.produced, recs[0])
	x.mu.Unlock()
	return recs[0], nil
}

// recordEvidence signs and stores one piece of a step's evidence.
func (x *execution) recordEvidence(ctx context.Context, stage Stage, step string, ev Evidence) (evidence.Record, error) {
	if ev.Predicate == nil {
		return evidence.Record{}, errors.New("no predicate")
	}
	if c, ok := ev.Predicate.(attest.Change); ok {
		x.mu.Lock()
		x.chg = &c
		x.mu.Unlock()
	}
	return x.append(ctx, stage, map[string]string{"paved.step": step}, ev.Predicate, ev.Subjects)
}

// finish records the run's summary and fills in the Run.
func (x *execution) finish(ctx context.Context, err error) *Run {
	x.mu.Lock()
	run := x.run
	run.Subject = x.subj
	x.mu.Unlock()
	run.FinishedAt = x.runner.cfg.clock()
	run.Err = err
	switch {
	case err == nil:
		run.Outcome = Succeeded
	case errors.Is(err, ErrBlocked):
		run.Outcome = Blocked
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		run.Outcome = Canceled
	default:
		run.Outcome = Failed
	}
	sum := attest.PipelineRun{ID: run.ID, Pipeline: run.Pipeline, Service: x.p.service, Environment: x.rc.environment,
		Outcome: string(run.Outcome), BuilderID: x.runner.cfg.ci.BuilderID, RunURL: x.runner.cfg.ci.RunURL,
		Commit: x.runner.cfg.ci.Commit, StartedAt: run.StartedAt, FinishedAt: run.FinishedAt, Steps: []attest.RunStep{}}
	if err != nil {
		sum.Message = x.redact.string(err.Error())
	}
	for _, s := range run.Steps {
		outcome, d := "succeeded", s.FinishedAt.Sub(s.StartedAt)
		if s.Failed {
			outcome = "failed"
		}
		if s.Manual && s.ManualTime > 0 {
			d = s.ManualTime
		}
		sum.Steps = append(sum.Steps, attest.RunStep{Stage: string(s.Stage), Name: s.Name, Outcome: outcome,
			Manual: s.Manual, DurationMs: max(d, 0).Milliseconds(), Record: s.Record.ID})
	}
	for _, g := range run.Gates {
		sum.Gates = append(sum.Gates, attest.RunGate{Stage: string(g.Stage), Decision: g.Decision.ID, Outcome: string(g.Decision.Outcome), Record: g.Record.ID})
	}
	// The summary is recorded even when the run's context was canceled:
	// what happened must not be lost with it.
	rctx := context.WithoutCancel(ctx)
	stage := Operate
	if len(run.Steps) > 0 {
		stage = run.Steps[len(run.Steps)-1].Stage
	}
	rec, rerr := x.append(rctx, stage, map[string]string{"paved.summary": "true"}, sum, nil)
	if rerr != nil {
		x.logger.ErrorContext(rctx, "pipeline: recording the run summary", "err", rerr)
		run.Err = errors.Join(run.Err, fmt.Errorf("pipeline: run summary: %w", rerr))
	}
	run.Summary = rec
	x.logger.InfoContext(rctx, "pipeline: run finished", "outcome", run.Outcome, "duration", run.FinishedAt.Sub(run.StartedAt))
	return run
}
