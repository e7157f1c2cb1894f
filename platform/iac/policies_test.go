package iac_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/platform/iac"
	"github.com/paved-dev/paved/supplychain/attest"
)

// modules parses the package's Rego files, tests included, as Rego v1
// with their METADATA annotations.
func modules(t testing.TB) map[string]*ast.Module {
	t.Helper()
	mods := map[string]*ast.Module{}
	err := fs.WalkDir(iac.Policies(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(iac.Policies(), path)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			return err
		}
		mods[path] = m
		return nil
	})
	require.NoError(t, err)
	return mods
}

// TestRegoTests runs the guardrails' Rego tests with OPA: each rule has
// tests that it denies what it must and passes what it must.
func TestRegoTests(t *testing.T) {
	ch, err := tester.NewRunner().SetStore(inmem.New()).SetModules(modules(t)).RunTests(t.Context(), nil)
	require.NoError(t, err)
	var names []string
	for r := range ch {
		names = append(names, r.Name)
		if !r.Pass() {
			t.Errorf("%s (%s): fail=%v error=%v output=%s", r.Name, r.Location, r.Fail, r.Error, r.Output)
		}
	}
	// Every control has a failing and a passing test, named as paved's
	// policy library names them: test_<control>_pass_* and _fail_*.
	for _, control := range []string{"dso_fnd_02", "dso_fnd_05", "dso_fnd_06", "dso_fnd_07", "dso_fnd_08", "dso_fnd_09", "dso_fnd_10"} {
		assert.True(t, slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "test_"+control+"_fail") }), control)
		assert.True(t, slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "test_"+control+"_pass") }), control)
	}
}

// TestRulesNameTheirControls: every deny rule's METADATA names a control
// that the default capability map declares with this package as its
// policy, as paved's policy engine expects.
func TestRulesNameTheirControls(t *testing.T) {
	m := capability.Default()
	for name, mod := range modules(t) {
		if strings.HasSuffix(name, "_test.rego") {
			continue
		}
		for _, r := range mod.Rules {
			if r.Head.Ref().String() != "deny" {
				continue
			}
			require.NotEmpty(t, r.Annotations, "%s:%d: deny rule without METADATA", name, r.Location.Row)
			id, _ := r.Annotations[0].Custom["control"].(string)
			l, ok := m.Control(id)
			require.True(t, ok, "%s:%d: control %q is not in the default map", name, r.Location.Row, id)
			assert.Equal(t, "data.paved.foundation", l.Control.Policy, id)
		}
	}
}

// query prepares data.paved.foundation.deny with the given settings.
func query(t testing.TB, settings map[string]any) rego.PreparedEvalQuery {
	t.Helper()
	store := inmem.NewFromObject(map[string]any{"guardrails": settings})
	opts := []func(*rego.Rego){rego.Query("data.paved.foundation.deny"), rego.Store(store)}
	for name, m := range modules(t) {
		if !strings.HasSuffix(name, "_test.rego") {
			opts = append(opts, rego.ParsedModule(m))
		}
	}
	pq, err := rego.New(opts...).PrepareForEval(context.Background())
	require.NoError(t, err)
	return pq
}

// denials evaluates the deny set for input and returns the violations'
// controls with their messages.
func denials(t testing.TB, pq rego.PreparedEvalQuery, input any) map[string][]string {
	t.Helper()
	// The policy input is JSON, as the policy engine builds it.
	b, err := json.Marshal(input)
	require.NoError(t, err)
	var doc any
	require.NoError(t, json.Unmarshal(b, &doc))
	rs, err := pq.Eval(context.Background(), rego.EvalInput(doc))
	require.NoError(t, err)
	require.Len(t, rs, 1)
	out := map[string][]string{}
	for _, v := range rs[0].Expressions[0].Value.([]any) {
		vv := v.(map[string]any)
		out[vv["control"].(string)] = append(out[vv["control"].(string)], vv["msg"].(string))
	}
	return out
}

var iacSettings = map[string]any{"iac": map[string]any{"module_sources": []any{"terraform-aws-modules/"}}}

// planInput is the policy input for a plan recorded as evidence, as the
// policy engine groups evidence by predicate type.
func planInput(p *iac.Plan, approvals ...attest.Approval) map[string]any {
	return map[string]any{
		"stage":     "plan",
		"evidence":  map[string]any{attest.PredicateIaCPlan: []any{map[string]any{"digest": "sha256:" + p.Digest, "signers": []string{"ci"}, "predicate": p.Predicate()}}},
		"approvals": approvals,
	}
}

