package iac_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/platform/iac"
)

// secrets are the sensitive values planted in the fixtures: in values the
// plan marks sensitive (deep in lists and maps, in before and after, a
// whole object, under a mask of the wrong shape) and in the sections Parse
// skips (variables, prior state, outputs).
var secrets = []string{
	"hunter2-DB-PASSWORD-7f3a", "before-SECRET-OLD-0b8e", "tok-NESTED-LIST-SECRET-91c2", "map-DEEP-SECRET-55d1",
	"whole-SECRET-OBJECT-a1", "mismatch-SECRET-SHAPE-e9", "var-SECRET-IN-VARIABLES-3c4d", "out-SECRET-OUTPUT-77",
}

func parseFile(t testing.TB, name string) *iac.Plan {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	require.NoError(t, err)
	defer f.Close()
	p, err := iac.Parse(f)
	require.NoError(t, err, name)
	return p
}

func change(t *testing.T, p *iac.Plan, addr string) iac.Change {
	t.Helper()
	for _, c := range p.Changes {
		if c.Address == addr {
			return c
		}
	}
	t.Fatalf("no change %s", addr)
	return iac.Change{}
}

func TestParseClean(t *testing.T) {
	p := parseFile(t, "clean.json")
	assert.Equal(t, "1.2", p.FormatVersion)
	assert.Equal(t, "1.9.8", p.ToolVersion)
	assert.Len(t, p.Changes, 7)
	assert.Len(t, p.Digest, 64)

	vpc := change(t, p, "module.vpc.aws_vpc.this[0]")
	assert.Equal(t, iac.Create, vpc.Action)
	assert.Equal(t, "aws_vpc", vpc.Type)
	assert.Equal(t, "this", vpc.Name)
	assert.Equal(t, "registry.terraform.io/hashicorp/aws", vpc.Provider)
	require.NotNil(t, vpc.Module)
	assert.Equal(t, iac.Module{Address: "module.vpc", Source: "terraform-aws-modules/vpc/aws", Version: "5.8.1"}, *vpc.Module)
	assert.Nil(t, vpc.Before)
	assert.JSONEq(t, `{"cidr_block":"10.0.0.0/16","tags":{"Name":"main"},"arn":"(known after apply)","id":"(known after apply)"}`, string(vpc.After))
	assert.Equal(t, []string{"$.arn", "$.id"}, vpc.Unknown)

	db := change(t, p, "aws_db_instance.main")
	assert.Nil(t, db.Module, "root module")
	assert.Equal(t, []string{"$.password"}, db.Sensitive)
	assert.Contains(t, string(db.After), `"password":"(sensitive value)"`)

	sg := change(t, p, "aws_security_group.web")
	assert.Equal(t, iac.Update, sg.Action)
	assert.NotNil(t, sg.Before)

	q := change(t, p, "aws_sqs_queue.legacy")
	assert.Equal(t, iac.Delete, q.Action)
	assert.Nil(t, q.After)
	assert.True(t, q.Action.Destroys())
}

func TestParseActions(t *testing.T) {
	for _, tt := range []struct {
		actions string
		want    iac.Action
	}{
		{`["create"]`, iac.Create}, {`["update"]`, iac.Update}, {`["delete"]`, iac.Delete},
		{`["delete","create"]`, iac.Replace}, {`["create","delete"]`, iac.Replace},
		{`["read"]`, iac.Read}, {`["no-op"]`, iac.NoOp}, {`["forget"]`, iac.Forget},
	} {
		t.Run(tt.actions, func(t *testing.T) {
			doc := `{"format_version":"1.2","resource_changes":[{"address":"a.b","mode":"managed","type":"a","name":"b","change":{"actions":` + tt.actions + `,"before":null,"after":null}}]}`
			p, err := iac.Parse(strings.NewReader(doc))
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.Changes[0].Action)
		})
	}
}

