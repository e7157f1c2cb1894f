package step_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/platform/iac"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// opSecret is the database password the plan fixtures mark sensitive; it
// must reach no record.
const opSecret = "hunter2-Zq8v-db-password"

// opPlan returns a plan JSON (format 1.2, as `terraform show -json`
// prints it) creating an encrypted database whose password is sensitive,
// plus the given resource changes and drift.
func opPlan(t testing.TB, changes, drift []map[string]any) []byte {
	t.Helper()
	db := map[string]any{
		"address": "aws_db_instance.main", "mode": "managed", "type": "aws_db_instance", "name": "main",
		"provider_name": "registry.terraform.io/hashicorp/aws",
		"change": map[string]any{
			"actions": []string{"create"}, "before": nil,
			"after":            map[string]any{"engine": "postgres", "storage_encrypted": true, "password": opSecret, "tags": map[string]any{"team": "payments"}},
			"after_unknown":    map[string]any{"arn": true, "id": true},
			"before_sensitive": false, "after_sensitive": map[string]any{"password": true},
		},
	}
	doc := map[string]any{"format_version": "1.2", "terraform_version": "1.9.8",
		"variables":        map[string]any{"db_password": map[string]any{"value": opSecret}},
		"resource_changes": append([]map[string]any{db}, changes...)}
	if drift != nil {
		doc["resource_drift"] = drift
	}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

// opSSHOpen is a security group opening SSH to the internet.
var opSSHOpen = map[string]any{
	"address": "aws_security_group.admin", "mode": "managed", "type": "aws_security_group", "name": "admin",
	"provider_name": "registry.terraform.io/hashicorp/aws",
	"change": map[string]any{
		"actions": []string{"create"}, "before": nil,
		"after":         map[string]any{"name": "admin", "ingress": []any{map[string]any{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": []string{"0.0.0.0/0"}, "ipv6_cidr_blocks": []string{}}}},
		"after_unknown": map[string]any{"id": true}, "before_sensitive": false, "after_sensitive": false,
	},
}

// opTerraform writes a fake terraform into a temporary directory: "plan"
// copies the fixture plan into the plan file, "show" prints the plan
// file, "apply" records that it applied the plan. It returns the script's
// path and the fixture's.
func opTerraform(t testing.TB, plan []byte) (bin, fixture string) {
	t.Helper()
	dir := t.TempDir()
	fixture = filepath.Join(dir, "plan.json")
	require.NoError(t, os.WriteFile(fixture, plan, 0o644))
	script := fmt.Sprintf(`#!/bin/sh
set -e
case "$1" in
plan) echo "Plan: changes to apply"; cp %q tfplan ;;
show) cat tfplan ;;
apply) echo "Apply complete"; cksum tfplan > applied.txt ;;
*) echo "unknown command $1" >&2; exit 64 ;;
esac
`, fixture)
	bin = filepath.Join(dir, "terraform")
	require.NoError(t, os.WriteFile(bin, []byte(script), 0o755))
	return bin, fixture
}

// opProvision returns the plan and apply steps over a fake terraform.
func opProvision(bin string) (step.ProvisionPlan, step.ProvisionApply) {
	show := []string{bin, "show", "-json", "tfplan"}
	return step.ProvisionPlan{Plan: []string{bin, "plan", "-out=tfplan"}, Show: show},
		step.ProvisionApply{Show: show, Apply: []string{bin, "apply", "tfplan"}}
}

// opGuardrails is the policy engine of platform/iac's guardrails.
func opGuardrails(t testing.TB) pipeline.Option {
	t.Helper()
	e, err := policy.New(context.Background(), policy.FS(iac.Policies()))
	require.NoError(t, err)
	return pipeline.WithPolicy(e)
}

// opInfraCI is the CI context of an infrastructure repository's commit,
// the run's subject.
var opInfraCI = pipeline.WithCI(ci.Context{Provider: ci.Local, BuilderID: ci.LocalBuilderID, Repository: "https://git.example/acme/infra", Commit: strings.Repeat("4e", 20)})

// opPayloads returns every record's decoded statement, as text.
func opPayloads(t testing.TB, f *relFixture) string {
	t.Helper()
	var b strings.Builder
	for _, r := range f.records(t, "") {
		var env struct{ Payload string }
		require.NoError(t, json.Unmarshal(r.Envelope, &env))
		p, err := base64.StdEncoding.DecodeString(env.Payload)
		require.NoError(t, err)
		b.Write(p)
		b.WriteString("\n")
	}
	return b.String()
}

func TestProvisionAppliesAPlanItsGateAllowed(t *testing.T) {
	f := relEnv(t)
	bin, _ := opTerraform(t, opPlan(t, nil, nil))
	plan, apply := opProvision(bin)
	run, err := f.run(t, []pipeline.Option{opGuardrails(t), opInfraCI}, nil,
		pipeline.In(pipeline.Plan, plan), pipeline.In(pipeline.Release, apply))
	require.NoError(t, err)
	require.Len(t, run.Steps, 2)
	assert.Regexp(t, `^plan [0-9a-f]{12}: 1 to create, 0 to update, 0 to replace, 0 to delete$`, run.Steps[0].Message)
	assert.Regexp(t, `^applied plan [0-9a-f]{12} \(1 change\(s\)\)$`, run.Steps[1].Message)
	assert.FileExists(t, filepath.Join(f.dir, "applied.txt"))
	require.Len(t, run.Gates, 2)
	assert.False(t, run.Gates[0].Decision.Blocked())

	recs := f.records(t, attest.PredicateIaCPlan)
	require.Len(t, recs, 1)
	var pl attest.IaCPlan
	st := f.statement(t, recs[0], &pl)
	assert.Equal(t, "plan", pl.Kind)
	require.Len(t, pl.Changes, 1)
	assert.Equal(t, "aws_db_instance.main", pl.Changes[0].Address)
	assert.Equal(t, []string{"$.password"}, pl.Changes[0].Sensitive)
	assert.Equal(t, "tfplan", st.Subjects()[0].Name)
	assert.Equal(t, "plan", recs[0].Stage)

	payloads := opPayloads(t, f)
	assert.Contains(t, payloads, iac.Redacted)
	assert.NotContains(t, payloads, opSecret, "no sensitive value of the plan reaches the evidence")
}

func TestProvisionGateBlocksAMisconfiguredPlan(t *testing.T) {
	f := relEnv(t)
	bin, _ := opTerraform(t, opPlan(t, []map[string]any{opSSHOpen}, nil))
	plan, apply := opProvision(bin)
	run, err := f.run(t, []pipeline.Option{opGuardrails(t), opInfraCI}, nil,
		pipeline.In(pipeline.Plan, plan), pipeline.In(pipeline.Release, apply))
	require.ErrorIs(t, err, pipeline.ErrBlocked)
	assert.ErrorContains(t, err, "DSO-FND-07")
	assert.Equal(t, pipeline.Blocked, run.Outcome)
	require.Len(t, run.Steps, 1, "apply never ran")
	assert.NoFileExists(t, filepath.Join(f.dir, "applied.txt"))
	var d attest.PolicyDecision
	f.statement(t, run.Gates[0].Record, &d)
	assert.Equal(t, "deny", d.Result)
	assert.Contains(t, d.Violations[0].Message, "aws_security_group.admin opens administrative ports [22] to 0.0.0.0/0")
}

func TestProvisionApplyFailsClosed(t *testing.T) {
	t.Run("no gate", func(t *testing.T) {
		f := relEnv(t)
		bin, _ := opTerraform(t, opPlan(t, nil, nil))
		plan, apply := opProvision(bin)
		run, err := f.run(t, []pipeline.Option{opInfraCI}, nil, pipeline.In(pipeline.Plan, plan), pipeline.In(pipeline.Release, apply))
		require.ErrorIs(t, err, pipeline.ErrStepFailed)
		assert.Contains(t, run.Steps[1].Message, "step: plan not allowed by a gate: no gate decided on the plan after the plan stage")
		assert.NoFileExists(t, filepath.Join(f.dir, "applied.txt"))
	})
	t.Run("same stage", func(t *testing.T) {
		f := relEnv(t)
		bin, _ := opTerraform(t, opPlan(t, nil, nil))
		plan, apply := opProvision(bin)
		_, err := f.run(t, []pipeline.Option{opGuardrails(t), opInfraCI}, nil, pipeline.In(pipeline.Plan, plan, apply))
		require.ErrorIs(t, err, pipeline.ErrStepFailed)
		assert.ErrorContains(t, err, "no gate decided on the plan after the plan stage")
		assert.NoFileExists(t, filepath.Join(f.dir, "applied.txt"))
	})
	t.Run("plan changed after its gate", func(t *testing.T) {
		f := relEnv(t)
		bin, _ := opTerraform(t, opPlan(t, nil, nil))
		plan, apply := opProvision(bin)
		swap := relStep{"swap", func(context.Context, *pipeline.StepContext) (*pipeline.Result, error) {
			return nil, os.WriteFile(filepath.Join(f.dir, "tfplan"), opPlan(t, []map[string]any{opSSHOpen}, nil), 0o644)
		}}
		run, err := f.run(t, []pipeline.Option{opGuardrails(t), opInfraCI}, nil,
			pipeline.In(pipeline.Plan, plan), pipeline.In(pipeline.Build, swap), pipeline.In(pipeline.Release, apply))
		require.ErrorIs(t, err, pipeline.ErrStepFailed)
		assert.Contains(t, run.Steps[2].Message, "this run recorded no plan with digest sha256:")
		assert.NoFileExists(t, filepath.Join(f.dir, "applied.txt"))
	})
	t.Run("another run's plan", func(t *testing.T) {
		f := relEnv(t)
		bin, _ := opTerraform(t, opPlan(t, nil, nil))
		plan, apply := opProvision(bin)
		_, err := f.run(t, []pipeline.Option{opGuardrails(t), opInfraCI}, nil, pipeline.In(pipeline.Plan, plan), pipeline.In(pipeline.Build, relStep{"noop", func(context.Context, *pipeline.StepContext) (*pipeline.Result, error) { return &pipeline.Result{}, nil }}))
		require.NoError(t, err)
		_, err = f.run(t, []pipeline.Option{opGuardrails(t), opInfraCI}, nil, pipeline.In(pipeline.Release, apply))
		assert.ErrorContains(t, err, "this run recorded no plan")
		assert.NoFileExists(t, filepath.Join(f.dir, "applied.txt"))
	})
}

func TestProvisionRecordsDriftAndRejectsBadPlans(t *testing.T) {
	f := relEnv(t)
	drifted := map[string]any{
		"address": "aws_sqs_queue.jobs", "mode": "managed", "type": "aws_sqs_queue", "name": "jobs", "provider_name": "registry.terraform.io/hashicorp/aws",
		"change": map[string]any{"actions": []string{"delete"}, "before": map[string]any{"name": "jobs"}, "after": nil, "after_unknown": map[string]any{}, "before_sensitive": false, "after_sensitive": false},
	}
	bin, fixture := opTerraform(t, opPlan(t, nil, []map[string]any{drifted}))
	plan, _ := opProvision(bin)
	run, err := f.run(t, []pipeline.Option{opInfraCI}, nil, pipeline.In(pipeline.Plan, plan))
	require.NoError(t, err)
	assert.Contains(t, run.Steps[0].Message, "; 1 resource(s) drifted outside the code")
	recs := f.records(t, attest.PredicateIaCPlan)
	require.Len(t, recs, 2)
	var d attest.IaCPlan
	f.statement(t, recs[1], &d)
	assert.Equal(t, "drift", d.Kind)
	assert.Equal(t, "aws_sqs_queue.jobs", d.Changes[0].Address)

	require.NoError(t, os.WriteFile(fixture, []byte(`{"format_version": "2.0", "resource_changes": []}`), 0o644))
	_, err = f.run(t, nil, []pipeline.RunOption{pipeline.ForSubject(supplychain.Subject{Name: "infra", Digest: supplychain.DigestSet{"sha256": strings.Repeat("a", 64)}})},
		pipeline.In(pipeline.Plan, plan))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.ErrorContains(t, err, "unsupported plan format version")

	// A failing plan command fails the step with its exit code.
	broken := plan
	broken.Plan = []string{bin, "frobnicate"}
	run, err = f.run(t, nil, nil, pipeline.In(pipeline.Plan, broken))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Equal(t, 64, run.Steps[0].ExitCode)
}
