package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

func TestRunRecordsEveryStepAndASummary(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	bin := artifact("bin/app")
	p, err := pipeline.New("svc",
		pipeline.In(pipeline.Plan, ok("scope")),
		pipeline.In(pipeline.Build, ok("compile", bin), fn{"unit", func(context.Context, *pipeline.StepContext) (*pipeline.Result, error) {
			return &pipeline.Result{Evidence: []pipeline.Evidence{{Predicate: attest.NewTestResult(&testresult.TestResult{Result: "PASSED"})}}}, nil
		}}),
	)
	require.NoError(t, err)
	r := e.runner(t, pipeline.WithClock(fixedClock()),
		pipeline.WithCI(ci.Context{Provider: ci.GitHubActions, BuilderID: "https://github.com/acme/api/.github/workflows/ci.yml", Repository: "https://github.com/acme/api", Commit: "4f1c2d3e5a6b7c8d9e0f4f1c2d3e5a6b7c8d9e0f"}))
	run, err := r.Run(ctx, p, pipeline.InDir(t.TempDir()), pipeline.WithRunID("run-1"))
	require.NoError(t, err)
	assert.Equal(t, pipeline.Succeeded, run.Outcome)
	require.Len(t, run.Steps, 3)
	assert.Equal(t, bin, *run.Subject, "the first product becomes the subject")

	recs := e.records(t)
	assert.Equal(t, []string{attest.PredicateLink, attest.PredicateLink, attest.PredicateLink, attest.PredicateTestResult, attest.PredicatePipelineRun}, predicateTypes(recs))
	// The plan step ran before there was an artifact: its record is about
	// the commit; the later ones about the artifact.
	assert.Equal(t, "4f1c2d3e5a6b7c8d9e0f4f1c2d3e5a6b7c8d9e0f", recs[0].Subjects[0].Digest["gitCommit"])
	assert.Equal(t, bin.Digest, recs[1].Subjects[0].Digest)
	assert.Equal(t, bin.Digest, recs[3].Subjects[0].Digest, "step evidence defaults to the run's subject")
	for _, rec := range recs {
		assert.Equal(t, "run-1", rec.Labels["paved.run"])
	}
	assert.Equal(t, "build", recs[1].Stage)

	var sum attest.PipelineRun
	decode(t, recs[4], &sum)
	assert.Equal(t, "succeeded", sum.Outcome)
	assert.Equal(t, "https://github.com/acme/api/.github/workflows/ci.yml", sum.BuilderID)
	require.Len(t, sum.Steps, 3)
	assert.Equal(t, recs[0].ID, sum.Steps[0].Record)
	assert.Equal(t, int64(1000), sum.Steps[1].DurationMs, "one clock tick per reading")
	assert.Equal(t, recs[4].ID, run.Summary.ID)

	var link map[string]any
	decodeJSON(t, recs[1], &link)
	by := link["byproducts"].(map[string]any)
	assert.Equal(t, "succeeded", by["outcome"])
	assert.Equal(t, "run-1", by["run"])
	assert.Contains(t, by["stdout"], "sha256:")

	_, err = e.store.Audit(ctx)
	require.NoError(t, err)
}

// decode decodes a record's predicate into p.
func decode(t *testing.T, rec evidence.Record, p attest.Predicate) {
	t.Helper()
	require.NoError(t, statement(t, rec).Decode(p))
}

// decodeJSON decodes a record's predicate as plain JSON.
func decodeJSON(t *testing.T, rec evidence.Record, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(statement(t, rec).PredicateJSON(), v))
}

func statement(t *testing.T, rec evidence.Record) *attest.Statement {
	t.Helper()
	env, err := sign.ParseEnvelope(rec.Envelope)
	require.NoError(t, err)
	payload, err := env.DecodeB64Payload()
	require.NoError(t, err)
	st, err := attest.Parse(payload)
	require.NoError(t, err)
	return st
}

func TestFailedStepStopsTheRunAndIsRecorded(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	p, err := pipeline.New("svc",
		pipeline.In(pipeline.Build, ok("compile", artifact("bin/app")), failing("lint"), ok("never")),
		pipeline.In(pipeline.Test, ok("also-never")),
	)
	require.NoError(t, err)
	run, err := e.runner(t).Run(ctx, p, pipeline.InDir(t.TempDir()))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.ErrorContains(t, err, "build/lint: exit status 2")
	assert.Equal(t, pipeline.Failed, run.Outcome)
	require.Len(t, run.Steps, 2)
	assert.True(t, run.Steps[1].Failed)

	recs := e.records(t)
	assert.Equal(t, []string{attest.PredicateLink, attest.PredicateLink, attest.PredicatePipelineRun}, predicateTypes(recs))
	var sum attest.PipelineRun
	decode(t, recs[2], &sum)
	assert.Equal(t, "failed", sum.Outcome)
	assert.Contains(t, sum.Message, "lint")
}

