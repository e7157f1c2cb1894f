package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// Engine evaluates gate Requests against one compiled policy set. The set
// is compiled once, each entry point prepared once, and evaluated many
// times.
//
// An Engine is safe for concurrent use by multiple goroutines. Reload
// swaps the policy set atomically: evaluations in flight finish on the set
// they started with.
type Engine struct {
	cfg  config
	caps *ast.Capabilities
	set  atomic.Pointer[policySet]
}

// policySet is one compiled, prepared policy set. It is immutable.
type policySet struct {
	digest   string
	revision string
	controls map[string]*annotated // by control ID
	entries  []*entry              // by package path
}

// entry is one Rego package under data.paved with deny or warn rules, and
// its prepared query.
type entry struct {
	path     string // such as "data.paved.build"
	query    string
	prepared rego.PreparedEvalQuery
	deny     bool
	warn     bool
	controls []string // the controls its annotated deny and warn rules check
	complete bool     // every deny and warn rule names its control
}

// annotated is what a rule's METADATA annotation says of its control.
type annotated struct {
	ID       string
	Title    string
	Stages   []string
	Evidence []string
	Location Location
}

// New compiles the policy set src describes, prepares its entry points and
// returns an Engine serving it. Every problem in the Rego is reported, each
// a *CompileError (file, line, column, message) wrapping ErrCompile; a call
// to a builtin the engine disables is one ("undefined function http.send").
func New(ctx context.Context, src Source, opts ...Option) (*Engine, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o.apply(&cfg); err != nil {
			return nil, err
		}
	}
	e := &Engine{cfg: cfg, caps: capabilities(cfg.network)}
	set, err := e.build(ctx, src)
	if err != nil {
		return nil, err
	}
	e.set.Store(set)
	return e, nil
}

// Reload compiles the policy set src describes and, if it compiles, makes
// it the engine's policy set. On error the engine keeps serving the
// previous set. Evaluations already running finish on the previous set.
func (e *Engine) Reload(ctx context.Context, src Source) error {
	set, err := e.build(ctx, src)
	if err != nil {
		return err
	}
	e.set.Store(set)
	return nil
}

// PolicyDigest returns the digest ("sha256:<hex>") of the policy set the
// engine serves: its modules' names and bytes and its data.
func (e *Engine) PolicyDigest() string { return e.set.Load().digest }

// Capabilities returns the OPA capabilities an engine compiles policies
// against by default: OPA's own, less the builtins that reach the network
// (http.send, net.*), opa.runtime, and the nondeterministic ones (rand.*,
// uuid.rfc4122, ...). time.now_ns stays; it returns the time of the
// engine's clock. Each call returns a new value the caller may modify.
func Capabilities() *ast.Capabilities { return capabilities(false) }