func TestParseReplaceKeepsOrder(t *testing.T) {
	c := change(t, parseFile(t, "protected-replace.json"), "aws_db_instance.orders")
	assert.Equal(t, iac.Replace, c.Action)
	assert.Equal(t, []string{"delete", "create"}, c.Actions)
	assert.Equal(t, "replace_because_cannot_update", c.ActionReason)
}

func TestParseModuleInstanceKeys(t *testing.T) {
	c := change(t, parseFile(t, "unpinned-module.json"), `module.dns["eu"].aws_route53_record.www`)
	require.NotNil(t, c.Module)
	assert.Equal(t, `module.dns["eu"]`, c.Module.Address)
	assert.Equal(t, "git::https://github.com/someone/terraform-dns.git", c.Module.Source)
	assert.Empty(t, c.Module.Version)
}

// TestParseRedactsDeepSensitiveValues: values marked sensitive deep in
// lists and maps, in before and after, a whole object and a value under a
// mask of the wrong shape are all redacted; nothing else is.
func TestParseRedactsDeepSensitiveValues(t *testing.T) {
	p := parseFile(t, "sensitive.json")
	task := change(t, p, "aws_ecs_task_definition.api")
	assert.Equal(t, []string{
		"$.container_definitions[0].environment[1].value",
		"$.container_definitions[0].secrets.db.password",
	}, task.Sensitive)
	var after struct {
		ContainerDefinitions []struct {
			Environment []struct{ Name, Value string }
			Secrets     map[string]map[string]string
		} `json:"container_definitions"`
	}
	require.NoError(t, json.Unmarshal(task.After, &after))
	cd := after.ContainerDefinitions[0]
	assert.Equal(t, "debug", cd.Environment[0].Value, "values not marked are kept")
	assert.Equal(t, iac.Redacted, cd.Environment[1].Value)
	assert.Equal(t, iac.Redacted, cd.Secrets["db"]["password"])
	assert.Equal(t, "api", cd.Secrets["db"]["user"])
	assert.Contains(t, string(task.Before), `"value":"(sensitive value)"`)

	whole := change(t, p, "kubernetes_secret.api")
	assert.Equal(t, []string{"$.data"}, whole.Sensitive)
	assert.Equal(t, []string{"$.metadata[0].uid"}, whole.Unknown)
	assert.JSONEq(t, `{"metadata":[{"name":"api","uid":"(known after apply)"}],"data":"(sensitive value)"}`, string(whole.After))

	mismatch := change(t, p, "aws_ssm_parameter.key")
	assert.Equal(t, []string{"$.value"}, mismatch.Sensitive, "a mask of the wrong shape redacts the whole value")

	for _, c := range p.Changes {
		for _, s := range secrets {
			assert.NotContains(t, string(c.Before)+string(c.After), s)
		}
	}
}

func TestDrift(t *testing.T) {
	p := parseFile(t, "drift.json")
	assert.Empty(t, p.Changes, "a refresh-only plan changes nothing")
	d, ok := p.Drift()
	require.True(t, ok)
	require.Len(t, d.Changes, 2)
	assert.Equal(t, "aws_security_group.web", d.Changes[0].Address)
	assert.Equal(t, iac.Update, d.Changes[0].Action)
	assert.Equal(t, iac.Delete, d.Changes[1].Action, "deleted outside the code")
	pred := d.Predicate()
	assert.Equal(t, "drift", pred.Kind)
	require.NoError(t, pred.Validate())
	assert.Equal(t, p.Digest, d.Subject("tfplan.json").Digest["sha256"])

	_, ok = parseFile(t, "no-drift.json").Drift()
	assert.False(t, ok, "an empty refresh-only plan is no drift")
	_, ok = parseFile(t, "clean.json").Drift()
	assert.False(t, ok)
}

