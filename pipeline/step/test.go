package step

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"

	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"
	ita "github.com/in-toto/attestation/go/v1"

	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/supplychain/attest"
)

// TestRun is what a test runner reported: test names by outcome, as
// "package.TestName" (Go) or "classname.name" (JUnit).
type TestRun struct {
	Passed, Failed, Skipped []string
	// Errors are failures outside any test: a package that did not build,
	// a suite that errored.
	Errors []string
}

// OK reports whether nothing failed.
func (r *TestRun) OK() bool { return len(r.Failed) == 0 && len(r.Errors) == 0 }

// predicate converts the run to an in-toto test-result predicate.
func (r *TestRun) predicate(config ...*ita.ResourceDescriptor) attest.TestResult {
	result := "PASSED"
	if !r.OK() {
		result = "FAILED"
	}
	return attest.NewTestResult(&testresult.TestResult{Result: result, PassedTests: r.Passed,
		FailedTests: append(slices.Clone(r.Failed), r.Errors...), WarnedTests: r.Skipped, Configuration: config})
}

// ErrInvalidTestReport: test output that cannot be read.
var ErrInvalidTestReport = errors.New("step: invalid test report")

// maxTestReport caps a test report read into memory: 256 MiB.
const maxTestReport = 256 << 20

// ParseGoTestJSON reads the event stream of `go test -json` (test2json).
// Lines that are not JSON objects (a build's plain output) are skipped; a
// JSON line that is not an event is an error naming its line.
func ParseGoTestJSON(r io.Reader) (*TestRun, error) {
	type event struct {
		Action  string `json:"Action"`
		Package string `json:"Package"`
		Test    string `json:"Test"`
	}
	out := &TestRun{}
	failedIn := map[string]bool{}
	sc := bufio.NewScanner(io.LimitReader(r, maxTestReport))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] != '{' {
			continue
		}
		var e event
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrInvalidTestReport, line, err)
		}
		name := e.Package
		if e.Test != "" {
			name += "." + e.Test
		}
		switch {
		case e.Test != "" && e.Action == "pass":
			out.Passed = append(out.Passed, name)
		case e.Test != "" && e.Action == "fail":
			out.Failed = append(out.Failed, name)
			failedIn[e.Package] = true
		case e.Test != "" && e.Action == "skip":
			out.Skipped = append(out.Skipped, name)
		case e.Test == "" && e.Action == "fail" && !failedIn[e.Package]:
			// A package that failed with no failed test: it did not
			// build, or TestMain or an init failed.
			out.Errors = append(out.Errors, e.Package)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidTestReport, err)
	}
	return out, nil
}

