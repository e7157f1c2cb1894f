package step_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sign"
)

// opRelease records a release of service at version whose artifact has
// the digest of content, and returns the artifact.
func opRelease(t testing.TB, f *relFixture, service, version string) supplychain.Subject {
	t.Helper()
	art := f.file(t, service+"-"+version, service+" "+version)
	_, err := f.ledger.RecordRelease(context.Background(), ledger.Release{Service: service, Version: version, ReleasedBy: "bot", Artifacts: []supplychain.Subject{art}})
	require.NoError(t, err)
	return art
}

// opDeployed records a deployment in the ledger.
func opDeployed(t testing.TB, f *relFixture, id, service, version, env, outcome string, at time.Time) {
	t.Helper()
	_, err := f.ledger.RecordDeployment(context.Background(), attest.Deployment{ID: id, Service: service, Environment: env, Version: version,
		Deployer: "bot", Kind: "normal", Outcome: outcome, StartedAt: at, FinishedAt: at.Add(time.Minute)})
	require.NoError(t, err)
}

// opCI is a CI context with an actor.
var opCI = pipeline.WithCI(ci.Context{Provider: ci.Local, BuilderID: ci.LocalBuilderID, Actor: "deploy-bot"})

// opDigest returns "sha256:<hex>" of a subject.
func opDigest(s supplychain.Subject) string { return "sha256:" + s.Digest["sha256"] }

func TestDeployRecordsAReleasedDigestInTheLedger(t *testing.T) {
	ctx := context.Background()
	f := relEnv(t)
	v1 := opRelease(t, f, "api", "1.0.0")
	v2 := opRelease(t, f, "api", "1.1.0")
	opDeployed(t, f, "d1", "api", "1.0.0", "prod", "succeeded", time.Now().Add(-time.Hour))

	run, err := f.run(t, []pipeline.Option{opCI}, []pipeline.RunOption{pipeline.ToEnvironment("prod"), pipeline.WithRunID("run-2")},
		pipeline.In(pipeline.Operate, step.Deploy{Ledger: f.ledger, Service: "api", Artifact: v2.Name,
			Command: []string{"sh", "-c", `echo "$0" > deployed.txt`, "api-1.1.0"}}))
	require.NoError(t, err)
	assert.Contains(t, run.Steps[0].Message, "deployed api@1.1.0 to prod: succeeded (ledger record sha256:")
	got, err := os.ReadFile(filepath.Join(f.dir, "deployed.txt"))
	require.NoError(t, err)
	assert.Equal(t, "api-1.1.0\n", string(got), "the deploy command ran")

	running, err := f.ledger.Current(ctx, "prod")
	require.NoError(t, err)
	require.Len(t, running, 1)
	assert.Equal(t, "1.1.0", running[0].Release.Version)
	d := running[0].Deployment
	assert.Equal(t, "run-2", d.ID)
	assert.Equal(t, "deploy-bot", d.Deployer)
	assert.Equal(t, "d1", d.Previous)

	// A failing deploy command fails the step and is recorded as a failed
	// deployment: v1.1.0 keeps running.
	run, err = f.run(t, []pipeline.Option{opCI}, []pipeline.RunOption{pipeline.ToEnvironment("prod"), pipeline.WithRunID("run-3")},
		pipeline.In(pipeline.Operate, step.Deploy{Ledger: f.ledger, Service: "api", Digest: opDigest(v1), Kind: "rollback", Command: []string{"sh", "-c", "exit 3"}}))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Equal(t, "deployment of api to prod failed: sh exited 3", run.Steps[0].Message)
	hist, err := f.ledger.History(ctx, "api")
	require.NoError(t, err)
	last := hist.Deployments[len(hist.Deployments)-1]
	assert.Equal(t, "run-3", last.ID)
	assert.Equal(t, "failed", last.Outcome)
	assert.Equal(t, "rollback", last.Kind)
	running, err = f.ledger.Current(ctx, "prod")
	require.NoError(t, err)
	assert.Equal(t, "1.1.0", running[0].Release.Version)

	// The deployment names the run's deployer, the identity its gate
	// checked, rather than the CI job's actor.
	_, err = f.run(t, []pipeline.Option{opCI}, []pipeline.RunOption{pipeline.ToEnvironment("staging"), pipeline.WithRunID("run-4"),
		pipeline.AsDeployer("release-bot@example.com")}, pipeline.In(pipeline.Operate, step.Deploy{Ledger: f.ledger, Service: "api", Digest: opDigest(v1)}))
	require.NoError(t, err)
	running, err = f.ledger.Current(ctx, "staging")
	require.NoError(t, err)
	require.Len(t, running, 1)
	assert.Equal(t, "release-bot@example.com", running[0].Deployment.Deployer)
}