func TestParseErrors(t *testing.T) {
	rc := func(s string) string { return `{"format_version":"1.2","resource_changes":[` + s + `]}` }
	ok := `{"address":"a.b","mode":"managed","type":"a","change":{"actions":["create"]}}`
	for _, tt := range []struct {
		name, doc string
		sentinel  error
		path      string
		line, col int
	}{
		{"not JSON", `{"format_version":`, iac.ErrSyntax, "", 1, 19},
		{"bad character", "{\n  \"format_version\": x}", iac.ErrSyntax, "", 2, 21},
		{"not an object", `[1]`, iac.ErrInvalidPlan, "", 1, 1},
		{"trailing data", `{"format_version":"1.0"} {}`, iac.ErrSyntax, "", 1, 26},
		{"no format version", `{"resource_changes":[]}`, iac.ErrFormatVersion, "format_version", 1, 1},
		{"format version 2", `{"format_version":"2.0"}`, iac.ErrFormatVersion, "format_version", 1, 19},
		{"format version 0.1", `{"format_version":"0.1"}`, iac.ErrFormatVersion, "format_version", 1, 19},
		{"format version not a string", `{"format_version":1.2}`, iac.ErrInvalidPlan, "format_version", 1, 19},
		{"address not a string", rc(`{"address":["a"],"mode":"managed","type":"a","change":{"actions":["create"]}}`), iac.ErrInvalidPlan, "resource_changes[0].address", 1, 56},
		{"change not an object", rc(`{"address":"a.b","mode":"managed","type":"a","change":"create"}`), iac.ErrInvalidPlan, "resource_changes[0].change", 1, 99},
		{"module calls not an object", `{"format_version":"1.2","configuration":{"root_module":{"module_calls":[]}}}`, iac.ErrInvalidPlan, "configuration.root_module.module_calls", 1, 73},
		{"changes not an array", `{"format_version":"1.2","resource_changes":{}}`, iac.ErrInvalidPlan, "resource_changes", 1, 44},
		{"address missing", rc(ok + `,` + "\n" + `{"mode":"managed","type":"a","change":{"actions":["create"]}}`), iac.ErrInvalidPlan, "resource_changes[1].address", 2, 1},
		{"unknown mode", rc(`{"address":"a.b","mode":"other","type":"a","change":{"actions":["create"]}}`), iac.ErrInvalidPlan, "resource_changes[0].mode", 1, 45},
		{"unknown action", rc(`{"address":"a.b","mode":"managed","type":"a","change":{"actions":["explode"]}}`), iac.ErrInvalidPlan, "resource_changes[0].change.actions", 1, 45},
		{"no change", rc(`{"address":"a.b","mode":"managed","type":"a"}`), iac.ErrInvalidPlan, "resource_changes[0].change", 1, 45},
		{"actions not strings", rc(`{"address":"a.b","mode":"managed","type":"a","change":{"actions":[1]}}`), iac.ErrInvalidPlan, "resource_changes[0].change.actions[0]", 1, 111},
		{"duplicate top-level key", `{"format_version":"1.2","resource_changes":[{"address":"module.m.a.b","module_address":"module.m","mode":"managed","type":"a","change":{"actions":["create"]}}],"resource_changes":[]}`, iac.ErrInvalidPlan, "", 1, 161},
		{"duplicate key in a change", rc(`{"address":"a.b","mode":"managed","type":"a","address":"c.d","change":{"actions":["create"]}}`), iac.ErrInvalidPlan, "resource_changes[0]", 1, 90},
		{"duplicate key in a change body", rc(`{"address":"a.b","mode":"managed","type":"a","change":{"actions":["create"],"actions":["delete"]}}`), iac.ErrInvalidPlan, "resource_changes[0].change", 1, 121},
		{"module not configured", rc(`{"address":"module.x.a.b","module_address":"module.x","mode":"managed","type":"a","change":{"actions":["create"]}}`), iac.ErrInvalidPlan, "resource_changes[0].module_address", 1, 45},
		{"mask of strings", rc(`{"address":"a.b","mode":"managed","type":"a","change":{"actions":["create"],"after":{"k":"v"},"after_sensitive":{"k":"true"}}}`), iac.ErrInvalidPlan, "resource_changes[0].change.after", 1, 45},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := iac.Parse(strings.NewReader(tt.doc))
			require.ErrorIs(t, err, tt.sentinel)
			var pe *iac.PlanError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.path, pe.Path)
			assert.Equal(t, tt.line, pe.Line, "line")
			assert.Equal(t, tt.col, pe.Column, "column")
		})
	}
}