// TestFixturePlansAgainstGuardrails: each planted misconfiguration in the
// fixture plans is caught by its control, and by no other; the clean plan
// passes every guardrail.
func TestFixturePlansAgainstGuardrails(t *testing.T) {
	pq := query(t, iacSettings)
	assert.Empty(t, denials(t, pq, planInput(parseFile(t, "clean.json"))), "the clean plan passes")

	for _, tt := range []struct {
		fixture, control, msg string
	}{
		{"public-storage.json", "DSO-FND-06", `aws_s3_bucket_acl.logs makes storage publicly readable: acl "public-read"`},
		{"admin-ingress.json", "DSO-FND-07", "aws_security_group.bastion opens administrative ports [22] to 0.0.0.0/0"},
		{"unencrypted.json", "DSO-FND-08", "aws_ebs_volume.data does not encrypt data at rest: encrypted is false, want true"},
		{"protected-replace.json", "DSO-FND-09", "aws_db_instance.orders is labelled protected and would be replaced without an approval"},
		{"unpinned-module.json", "DSO-FND-10", `module.dns["eu"] comes from "git::https://github.com/someone/terraform-dns.git", which is not an allowed module source`},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			got := denials(t, pq, planInput(parseFile(t, tt.fixture)))
			assert.Equal(t, []string{tt.control}, slices.Collect(maps.Keys(got)), "only the planted misconfiguration: %v", got)
			assert.Contains(t, got[tt.control], tt.msg)
		})
	}

	approved := attest.Approval{Approver: "rm@example.com", Decision: "approved", ChangeID: "PR-9", Stage: "plan"}
	assert.Empty(t, denials(t, pq, planInput(parseFile(t, "protected-replace.json"), approved)), "approved replacement of a protected resource")
}

// TestDeploymentsAgainstTheDefaultMap: with the default map's environments
// as data, a prod deployment by an identity outside prod's boundary is
// denied, and so is one of a digest never deployed to staging; the same
// deployment by a deployer inside the boundary, approved, after a healthy
// day in staging, passes.
func TestDeploymentsAgainstTheDefaultMap(t *testing.T) {
	pq := query(t, capability.Default().GuardrailData())
	staging := attest.Deployment{ID: "D-1", Service: "api", Environment: "staging", Version: "v1", Deployer: "deploy-bot@example.com",
		Kind: "normal", Outcome: "succeeded", StartedAt: when.Add(-30 * hour), FinishedAt: when.Add(-25 * hour)}
	input := func(deployer string, deployments ...attest.Deployment) map[string]any {
		items := []any{}
		for _, d := range deployments {
			items = append(items, map[string]any{"digest": "sha256:11", "signers": []string{"ci"}, "predicate": d})
		}
		return map[string]any{
			"stage": "release", "environment": "prod", "time": when.Format("2006-01-02T15:04:05Z07:00"), "deployer": deployer,
			"subject":   map[string]any{"name": "api", "digest": map[string]any{"sha256": "abc"}},
			"approvals": []attest.Approval{{Approver: "sre-lead@example.com", Decision: "approved", ChangeID: "R-1", Environment: "prod"}},
			"evidence":  map[string]any{attest.PredicateDeployment: items},
		}
	}
	assert.Empty(t, denials(t, pq, input("deploy-bot@example.com", staging)))

	outside := denials(t, pq, input("intern@example.com", staging))
	assert.Equal(t, []string{"DSO-FND-05"}, slices.Collect(maps.Keys(outside)))

	never := denials(t, pq, input("deploy-bot@example.com"))
	assert.Equal(t, []string{"DSO-FND-02"}, slices.Collect(maps.Keys(never)))
	assert.Contains(t, never["DSO-FND-02"][0], "never deployed successfully to staging")

	fresh := staging
	fresh.FinishedAt = when.Add(-2 * hour)
	assert.Contains(t, denials(t, pq, input("deploy-bot@example.com", fresh)), "DSO-FND-02", "a day's soak in staging is required")
}

// TestRegoIsFormatted: the Rego files are as `opa fmt` writes them.
func TestRegoIsFormatted(t *testing.T) {
	for name := range modules(t) {
		src, err := fs.ReadFile(iac.Policies(), name)
		require.NoError(t, err)
		got, err := format.SourceWithOpts(name, src, format.Opts{RegoVersion: ast.RegoV1})
		require.NoError(t, err)
		assert.Equal(t, string(got), string(src), "%s is not formatted", name)
	}
}

// TestRegoCompilesStrict: the Rego compiles in OPA's strict mode (no unused
// variables, imports or arguments, no deprecated builtins).
func TestRegoCompilesStrict(t *testing.T) {
	c := ast.NewCompiler().WithStrict(true)
	c.Compile(modules(t))
	assert.Empty(t, c.Errors)
}