func TestDeployRefusesAnUnreleasedDigestUnlessWaived(t *testing.T) {
	f := relEnv(t)
	opRelease(t, f, "api", "1.0.0")
	hotfix := f.file(t, "api-hotfix", "built on a laptop")
	now := time.Now()
	waiver := policy.Exception{ID: "EX-12", Controls: []string{step.ControlReleasedOnly}, Digests: []string{opDigest(hotfix)}, Environments: []string{"prod"},
		Justification: "outage fix; the release pipeline is down", RequestedBy: "ana@acme.test", ApprovedBy: "lee@acme.test",
		Granted: now.Add(-time.Hour), Expires: now.Add(24 * time.Hour)}
	expired := waiver
	expired.ID, expired.Granted, expired.Expires = "EX-9", now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	staging := waiver
	staging.ID, staging.Environments = "EX-10", []string{"staging"}
	otherDigest := waiver
	otherDigest.ID, otherDigest.Digests = "EX-11", []string{"sha256:" + strings.Repeat("e", 64)}
	deploy := func(waivers ...policy.Exception) step.Deploy {
		return step.Deploy{Ledger: f.ledger, Service: "api", Environment: "prod", Artifact: hotfix.Name, Kind: "hotfix",
			Command: []string{"sh", "-c", "echo deployed >> deployed.txt"}, Waivers: waivers}
	}
	marker := filepath.Join(f.dir, "deployed.txt")

	run, err := f.run(t, []pipeline.Option{opCI}, nil, pipeline.In(pipeline.Operate, deploy(expired, staging, otherDigest)))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	msg := run.Steps[0].Message
	assert.Contains(t, msg, "step: digest never released: "+opDigest(hotfix)+" of api was never released by the ledger; deploying it to prod needs a waiver of DSO-SUP-05")
	assert.Contains(t, msg, "waiver EX-9: expires: expired at")
	assert.Contains(t, msg, "waiver EX-10: not for prod")
	assert.NotContains(t, msg, "EX-11", "a waiver of another digest is not a candidate")
	assert.NoFileExists(t, marker, "nothing is deployed")
	assert.Empty(t, f.records(t, attest.PredicateDeployment))

	run, err = f.run(t, []pipeline.Option{opCI}, nil, pipeline.In(pipeline.Operate, deploy(expired, waiver)))
	require.NoError(t, err)
	assert.Equal(t, "deployed unreleased "+opDigest(hotfix)+" of api to prod under waiver EX-12 (outage fix; the release pipeline is down, approved by lee@acme.test): succeeded", run.Steps[0].Message)
	assert.FileExists(t, marker)
	deps := f.records(t, attest.PredicateDeployment)
	require.Len(t, deps, 1)
	var d attest.Deployment
	st := f.statement(t, deps[0], &d)
	assert.Equal(t, hotfix.Digest, st.Subjects()[0].Digest)
	assert.Equal(t, "unreleased", d.Version)
	assert.Equal(t, "hotfix", d.Kind)
	assert.Equal(t, "prod", d.Environment)
}

func TestIncidentLinksTheDeploymentThatCausedIt(t *testing.T) {
	f := relEnv(t)
	v1 := opRelease(t, f, "api", "1.0.0")
	opDeployed(t, f, "d1", "api", "1.0.0", "prod", "succeeded", time.Now().Add(-2*time.Hour))
	opDeployed(t, f, "d0", "api", "1.0.0", "staging", "succeeded", time.Now().Add(-time.Hour))
	detected := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	resolved := detected.Add(90 * time.Minute)

	run, err := f.run(t, nil, []pipeline.RunOption{pipeline.ToEnvironment("prod")}, pipeline.In(pipeline.Operate,
		step.Incident{Ledger: f.ledger, ID: "INC-1", Service: "api", Severity: "sev2", Owner: "@acme/payments", Summary: "refunds fail", DetectedAt: detected, ResolvedAt: &resolved}))
	require.NoError(t, err)
	assert.Equal(t, "incident INC-1 (sev2) resolved after 1h30m0s: caused by deployment d1 of api@1.0.0", run.Steps[0].Message)
	recs := f.records(t, attest.PredicateIncident)
	require.Len(t, recs, 1)
	var in attest.Incident
	st := f.statement(t, recs[0], &in)
	assert.Equal(t, "d1", in.CausedBy, "the latest deployment in the incident's environment")
	assert.Equal(t, "prod", in.Environment)
	assert.True(t, resolved.Equal(*in.ResolvedAt))
	assert.Equal(t, v1.Digest, st.Subjects()[0].Digest, "the incident is about the deployed release's artifact")

	// An open incident linked by ID; an unknown deployment is refused.
	run, err = f.run(t, nil, nil, pipeline.In(pipeline.Operate,
		step.Incident{Ledger: f.ledger, ID: "INC-2", Service: "api", Environment: "staging", Severity: "sev4", Owner: "@acme/payments", CausedBy: "d0"}))
	require.NoError(t, err)
	assert.Contains(t, run.Steps[0].Message, "incident INC-2 (sev4) opened: caused by deployment d0")
	_, err = f.run(t, nil, nil, pipeline.In(pipeline.Operate,
		step.Incident{Ledger: f.ledger, ID: "INC-3", Service: "api", Environment: "prod", Severity: "sev1", Owner: "@acme/payments", CausedBy: "d7"}))
	assert.ErrorContains(t, err, "caused by d7, which is not a deployment of api in the ledger")
	_, err = f.run(t, nil, nil, pipeline.In(pipeline.Operate,
		step.Incident{Ledger: f.ledger, ID: "INC-4", Service: "api", Environment: "prod", Severity: "sev0", Owner: "@acme/payments"}))
	assert.ErrorContains(t, err, "severity")
}