// capabilities returns OPA's capabilities without the disabled builtins.
func capabilities(network bool) *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	kept := make([]*ast.Builtin, 0, len(caps.Builtins))
	for _, b := range caps.Builtins {
		if !disabled(b, network) {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	if !network {
		caps.AllowNet = []string{}
	}
	return caps
}

// disabled reports whether the engine removes builtin b.
func disabled(b *ast.Builtin, network bool) bool {
	switch {
	case b.Name == "time.now_ns":
		return false
	case b.Name == "http.send" || strings.HasPrefix(b.Name, "net."):
		return !network
	case b.Name == "opa.runtime" || strings.HasPrefix(b.Name, "rand."):
		return true
	}
	return b.Nondeterministic
}

// build loads, compiles and prepares a policy set.
func (e *Engine) build(ctx context.Context, src Source) (*policySet, error) {
	l, err := src.load(&e.cfg, e.caps)
	if err != nil {
		return nil, err
	}
	if len(l.modules) == 0 {
		return nil, &CompileError{Message: "the policy source has no Rego modules"}
	}
	data := maps.Clone(e.cfg.data)
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range l.data {
		if _, dup := data[k]; dup {
			return nil, fmt.Errorf("%w: data key %q is set both by WithData and by the bundle", ErrInvalidOption, k)
		}
		data[k] = v
	}
	revision := e.cfg.revision
	if l.revision != "" {
		if revision != "" && revision != l.revision {
			return nil, fmt.Errorf("%w: WithRevision %q differs from the bundle's revision %q", ErrInvalidOption, revision, l.revision)
		}
		revision = l.revision
	}
	digest, err := setDigest(l.raw, data)
	if err != nil {
		return nil, err
	}
	compiler := ast.NewCompiler().
		WithCapabilities(e.caps).
		WithEnablePrintStatements(true)
	if compiler.Compile(l.modules); compiler.Failed() {
		return nil, compileErrors(compiler.Errors)
	}
	set := &policySet{digest: digest, revision: revision}
	if err := set.index(l.modules); err != nil {
		return nil, err
	}
	store := inmem.NewFromObject(data)
	for _, en := range set.entries {
		if err := en.prepare(ctx, compiler, store); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// setDigest hashes the modules (sorted by name, each as its name, length
// and bytes) and the data's canonical JSON.
func setDigest(raw map[string][]byte, data map[string]any) (string, error) {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		fmt.Fprintf(h, "module %s %d\n", strconv.Quote(name), len(raw[name]))
		h.Write(raw[name])
	}
	b, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("%w: data is not JSON: %v", ErrInvalidOption, err)
	}
	fmt.Fprintf(h, "data %d\n", len(b))
	h.Write(b)
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// paved is the root of the packages whose deny and warn rules are entry
// points.
var paved = ast.MustParseRef("data.paved")

// index finds the entry points and reads the control annotations.
func (s *policySet) index(modules map[string]*ast.Module) error {
	s.controls = map[string]*annotated{}
	byPath := map[string]*entry{}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		m := modules[name]
		if !m.Package.Path.HasPrefix(paved) {
			continue
		}
		path := m.Package.Path.String()
		for _, r := range m.Rules {
			kind := r.Head.Ref().String()
			if kind != "deny" && kind != "warn" {
				continue
			}
			en := byPath[path]
			if en == nil {
				en = &entry{path: path, complete: true}
				byPath[path] = en
			}
			en.deny = en.deny || kind == "deny"
			en.warn = en.warn || kind == "warn"
			a, err := ruleControl(r)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if a == nil {
				en.complete = false
				continue
			}
			if !slices.Contains(en.controls, a.ID) {
				en.controls = append(en.controls, a.ID)
			}
			if prev, ok := s.controls[a.ID]; ok {
				prev.Stages = union(prev.Stages, a.Stages)
				prev.Evidence = union(prev.Evidence, a.Evidence)
				continue
			}
			s.controls[a.ID] = a
		}
	}
	for _, p := range slices.Sorted(maps.Keys(byPath)) {
		s.entries = append(s.entries, byPath[p])
	}
	return errors.Join(errs...)
}

// ruleControl reads the control a rule's METADATA names under custom:
// control (an ID), stages (a list) and evidence (a list of predicate
// types). A rule without one returns nil.
func ruleControl(r *ast.Rule) (*annotated, error) {
	for _, a := range r.Annotations {
		id, ok := a.Custom["control"]
		if !ok {
			continue
		}
		out := &annotated{Title: a.Title}
		if a.Location != nil {
			out.Location = Location{File: a.Location.File, Line: a.Location.Row, Column: a.Location.Col}
		}
		bad := func(field string, v any) error {
			return &CompileError{Location: out.Location, Code: "paved_annotation_error", Message: fmt.Sprintf("custom.%s: %v is not %s", field, v, map[string]string{"control": "a string", "stages": "a list of stages", "evidence": "a list of predicate types"}[field])}
		}
		if out.ID, ok = id.(string); !ok || out.ID == "" {
			return nil, bad("control", id)
		}
		var err error
		if out.Stages, err = stringList(a.Custom["stages"]); err != nil {
			return nil, bad("stages", a.Custom["stages"])
		}
		for _, st := range out.Stages {
			if !slices.Contains(stages, st) {
				return nil, bad("stages", a.Custom["stages"])
			}
		}
		if out.Evidence, err = stringList(a.Custom["evidence"]); err != nil {
			return nil, bad("evidence", a.Custom["evidence"])
		}
		return out, nil
	}
	return nil, nil
}

// stringList converts an annotation value to a list of strings; nil is an
// empty list.
func stringList(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("not a list")
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok || s == "" {
			return nil, errors.New("not a string")
		}
		out = append(out, s)
	}
	return out, nil
}

// union appends to a the elements of b it lacks.
func union(a, b []string) []string {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

// prepare prepares the entry's query: its deny and warn sets.
func (en *entry) prepare(ctx context.Context, compiler *ast.Compiler, store storage.Store) error {
	var parts []string
	if en.deny {
		parts = append(parts, "deny := "+en.path+".deny")
	}
	if en.warn {
		parts = append(parts, "warn := "+en.path+".warn")
	}
	en.query = strings.Join(parts, "; ")
	pq, err := rego.New(
		rego.Query(en.query),
		rego.Compiler(compiler),
		rego.Store(store),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return fmt.Errorf("%w: prepare %s: %w", ErrCompile, en.path, err)
	}
	en.prepared = pq
	return nil
}