func TestStepTimeoutPanicAndCancellation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	hang := fn{"hang", func(ctx context.Context, _ *pipeline.StepContext) (*pipeline.Result, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	p, err := pipeline.New("svc", pipeline.StageSpec{Stage: pipeline.Build, Steps: []pipeline.StepSpec{{Step: hang, Timeout: 50 * time.Millisecond}}})
	require.NoError(t, err)
	run, err := e.runner(t).Run(ctx, p, pipeline.InDir(t.TempDir()))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Contains(t, run.Steps[0].Message, "timed out after 50ms")

	boom := fn{"boom", func(context.Context, *pipeline.StepContext) (*pipeline.Result, error) { panic("nil map") }}
	p, err = pipeline.New("svc", pipeline.In(pipeline.Build, boom))
	require.NoError(t, err)
	run, err = e.runner(t).Run(ctx, p, pipeline.InDir(t.TempDir()))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Contains(t, run.Steps[0].Message, "step panicked: nil map")

	// Canceling the run stops it; the summary is still recorded.
	cctx, cancel := context.WithCancel(ctx)
	stop := fn{"stop", func(context.Context, *pipeline.StepContext) (*pipeline.Result, error) {
		cancel()
		return &pipeline.Result{}, nil
	}}
	p, err = pipeline.New("svc", pipeline.In(pipeline.Build, stop), pipeline.In(pipeline.Test, ok("never")))
	require.NoError(t, err)
	run, err = e.runner(t).Run(cctx, p, pipeline.InDir(t.TempDir()))
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, pipeline.Canceled, run.Outcome)
	assert.NotEmpty(t, run.Summary.ID)
}

func TestSecretsAreRedactedEverywhere(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	const token = "ghp_s3cr3tT0kenValue42"
	var logs bytes.Buffer
	leak := fn{"deploy", func(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
		v, err := sc.Secret(ctx, "DEPLOY_TOKEN")
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, "sh", "-c", `echo "token=$TOKEN"; echo "$TOKEN" >&2`)
		cmd.Env = append(os.Environ(), "TOKEN="+v)
		out, err := sc.Exec(ctx, cmd)
		if err != nil {
			return nil, err
		}
		sc.Logger.Info("deploying", "auth", v, "stdout", string(out.Stdout))
		return &pipeline.Result{Command: []string{"deploy", "--token", v}, Stdout: out.Stdout, ExitCode: out.ExitCode,
			Message: "used " + v, Failed: true}, nil
	}}
	p, err := pipeline.New("svc", pipeline.In(pipeline.Operate, leak))
	require.NoError(t, err)
	r := e.runner(t, pipeline.WithSecrets(pipeline.StaticSecrets(map[string]string{"DEPLOY_TOKEN": token})),
		pipeline.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		pipeline.WithRecordedEnv(func(k string) (string, bool) { return token, k == "CI_TOKEN_ECHO" }, "CI_TOKEN_ECHO"))
	run, err := r.Run(ctx, p, pipeline.InDir(t.TempDir()))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), token)
	assert.Equal(t, "used "+pipeline.Redacted, run.Steps[0].Message)

	db, err := os.ReadFile(e.path)
	require.NoError(t, err)
	wal, _ := os.ReadFile(e.path + "-wal")
	for _, rec := range e.records(t) {
		st := statement(t, rec)
		assert.NotContains(t, string(st.Bytes()), token)
		assert.NotContains(t, string(rec.Envelope), token)
	}
	assert.NotContains(t, string(db)+string(wal), token, "the database file holds no secret")
	assert.NotContains(t, logs.String(), token)
	assert.Contains(t, logs.String(), "token="+pipeline.Redacted)
	var link map[string]any
	decodeJSON(t, e.records(t)[0], &link)
	assert.Equal(t, []any{"deploy", "--token", pipeline.Redacted}, link["command"])
	assert.Equal(t, map[string]any{"CI_TOKEN_ECHO": pipeline.Redacted}, link["environment"])
}