func TestVerifyDeployedDetectsDrift(t *testing.T) {
	f := relEnv(t)
	api := opRelease(t, f, "api", "1.0.0")
	web := opRelease(t, f, "web", "2.0.0")
	opDeployed(t, f, "d1", "api", "1.0.0", "prod", "succeeded", time.Now().Add(-time.Hour))
	opDeployed(t, f, "d2", "web", "2.0.0", "prod", "succeeded", time.Now().Add(-time.Hour))
	rogue := "sha256:" + strings.Repeat("d", 64)

	// What runs is what the ledger says: no drift, the check is evidence.
	f.file(t, "observed.json", `{"api": "`+opDigest(api)+`", "web": "`+opDigest(web)+`"}`)
	run, err := f.run(t, nil, []pipeline.RunOption{pipeline.ToEnvironment("prod")}, pipeline.In(pipeline.Operate,
		step.VerifyDeployed{Ledger: f.ledger, ObservedFile: "observed.json"}))
	require.NoError(t, err)
	assert.Equal(t, "no drift in prod: 2 service(s) run what the ledger says", run.Steps[0].Message)
	require.Len(t, run.Steps[0].Evidence, 1)
	var check attest.DeploymentDrift
	f.statement(t, run.Steps[0].Evidence[0], &check)
	assert.Equal(t, []string{"api", "web"}, check.Checked)
	assert.Empty(t, check.Drifts)

	// Another digest runs, a service is missing, another is unknown: drift
	// fails the step and is recorded.
	run, err = f.run(t, nil, nil, pipeline.In(pipeline.Operate, step.VerifyDeployed{Ledger: f.ledger, Environment: "prod",
		Observed: map[string]string{"api": rogue, "batch": opDigest(web)}}))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	msg := run.Steps[0].Message
	assert.Contains(t, msg, "drift in prod: api runs "+rogue+", not release api@1.0.0; web not observed running; batch runs, but the ledger records no deployment of it in prod")
	recs := f.records(t, attest.PredicateDeploymentDrift)
	require.Len(t, recs, 2)
	f.statement(t, recs[1], &check)
	require.Len(t, check.Drifts, 3)
	assert.Equal(t, attest.Drift{Service: "api", ExpectedVersion: "1.0.0", Expected: []string{opDigest(api)}, Observed: rogue, Reason: "runs " + rogue + ", not release api@1.0.0"}, check.Drifts[0])
	assert.Equal(t, "web", check.Drifts[1].Service)
	assert.Equal(t, "batch", check.Drifts[2].Service)
	assert.Equal(t, run.Steps[0].Evidence[0].ID, recs[1].ID, "the failed step's evidence")

	// Bad observations are errors.
	_, err = f.run(t, nil, nil, pipeline.In(pipeline.Operate, step.VerifyDeployed{Ledger: f.ledger, Environment: "prod", Observed: map[string]string{"api": "latest"}}))
	assert.ErrorContains(t, err, "observed api")
	f.file(t, "bad.json", `["api"]`)
	_, err = f.run(t, nil, nil, pipeline.In(pipeline.Operate, step.VerifyDeployed{Ledger: f.ledger, Environment: "prod", ObservedFile: "bad.json"}))
	assert.ErrorContains(t, err, "bad.json: want a JSON object of service to digest")
}