// ParseJUnit reads a JUnit XML report (a <testsuites> or a single
// <testsuite> root), as most test runners write it.
func ParseJUnit(data []byte) (*TestRun, error) {
	type testcase struct {
		Name      string    `xml:"name,attr"`
		Classname string    `xml:"classname,attr"`
		Failure   *struct{} `xml:"failure"`
		Error     *struct{} `xml:"error"`
		Skipped   *struct{} `xml:"skipped"`
	}
	type suite struct {
		Name   string     `xml:"name,attr"`
		Cases  []testcase `xml:"testcase"`
		Suites []suite    `xml:"testsuite"`
	}
	var root struct {
		XMLName xml.Name
		suite
	}
	if len(data) > maxTestReport {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalidTestReport, len(data), maxTestReport)
	}
	if err := xml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidTestReport, err)
	}
	if root.XMLName.Local != "testsuites" && root.XMLName.Local != "testsuite" {
		return nil, fmt.Errorf("%w: root element <%s>, want <testsuites> or <testsuite>", ErrInvalidTestReport, root.XMLName.Local)
	}
	out := &TestRun{}
	var walk func(s suite, depth int) error
	walk = func(s suite, depth int) error {
		if depth > 32 {
			return fmt.Errorf("%w: test suites nested deeper than 32", ErrInvalidTestReport)
		}
		for _, c := range s.Cases {
			name := cmp.Or(c.Classname, s.Name)
			if name != "" {
				name += "."
			}
			name += c.Name
			switch {
			case c.Failure != nil || c.Error != nil:
				out.Failed = append(out.Failed, name)
			case c.Skipped != nil:
				out.Skipped = append(out.Skipped, name)
			default:
				out.Passed = append(out.Passed, name)
			}
		}
		for _, sub := range s.Suites {
			if err := walk(sub, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root.suite, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// GoTest runs `go test -json` and records a test-result statement with
// every test's outcome. A failed test or a package that does not build
// fails the step (the failed result is recorded too).
type GoTest struct {
	// StepName names the step; the default is "go-test".
	StepName string
	// Packages are the package patterns; the default is "./...".
	Packages []string
	// Flags are extra flags for go test, such as "-race".
	Flags []string
	// Env adds "KEY=value" variables to the go command's environment.
	Env []string
}

// Name returns the step's name.
func (s GoTest) Name() string { return cmp.Or(s.StepName, "go-test") }

// Run runs the tests and records their result.
func (s GoTest) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	pkgs := s.Packages
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	args := append(append([]string{"test", "-json"}, s.Flags...), pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), s.Env...)
	out, err := sc.Exec(ctx, cmd)
	if err != nil {
		return nil, err
	}
	run, err := ParseGoTestJSON(bytes.NewReader(out.Stdout))
	if err != nil {
		return nil, err
	}
	materials, err := digestFiles(sc.Dir, existing(sc.Dir, "go.mod", "go.sum"))
	if err != nil {
		return nil, err
	}
	var config []*ita.ResourceDescriptor
	for _, m := range materials {
		config = append(config, &ita.ResourceDescriptor{Name: m.Name, Digest: m.Digest})
	}
	res := &pipeline.Result{Command: append([]string{"go"}, args...), ExitCode: out.ExitCode, Stdout: out.Stdout, Stderr: out.Stderr,
		Materials: materials, Evidence: []pipeline.Evidence{{Predicate: run.predicate(config...)}},
		Message: fmt.Sprintf("%d passed, %d failed, %d skipped", len(run.Passed), len(run.Failed), len(run.Skipped))}
	if !run.OK() || out.ExitCode != 0 {
		res.Failed = true
		if len(run.Errors) > 0 {
			res.Message += fmt.Sprintf("; packages failed outside tests: %v", run.Errors)
		}
		if run.OK() {
			res.Message += "; " + lastLine(out.Stderr, out.Stdout)
		}
	}
	return res, nil
}

// existing returns the names of the files that exist in dir.
func existing(dir string, names ...string) []string {
	var out []string
	for _, n := range names {
		if _, err := os.Stat(within(dir, n)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// JUnit ingests JUnit XML reports from any test runner and records them as
// one test-result statement. A failed test fails the step.
type JUnit struct {
	// StepName names the step; the default is "junit".
	StepName string
	// Files are report files or glob patterns, relative to the pipeline's
	// directory.
	Files []string
}

// Name returns the step's name.
func (s JUnit) Name() string { return cmp.Or(s.StepName, "junit") }

// Run reads the reports and records their result.
func (s JUnit) Run(_ context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	files, err := digestFiles(sc.Dir, s.Files)
	if err != nil {
		return nil, err
	}
	all := &TestRun{}
	var config []*ita.ResourceDescriptor
	for _, f := range files {
		data, err := os.ReadFile(within(sc.Dir, f.Name))
		if err != nil {
			return nil, err
		}
		run, err := ParseJUnit(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		all.Passed = append(all.Passed, run.Passed...)
		all.Failed = append(all.Failed, run.Failed...)
		all.Skipped = append(all.Skipped, run.Skipped...)
		config = append(config, &ita.ResourceDescriptor{Name: f.Name, Digest: f.Digest})
	}
	return &pipeline.Result{Materials: files, Failed: !all.OK(),
		Message:  fmt.Sprintf("%d passed, %d failed, %d skipped", len(all.Passed), len(all.Failed), len(all.Skipped)),
		Evidence: []pipeline.Evidence{{Predicate: all.predicate(config...)}}}, nil
}

func testKinds(_ Env, k pipeline.Kinds) {
	k["go-test"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("packages", "flags", "env"); err != nil {
			return nil, err
		}
		return GoTest{StepName: name, Packages: p.List("packages"), Flags: p.List("flags"), Env: p.List("env")}, nil
	}
	k["junit"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("files"); err != nil {
			return nil, err
		}
		files := p.List("files")
		if len(files) == 0 {
			return nil, &pipeline.ParamError{Param: "files", Err: pipeline.ErrMissingParam}
		}
		return JUnit{StepName: name, Files: files}, nil
	}
}