func TestConcurrentStageHonoursNeeds(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var order []string
	done := make(chan string, 3)
	step := func(name string) pipeline.Step {
		return fn{name, func(context.Context, *pipeline.StepContext) (*pipeline.Result, error) {
			done <- name
			return &pipeline.Result{}, nil
		}}
	}
	p, err := pipeline.New("svc", pipeline.StageSpec{Stage: pipeline.Build, Concurrent: true, Steps: []pipeline.StepSpec{
		{Step: step("package"), Needs: []string{"compile", "sbom"}},
		{Step: step("sbom"), Needs: []string{"compile"}},
		{Step: step("compile")},
	}})
	require.NoError(t, err)
	run, err := e.runner(t).Run(ctx, p, pipeline.InDir(t.TempDir()))
	require.NoError(t, err)
	close(done)
	for n := range done {
		order = append(order, n)
	}
	assert.Equal(t, []string{"compile", "sbom", "package"}, order)
	assert.Len(t, run.Steps, 3)

	// A failure cancels the steps that need it.
	p, err = pipeline.New("svc", pipeline.StageSpec{Stage: pipeline.Build, Concurrent: true, Steps: []pipeline.StepSpec{
		{Step: failing("compile")},
		{Step: ok("package"), Needs: []string{"compile"}},
	}})
	require.NoError(t, err)
	run, err = e.runner(t).Run(ctx, p, pipeline.InDir(t.TempDir()))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	require.Len(t, run.Steps, 1)
	assert.Equal(t, "compile", run.Steps[0].Name)
}

