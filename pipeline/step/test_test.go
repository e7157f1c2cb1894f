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

// goModule writes a module with passing, failing and skipped tests, and a
// package that does not build.
func goModule(t *testing.T, failing bool) string {
	t.Helper()
	dir := t.TempDir()
	calc := "package calc\n\nfunc Add(a, b int) int { return a + b }\n"
	test := "package calc\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal(\"wrong\")\n\t}\n}\n\nfunc TestLater(t *testing.T) { t.Skip(\"later\") }\n"
	if failing {
		test += "\nfunc TestBroken(t *testing.T) { t.Fatal(\"broken\") }\n"
	}
	write(t, dir, map[string]string{"go.mod": "module example.com/calc\n\ngo 1.26\n", "calc.go": calc, "calc_test.go": test})
	return dir
}

func TestGoTest(t *testing.T) {
	e := newStepEnv(t)
	dir := goModule(t, false)
	run, err := e.run(t, dir, pipeline.Test, step.GoTest{})
	require.NoError(t, err)
	assert.Equal(t, "1 passed, 0 failed, 1 skipped", run.Steps[0].Message)
	var r attest.TestResult
	e.predicate(t, run.Steps[0].Evidence[0], &r)
	assert.Equal(t, "PASSED", r.Message().GetResult())
	assert.Equal(t, []string{"example.com/calc.TestAdd"}, r.Message().GetPassedTests())
	assert.Equal(t, []string{"example.com/calc.TestLater"}, r.Message().GetWarnedTests())
	assert.Equal(t, "go.mod", r.Message().GetConfiguration()[0].GetName())

	dir = goModule(t, true)
	run, err = e.run(t, dir, pipeline.Test, step.GoTest{})
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Equal(t, "1 passed, 1 failed, 1 skipped", run.Steps[0].Message)
	require.Len(t, run.Steps[0].Evidence, 1, "a failed test run is recorded")
	r = attest.TestResult{}
	e.predicate(t, run.Steps[0].Evidence[0], &r)
	assert.Equal(t, "FAILED", r.Message().GetResult())
	assert.Equal(t, []string{"example.com/calc.TestBroken"}, r.Message().GetFailedTests())

	// A package that does not build fails outside any test.
	write(t, dir, map[string]string{"calc.go": "package calc\n\nfunc Add(a, b int) int { return a + }\n"})
	run, err = e.run(t, dir, pipeline.Test, step.GoTest{})
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Contains(t, run.Steps[0].Message, "packages failed outside tests: [example.com/calc]")
}

func TestParseGoTestJSON(t *testing.T) {
	stream := `{"Action":"start","Package":"a"}
{"Action":"run","Package":"a","Test":"TestX"}
{"Action":"output","Package":"a","Test":"TestX","Output":"=== RUN   TestX\n"}
{"Action":"pass","Package":"a","Test":"TestX","Elapsed":0.01}
# b
b/b.go:3:1: syntax error
{"Action":"fail","Package":"b","Elapsed":0}
{"Action":"fail","Package":"c","Test":"TestY"}
{"Action":"fail","Package":"c"}
`
	run, err := step.ParseGoTestJSON(strings.NewReader(stream))
	require.NoError(t, err)
	assert.Equal(t, &step.TestRun{Passed: []string{"a.TestX"}, Failed: []string{"c.TestY"}, Errors: []string{"b"}}, run)
	_, err = step.ParseGoTestJSON(strings.NewReader("{\"Action\":\"pass\"}\n{\"Action\": 7}\n"))
	require.ErrorIs(t, err, step.ErrInvalidTestReport)
	assert.ErrorContains(t, err, "line 2")
}

func TestJUnit(t *testing.T) {
	e := newStepEnv(t)
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"reports/unit.xml": `<?xml version="1.0"?>
<testsuites>
  <testsuite name="api">
    <testcase classname="api.Users" name="creates"/>
    <testcase classname="api.Users" name="deletes"><failure message="404">expected 204</failure></testcase>
    <testsuite name="nested"><testcase name="skips"><skipped/></testcase></testsuite>
  </testsuite>
</testsuites>`,
		"reports/e2e.xml": `<testsuite name="e2e"><testcase classname="e2e" name="login"/><testcase classname="e2e" name="crash"><error/></testcase></testsuite>`,
	})
	run, err := e.run(t, dir, pipeline.Test, step.JUnit{Files: []string{"reports/*.xml"}})
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Equal(t, "2 passed, 2 failed, 1 skipped", run.Steps[0].Message)
	var r attest.TestResult
	e.predicate(t, run.Steps[0].Evidence[0], &r)
	assert.Equal(t, []string{"e2e.crash", "api.Users.deletes"}, r.Message().GetFailedTests())
	assert.Equal(t, []string{"nested.skips"}, r.Message().GetWarnedTests())
	assert.Len(t, r.Message().GetConfiguration(), 2)

	for _, bad := range []string{`<html/>`, `<testsuites><testsuite>`, ``} {
		_, err := step.ParseJUnit([]byte(bad))
		assert.ErrorIs(t, err, step.ErrInvalidTestReport, bad)
	}
	deep := strings.Repeat("<testsuite>", 40) + strings.Repeat("</testsuite>", 40)
	_, err = step.ParseJUnit([]byte(deep))
	assert.ErrorContains(t, err, "nested deeper than 32")
}