func TestOperateKindsParseParamsStrictly(t *testing.T) {
	f := relEnv(t)
	kinds := step.Kinds(step.Env{Ledger: f.ledger, Signer: f.ci})
	tmpl := `name: svc
stages:
  - stage: operate
    steps:
      - name: deploy
        kind: deploy
        run: [kubectl, apply, -f, deploy.yaml]
        with: {service: api, environment: prod, kind: hotfix}
      - name: verify
        kind: verify-deployed
        with: {observed: observed.json}
      - name: incident
        kind: incident
        with: {id: INC-1, service: api, severity: sev2, owner: "@acme/payments", detected-at: "2026-11-28T10:00:00Z"}
      - name: plan
        kind: provision
        run: [terraform, plan, -out=tfplan]
        with: {phase: plan, show: terraform show -json tfplan}
`
	p, err := pipeline.LoadTemplate([]byte(tmpl), "ci.yaml", kinds, nil)
	require.NoError(t, err)
	steps := p.Stages()[0].Steps
	assert.Equal(t, step.Deploy{StepName: "deploy", Ledger: f.ledger, Service: "api", Environment: "prod", Kind: "hotfix", Command: []string{"kubectl", "apply", "-f", "deploy.yaml"}}, steps[0].Step)
	assert.Equal(t, step.VerifyDeployed{StepName: "verify", Ledger: f.ledger, ObservedFile: "observed.json"}, steps[1].Step)
	assert.Equal(t, step.Incident{StepName: "incident", Ledger: f.ledger, ID: "INC-1", Service: "api", Severity: "sev2", Owner: "@acme/payments",
		DetectedAt: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}, steps[2].Step)
	assert.Equal(t, step.ProvisionPlan{StepName: "plan", Plan: []string{"terraform", "plan", "-out=tfplan"}, Show: []string{"terraform", "show", "-json", "tfplan"}}, steps[3].Step)

	bad := `name: svc
stages:
  - stage: operate
    steps:
      - name: deploy
        kind: deploy
        with: {environment: prod, kind: yolo, digest: "md5:x"}
      - name: incident
        kind: incident
        with: {id: INC-1, service: api, severity: sev9, owner: x, resolved-at: yesterday}
      - name: apply
        kind: provision
        with: {phase: destroy, show: x}
      - name: apply2
        kind: provision
        with: {phase: apply, show: x}
`
	_, err = pipeline.LoadTemplate([]byte(bad), "ci.yaml", kinds, nil)
	require.Error(t, err)
	for _, want := range []string{
		"stages[0].steps[0].with.service: pipeline: invalid pipeline: service: missing parameter",
		"stages[0].steps[0].with.kind:",
		"stages[0].steps[0].with.digest:",
		`stages[0].steps[1].with.severity: pipeline: invalid pipeline: severity: "sev9" is not one of sev1, sev2, sev3, sev4`,
		`stages[0].steps[1].with.resolved-at: pipeline: invalid pipeline: resolved-at: "yesterday" is not an RFC 3339 time`,
		`stages[0].steps[2].with.phase: pipeline: invalid pipeline: phase: "destroy" is not plan or apply`,
		"stages[0].steps[3].run",
	} {
		assert.ErrorContains(t, err, want)
	}
}

// ExampleDeploy deploys a released artifact and refuses one the ledger
// never released.
func ExampleDeploy() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "deploy")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	key, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		log.Fatal(err)
	}
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: key.Verifier}}, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci"}}})
	if err != nil {
		log.Fatal(err)
	}
	backend, err := sqlite.Open(ctx, filepath.Join(dir, "evidence.db"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close(ctx)
	l, err := ledger.New(store, key)
	if err != nil {
		log.Fatal(err)
	}
	runner, err := pipeline.NewRunner(store, key)
	if err != nil {
		log.Fatal(err)
	}

	// Version 1.0.0 of api is released; the hotfix was built elsewhere.
	for name, content := range map[string]string{"app": "api 1.0.0", "hotfix": "patched on a laptop"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	app, err := supplychain.SubjectFromFile("app", filepath.Join(dir, "app"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := l.RecordRelease(ctx, ledger.Release{Service: "api", Version: "1.0.0", ReleasedBy: "release-bot", Artifacts: []supplychain.Subject{app}}); err != nil {
		log.Fatal(err)
	}

	for _, artifact := range []string{"app", "hotfix"} {
		p, err := pipeline.New("deploy", pipeline.In(pipeline.Operate,
			step.Deploy{Ledger: l, Service: "api", Environment: "prod", Artifact: artifact, Deployer: "deploy-bot"}))
		if err != nil {
			log.Fatal(err)
		}
		run, err := runner.Run(ctx, p, pipeline.InDir(dir))
		fmt.Println(artifact, run.Outcome, errors.Is(err, pipeline.ErrStepFailed), strings.Contains(run.Steps[0].Message, "never released"))
	}
	running, err := l.Current(ctx, "prod")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("prod runs", running[0].Release.ID())
	// Output:
	// app succeeded false false
	// hotfix failed true true
	// prod runs api@1.0.0
}