func TestNewRejectsBadPipelines(t *testing.T) {
	tests := []struct {
		name   string
		stages []pipeline.StageSpec
		want   []string
	}{
		{"no stages", nil, []string{"stages: "}},
		{"out of order", []pipeline.StageSpec{pipeline.In(pipeline.Test, ok("a")), pipeline.In(pipeline.Build, ok("b"))}, []string{"stages[1].stage"}},
		{"unknown stage", []pipeline.StageSpec{pipeline.In("deploy", ok("a"))}, []string{`unknown stage "deploy"`}},
		{"duplicate step", []pipeline.StageSpec{pipeline.In(pipeline.Build, ok("a"), ok("a"))}, []string{`"a" is already the name of stages[0].steps[0]`}},
		{"empty stage", []pipeline.StageSpec{{Stage: pipeline.Build}}, []string{"at least one step"}},
		{"needs in a sequential stage", []pipeline.StageSpec{{Stage: pipeline.Build, Steps: []pipeline.StepSpec{{Step: ok("a")}, {Step: ok("b"), Needs: []string{"a"}}}}}, []string{"only in a concurrent stage"}},
		{"cycle", []pipeline.StageSpec{{Stage: pipeline.Build, Concurrent: true, Steps: []pipeline.StepSpec{
			{Step: ok("a"), Needs: []string{"c"}}, {Step: ok("b"), Needs: []string{"a"}}, {Step: ok("c"), Needs: []string{"b"}}}}},
			[]string{"cycle: a -> c -> b -> a"}},
		{"unknown need", []pipeline.StageSpec{{Stage: pipeline.Build, Concurrent: true, Steps: []pipeline.StepSpec{{Step: ok("a"), Needs: []string{"z"}}}}}, []string{`"z" is not a step of this stage`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pipeline.New("svc", tt.stages...)
			require.ErrorIs(t, err, pipeline.ErrInvalidPipeline)
			var de *pipeline.DefinitionError
			require.ErrorAs(t, err, &de)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestGateBlocksAndStoresTheDecision(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	bin := artifact("bin/app")
	p, err := pipeline.New("svc", pipeline.In(pipeline.Build, ok("compile", bin)), pipeline.In(pipeline.Test, ok("never")))
	require.NoError(t, err)
	clock := fixedClock()
	eng := engine(t, policy.WithClock(clock))

	run, err := e.runner(t, pipeline.WithPolicy(eng), pipeline.WithClock(clock)).Run(ctx, p, pipeline.InDir(t.TempDir()))
	require.ErrorIs(t, err, pipeline.ErrBlocked)
	assert.ErrorContains(t, err, "build gate: T-1")
	assert.Equal(t, pipeline.Blocked, run.Outcome)
	require.Len(t, run.Gates, 1)
	assert.True(t, run.Gates[0].Decision.Blocked())
	recs := e.records(t)
	assert.Equal(t, []string{attest.PredicateLink, attest.PredicatePolicyDecision, attest.PredicatePipelineRun}, predicateTypes(recs))
	var d attest.PolicyDecision
	decode(t, recs[1], &d)
	assert.Equal(t, "deny", d.Result)
	assert.Equal(t, bin.Digest, recs[1].Subjects[0].Digest)
	var sum attest.PipelineRun
	decode(t, recs[2], &sum)
	assert.Equal(t, "blocked", sum.Outcome)
	require.Len(t, sum.Gates, 1)
	assert.Equal(t, recs[1].ID, sum.Gates[0].Record)

	// With a waiver approved by someone other than its requester, the
	// same run passes, and the decision says so.
	now := clock()
	waiver := policy.Exception{ID: "EX-1", Controls: []string{"T-1"}, Digests: []string{"sha256:" + bin.Digest["sha256"]},
		Justification: "tests move to a nightly job this week", RequestedBy: "dev@example.com", ApprovedBy: "sec@example.com",
		Granted: now.Add(-time.Hour), Expires: now.Add(24 * time.Hour)}
	run, err = e.runner(t, pipeline.WithPolicy(eng), pipeline.WithClock(clock), pipeline.WithExceptions(waiver)).Run(ctx, p, pipeline.InDir(t.TempDir()))
	require.NoError(t, err)
	c, found := run.Gates[0].Decision.Control("T-1")
	require.True(t, found)
	assert.Equal(t, policy.StatusWaived, c.Status)

	// Evidence about the subject recorded earlier (here a test result)
	// satisfies the gate without a waiver.
	tested := fn{"unit", func(context.Context, *pipeline.StepContext) (*pipeline.Result, error) {
		return &pipeline.Result{Evidence: []pipeline.Evidence{{Predicate: attest.NewTestResult(&testresult.TestResult{Result: "PASSED"})}}}, nil
	}}
	p2, err := pipeline.New("svc", pipeline.In(pipeline.Build, ok("compile", bin), tested))
	require.NoError(t, err)
	_, err = e.runner(t, pipeline.WithPolicy(eng), pipeline.WithClock(clock)).Run(ctx, p2, pipeline.InDir(t.TempDir()))
	require.NoError(t, err)
}

func TestGateWithoutSubjectIsAnError(t *testing.T) {
	e := newEnv(t)
	p, err := pipeline.New("svc", pipeline.In(pipeline.Build, ok("lint")))
	require.NoError(t, err)
	_, err = e.runner(t, pipeline.WithPolicy(engine(t))).Run(context.Background(), p, pipeline.InDir(t.TempDir()))
	require.ErrorIs(t, err, pipeline.ErrGate)
	assert.ErrorContains(t, err, "no subject")
}

func TestSpans(t *testing.T) {
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	e := newEnv(t)
	p, err := pipeline.New("svc", pipeline.In(pipeline.Build, ok("compile"), ok("vet")), pipeline.In(pipeline.Test, failing("unit")))
	require.NoError(t, err)
	_, err = e.runner(t, pipeline.WithTracerProvider(tp)).Run(context.Background(), p, pipeline.InDir(t.TempDir()))
	require.Error(t, err)
	var names []string
	for _, s := range exporter.GetSpans() {
		names = append(names, s.Name)
	}
	assert.ElementsMatch(t, []string{"pipeline.run svc", "pipeline.stage build", "pipeline.step compile", "pipeline.step vet",
		"pipeline.stage test", "pipeline.step unit"}, names)
	for _, s := range exporter.GetSpans() {
		if s.Name == "pipeline.step unit" {
			assert.Equal(t, "Error", s.Status.Code.String())
		}
	}
}

func TestNewRunnerOptions(t *testing.T) {
	e := newEnv(t)
	_, err := pipeline.NewRunner(nil, nil, pipeline.WithClock(nil), pipeline.WithStepTimeout(-time.Second))
	require.Error(t, err)
	for _, want := range []string{"nil store", "nil signer", "WithClock: nil clock", "WithStepTimeout"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = pipeline.NewRunner(e.store, e.signer, pipeline.WithPolicy(nil))
	assert.True(t, strings.Contains(err.Error(), "nil engine") && !errors.Is(err, pipeline.ErrGate))
}

func TestGateSeesEnvironmentAndDeployer(t *testing.T) {
	const boundary = `package paved.release

# METADATA
# custom:
#   control: B-1
#   stages: [release]
deny contains v if {
	not input.deployer in {"rm@example.com"}
	v := {"control": "B-1", "msg": sprintf("%v may not deploy to %v", [object.get(input, "deployer", "nobody"), input.environment])}
}
`
	ctx := context.Background()
	e := newEnv(t)
	eng, err := policy.New(ctx, policy.FS(fstest.MapFS{"b.rego": {Data: []byte(boundary)}}))
	require.NoError(t, err)
	p, err := pipeline.New("svc", pipeline.In(pipeline.Release, ok("release", artifact("bin/app"))))
	require.NoError(t, err)
	r := e.runner(t, pipeline.WithPolicy(eng), pipeline.WithCI(ci.Context{Provider: ci.Local, BuilderID: ci.LocalBuilderID, Actor: "mallory@example.com"}))

	_, err = r.Run(ctx, p, pipeline.InDir(t.TempDir()), pipeline.ToEnvironment("prod"))
	require.ErrorIs(t, err, pipeline.ErrBlocked, "the CI actor is the deployer by default")
	assert.ErrorContains(t, err, "release gate: B-1")
	run, err := r.Run(ctx, p, pipeline.InDir(t.TempDir()), pipeline.ToEnvironment("prod"), pipeline.AsDeployer("rm@example.com"))
	require.NoError(t, err)
	assert.Equal(t, "prod", run.Gates[0].Decision.Environment)
}
