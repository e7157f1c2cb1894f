package step_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/supplychain/attest"
)

func TestChangeRecord(t *testing.T) {
	e := newStepEnv(t)
	dir := gitRepo(t)
	commit(t, dir, "initial", map[string]string{
		"CODEOWNERS": "* @acme/platform\n/auth/ @acme/identity dev-lead@example.com\n",
		"main.go":    "package main\n",
	})
	base := git(t, dir, "rev-parse", "HEAD")
	commit(t, dir, "tighten session checks", map[string]string{
		"auth/session.go": "package auth\n\nfunc Check() bool { return true }\n",
		"go.mod":          "module example.com/svc\n\ngo 1.26\n",
	})
	head := commit(t, dir, "log session failures", map[string]string{"auth/log.go": "package auth\n"})

	run, err := e.run(t, dir, pipeline.Plan, step.ChangeRecord{Base: base, Services: []string{"api"}})
	require.NoError(t, err)
	require.Len(t, run.Steps[0].Evidence, 1)
	var c attest.Change
	st := e.predicate(t, run.Steps[0].Evidence[0], &c)
	assert.Equal(t, head, c.ID)
	assert.Equal(t, head, c.Commit)
	assert.Equal(t, "log session failures", c.Title)
	assert.Equal(t, "dev@example.com", c.Author)
	assert.Equal(t, "@acme/identity", c.Owner, "the first owner of the changed paths")
	assert.Equal(t, []string{"@acme/identity", "dev-lead@example.com", "@acme/platform"}, c.Owners)
	assert.ElementsMatch(t, []string{"auth/log.go", "auth/session.go", "go.mod"}, c.Paths)
	assert.Len(t, c.Commits, 2)
	// auth (+4), dependencies (+2), code without tests (+2) = 8: high.
	assert.Equal(t, 8, c.RiskScore)
	assert.Equal(t, "high", c.Risk)
	assert.Len(t, c.RiskReasons, 3)
	assert.True(t, strings.HasPrefix(c.RiskReasons[0], "touches authentication"))
	assert.Equal(t, head, st.Subjects()[0].Digest["gitCommit"])
	assert.Contains(t, run.Steps[0].Message, "high risk (8)")

	// The head commit alone, with a test: low risk.
	head = commit(t, dir, "document", map[string]string{"README.md": "# svc\n", "main_test.go": "package main\n"})
	run, err = e.run(t, dir, pipeline.Plan, step.ChangeRecord{Owner: "@acme/platform"})
	require.NoError(t, err)
	c = attest.Change{}
	e.predicate(t, run.Steps[0].Evidence[0], &c)
	assert.Equal(t, "low", c.Risk)
	assert.Equal(t, 0, c.RiskScore)
	assert.Equal(t, []string{"README.md", "main_test.go"}, c.Paths)
	assert.Equal(t, []string{head}, c.Commits)
}

func TestChangeRecordFailures(t *testing.T) {
	e := newStepEnv(t)
	dir := gitRepo(t)
	commit(t, dir, "initial", map[string]string{"main.go": "package main\n"})

	run, err := e.run(t, dir, pipeline.Plan, step.ChangeRecord{})
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Contains(t, run.Steps[0].Message, "no owner")

	run, err = e.run(t, dir, pipeline.Plan, step.ChangeRecord{Base: "no-such-branch", Owner: "x"})
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Contains(t, run.Steps[0].Message, "no-such-branch")

	run, err = e.run(t, t.TempDir(), pipeline.Plan, step.ChangeRecord{Owner: "x"})
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Contains(t, run.Steps[0].Message, "git rev-parse")
}

func TestCodeOwners(t *testing.T) {
	dir := t.TempDir()
	owners, err := step.CodeOwners(dir)
	require.NoError(t, err)
	assert.Empty(t, owners, "no CODEOWNERS, no owners")
	write(t, dir, map[string]string{".github/CODEOWNERS": "* @acme/core\n/docs/ @acme/docs ann@example.com\n*.go @acme/core\n"})
	owners, err = step.CodeOwners(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"@acme/core", "@acme/docs", "ann@example.com"}, owners)
}
