package policy

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
)

// MaxBundleSize caps the OPA bundles an engine reads (uncompressed): 64 MiB.
const MaxBundleSize = 64 << 20

// Source says where an Engine's Rego modules come from: a file system, a
// directory, an OPA bundle, the built-in library, or several of these.
// Files ending in _test.rego are tests (see policytest) and are not loaded.
// A Source reads nothing until New or Reload uses it.
type Source struct {
	fsys    fs.FS
	root    string // file names in errors are root joined with the path
	bundle  []byte
	bpath   string
	sources []Source
	builtin bool
}

// FS reads every .rego file under the root of fsys.
func FS(fsys fs.FS) Source { return Source{fsys: fsys} }

// Dir reads every .rego file under the directory dir.
func Dir(dir string) Source { return Source{fsys: os.DirFS(dir), root: dir} }

// Bundle reads the OPA bundle (a tar.gz) at path. When the engine has a
// bundle key (WithBundleKey) its signature must verify.
func Bundle(path string) Source { return Source{bpath: path} }

// BundleBytes reads an OPA bundle (a tar.gz) from memory; name is used in
// errors.
func BundleBytes(name string, b []byte) Source { return Source{bundle: b, bpath: name} }

// Builtin is paved's built-in guardrail library (see the package
// documentation).
func Builtin() Source { return Source{fsys: Library(), root: "builtin", builtin: true} }

//go:embed library/*.rego
var libraryFS embed.FS

// Library returns the built-in guardrail library's Rego files, tests
// (_test.rego) included, as a read-only file system.
func Library() fs.FS {
	sub, err := fs.Sub(libraryFS, "library")
	if err != nil { // unreachable: "library" is a valid, embedded directory
		return libraryFS
	}
	return sub
}

// Merge combines sources into one policy set. Two sources that define the
// same rule are a compile error, as in any Rego policy set.
func Merge(srcs ...Source) Source { return Source{sources: srcs} }

// loaded is what a Source yields.
type loaded struct {
	modules  map[string]*ast.Module
	raw      map[string][]byte
	data     map[string]any
	revision string
}

// load reads the source's modules (and a bundle's data and revision).
func (s Source) load(cfg *config, caps *ast.Capabilities) (*loaded, error) {
	out := &loaded{modules: map[string]*ast.Module{}, raw: map[string][]byte{}, data: map[string]any{}}
	if err := s.loadInto(out, cfg, caps); err != nil {
		return nil, err
	}
	return out, nil
}

func (s Source) loadInto(out *loaded, cfg *config, caps *ast.Capabilities) error {
	switch {
	case s.sources != nil:
		var errs []error
		for _, sub := range s.sources {
			errs = append(errs, sub.loadInto(out, cfg, caps))
		}
		return errors.Join(errs...)
	case s.fsys != nil:
		return s.loadFS(out)
	case s.bpath != "":
		return s.loadBundle(out, cfg, caps)
	}
	return fmt.Errorf("%w: empty policy source", ErrInvalidOption)
}

func (s Source) loadFS(out *loaded) error {
	var names []string
	err := fs.WalkDir(s.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".rego") && !strings.HasSuffix(p, "_test.rego") {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("policy: read %s: %w", s.display("."), err)
	}
	var errs []error
	for _, p := range names {
		b, err := fs.ReadFile(s.fsys, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy: read %s: %w", s.display(p), err))
			continue
		}
		errs = append(errs, out.add(s.display(p), b))
	}
	return errors.Join(errs...)
}

// display names a file of the source in errors and locations.
func (s Source) display(p string) string {
	if s.root == "" {
		return p
	}
	if s.builtin {
		return path.Join(s.root, p)
	}
	return filepath.Join(s.root, filepath.FromSlash(p))
}

// add parses one module, with annotation processing on so that control
// IDs in METADATA blocks are kept.
func (l *loaded) add(name string, src []byte) error {
	if _, dup := l.modules[name]; dup {
		return &CompileError{Location: Location{File: name}, Message: "two modules with the same file name"}
	}
	m, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
	if err != nil {
		return compileErrors(err)
	}
	l.modules[name] = m
	l.raw[name] = src
	return nil
}

func (s Source) loadBundle(out *loaded, cfg *config, caps *ast.Capabilities) error {
	b := s.bundle
	if b == nil {
		var err error
		if b, err = os.ReadFile(s.bpath); err != nil {
			return fmt.Errorf("%w: %v", ErrBundle, err)
		}
	}
	r := bundle.NewReader(bytes.NewReader(b)).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotations(true).
		WithCapabilities(caps).
		WithSizeLimitBytes(MaxBundleSize)
	if cfg.verification != nil {
		r = r.WithBundleVerificationConfig(cfg.verification)
	}
	bun, err := r.Read()
	if err != nil {
		var astErrs ast.Errors
		if errors.As(err, &astErrs) {
			return compileErrors(astErrs)
		}
		return fmt.Errorf("%w: %s: %v", ErrBundle, s.bpath, err)
	}
	if cfg.verification == nil && len(bun.Signatures.Signatures) > 0 {
		return fmt.Errorf("%w: %s: the bundle is signed but the engine has no bundle key to verify it", ErrBundle, s.bpath)
	}
	sort.Slice(bun.Modules, func(i, j int) bool { return bun.Modules[i].Path < bun.Modules[j].Path })
	var errs []error
	for _, mf := range bun.Modules {
		if strings.HasSuffix(mf.Path, "_test.rego") {
			continue
		}
		name := s.bpath + ":" + strings.TrimPrefix(mf.Path, "/")
		errs = append(errs, out.add(name, mf.Raw))
	}
	for k, v := range bun.Data {
		if _, dup := out.data[k]; dup {
			errs = append(errs, fmt.Errorf("%w: %s: data key %q defined twice", ErrBundle, s.bpath, k))
			continue
		}
		out.data[k] = v
	}
	if rev := bun.Manifest.Revision; rev != "" {
		if out.revision != "" && out.revision != rev {
			errs = append(errs, fmt.Errorf("%w: %s: revision %q differs from %q", ErrBundle, s.bpath, rev, out.revision))
		}
		out.revision = rev
	}
	return errors.Join(errs...)
}

// compileErrors converts OPA's errors into CompileErrors, one each.
func compileErrors(err error) error {
	var astErrs ast.Errors
	if !errors.As(err, &astErrs) {
		return &CompileError{Message: err.Error()}
	}
	out := make([]error, 0, len(astErrs))
	for _, e := range astErrs {
		ce := &CompileError{Code: e.Code, Message: e.Message}
		if e.Location != nil {
			ce.Location = Location{File: e.Location.File, Line: e.Location.Row, Column: e.Location.Col}
		}
		out = append(out, ce)
	}
	return errors.Join(out...)
}
