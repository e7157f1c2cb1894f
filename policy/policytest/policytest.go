package policytest

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/paved-dev/paved/policy"
)

// Option configures a test run.
type Option interface{ apply(*config) }

type config struct{ data map[string]any }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithData sets the base document the tests see under data, as
// policy.WithData does for an engine. The default is empty.
func WithData(data map[string]any) Option {
	return optionFunc(func(c *config) { c.data = maps.Clone(data) })
}

// Result is the outcome of one Rego test.
type Result struct {
	// Name is the test's package and rule, such as
	// "data.paved.build_test.test_dso_bld_04_fail_no_sbom".
	Name string
	// Location is where the test is defined, "file:line".
	Location string
	// Passed reports whether the test passed.
	Passed bool
	// Message says why it failed: an error, or the failed expression,
	// followed by the test's print output.
	Message string
}

// Run runs the Rego tests in fsys (every .rego file, tests and the
// policies they test) and reports each as a subtest of t. A module that
// does not compile fails t. It returns the results, for checks of which
// tests exist.
func Run(t *testing.T, fsys fs.FS, opts ...Option) []Result {
	t.Helper()
	results, err := Results(t.Context(), fsys, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("policytest: no Rego tests (rules named test_* in _test.rego files)")
	}
	for _, r := range results {
		t.Run(strings.TrimPrefix(r.Name, "data."), func(t *testing.T) {
			if !r.Passed {
				t.Errorf("%s: %s", r.Location, r.Message)
			}
		})
	}
	return results
}

// RunDir runs the Rego tests in the directory dir, as Run does.
func RunDir(t *testing.T, dir string, opts ...Option) []Result {
	t.Helper()
	return Run(t, os.DirFS(dir), opts...)
}

// Results runs the Rego tests in fsys and returns their results, sorted
// by name. Errors are the modules' parse and compile errors.
func Results(ctx context.Context, fsys fs.FS, opts ...Option) ([]Result, error) {
	var cfg config
	for _, o := range opts {
		o.apply(&cfg)
	}
	modules := map[string]*ast.Module{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		modules[p] = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policytest: %w", err)
	}
	if cfg.data == nil {
		cfg.data = map[string]any{}
	}
	compiler := ast.NewCompiler().
		WithCapabilities(policy.Capabilities()).
		WithEnablePrintStatements(true)
	ch, err := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(inmem.NewFromObject(cfg.data)).
		CapturePrintOutput(true).
		RaiseBuiltinErrors(true).
		SetModules(modules).
		RunTests(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("policytest: %w", err)
	}
	var out []Result
	for r := range ch {
		res := Result{Name: r.Package + "." + r.Name, Passed: r.Pass()}
		if r.Location != nil {
			res.Location = fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
		}
		switch {
		case r.Error != nil:
			res.Message = r.Error.Error()
		case r.Fail && r.FailedAt != nil:
			res.Message = "failed at " + r.FailedAt.String()
		case r.Fail:
			res.Message = "failed"
		}
		if len(r.Output) > 0 {
			res.Message += "\n" + string(r.Output)
		}
		out = append(out, res)
	}
	slices.SortFunc(out, func(a, b Result) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