func TestParseSizeCap(t *testing.T) {
	data, err := os.ReadFile("testdata/clean.json")
	require.NoError(t, err)
	_, err = iac.Parse(bytes.NewReader(data), iac.WithMaxBytes(int64(len(data)-1)))
	require.ErrorIs(t, err, iac.ErrTooLarge)
	_, err = iac.Parse(bytes.NewReader(data), iac.WithMaxBytes(int64(len(data))))
	require.NoError(t, err)
	_, err = iac.Parse(bytes.NewReader(data), iac.WithMaxBytes(0))
	require.ErrorIs(t, err, iac.ErrInvalidOption)
}

func TestParseIgnoresUnknownFields(t *testing.T) {
	doc := `{"format_version":"1.9","future_section":{"x":[1,2]},"resource_changes":[{"address":"a.b","mode":"data","type":"a","new_field":true,"change":{"actions":["read"],"importing":{"id":"x"}}}]}`
	p, err := iac.Parse(strings.NewReader(doc))
	require.NoError(t, err)
	assert.Equal(t, iac.Read, p.Changes[0].Action)
	assert.Equal(t, "data", p.Changes[0].Mode)
}

func TestPredicateValidates(t *testing.T) {
	for _, name := range []string{"clean.json", "sensitive.json", "unpinned-module.json", "protected-replace.json"} {
		pred := parseFile(t, name).Predicate()
		assert.Equal(t, "plan", pred.Kind)
		require.NoError(t, pred.Validate(), name)
	}
}

func TestPlanErrorMessage(t *testing.T) {
	_, err := iac.Parse(strings.NewReader(`{"format_version":"3.0"}`))
	assert.EqualError(t, err, `iac: parse plan: 1:19: format_version: unsupported plan format version: "3.0" is not 1.x`)
	assert.True(t, errors.Is(err, iac.ErrFormatVersion))
}

var when = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

const hour = time.Hour

// TestParseRedactsCredentialsInModuleSources: a module source's URL
// credentials and go-getter sshkey never reach the change set.
func TestParseRedactsCredentialsInModuleSources(t *testing.T) {
	for _, tt := range []struct{ source, want string }{
		{"git::https://oauth2:glpat-SOURCE-TOKEN-1@git.example.com/net.git?ref=v1.0.0", "git::https://(sensitive value)@git.example.com/net.git?ref=v1.0.0"},
		{"https://glpat-SOURCE-TOKEN-1@example.com/m.zip", "https://(sensitive value)@example.com/m.zip"},
		{"git::ssh://git@git.example.com/net.git?sshkey=c2VjcmV0LWtleQ&ref=v1.0.0", "git::ssh://git@git.example.com/net.git?sshkey=(sensitive value)&ref=v1.0.0"},
		{"terraform-aws-modules/vpc/aws", "terraform-aws-modules/vpc/aws"},
	} {
		doc := `{"format_version":"1.2","resource_changes":[{"address":"module.m.a.b","module_address":"module.m","mode":"managed","type":"a","change":{"actions":["create"]}}],` +
			`"configuration":{"root_module":{"module_calls":{"m":{"source":` + strconv.Quote(tt.source) + `}}}}}`
		p, err := iac.Parse(strings.NewReader(doc))
		require.NoError(t, err)
		assert.Equal(t, tt.want, p.Changes[0].Module.Source)
		b, err := json.Marshal(p.Predicate())
		require.NoError(t, err)
		assert.NotContains(t, string(b), "SOURCE-TOKEN")
		assert.NotContains(t, string(b), "c2VjcmV0LWtleQ")
	}
}
