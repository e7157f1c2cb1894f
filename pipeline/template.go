package pipeline

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/paved-dev/paved/internal/yamldoc"
)

// MaxTemplateSize caps a template document: 1 MiB.
const MaxTemplateSize = 1 << 20

// Kind makes a step of one kind from a template's step entry.
type Kind func(name string, p Params) (Step, error)

// Kinds maps step kinds, as templates name them, to their makers. The
// built-in kinds are step.Kinds() in pipeline/step; add your own to it.
type Kinds map[string]Kind

// Params are a template step's parameters: its command line, if any, and
// its named string parameters.
type Params struct {
	// Run is the step's command line.
	Run []string
	// With holds the named parameters.
	With map[string]string
}

// ParamError says which parameter a Kind rejects; LoadTemplate locates it
// in the template.
type ParamError struct {
	// Param is the parameter's name ("run" for the command line).
	Param string
	// Err says what is wrong.
	Err error
}

// Error formats the problem as "param: cause".
func (e *ParamError) Error() string { return e.Param + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ParamError) Unwrap() error { return e.Err }

// ErrMissingParam: a required parameter is absent.
var ErrMissingParam = errors.New("missing parameter")

// Get returns the named parameter, or def when it is absent or empty.
func (p Params) Get(name, def string) string {
	if v := p.With[name]; v != "" {
		return v
	}
	return def
}

// Require returns the named parameter, or a *ParamError wrapping
// ErrMissingParam.
func (p Params) Require(name string) (string, error) {
	v := p.With[name]
	if v == "" {
		return "", &ParamError{Param: name, Err: ErrMissingParam}
	}
	return v, nil
}

// List returns a parameter holding a comma-separated list, trimmed, empty
// items dropped.
func (p Params) List(name string) []string {
	var out []string
	for _, s := range strings.Split(p.With[name], ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Only checks that the step has no parameters but the named ones (and
// "run" only if it is named), so that a misspelt parameter is an error,
// not a silent default.
func (p Params) Only(names ...string) error {
	allowed := map[string]bool{}
	for _, n := range names {
		allowed[n] = true
	}
	var errs []error
	if len(p.Run) > 0 && !allowed["run"] {
		errs = append(errs, &ParamError{Param: "run", Err: errors.New("this kind of step takes no command")})
	}
	keys := make([]string, 0, len(p.With))
	for k := range p.With {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !allowed[k] {
			errs = append(errs, &ParamError{Param: k, Err: fmt.Errorf("unknown parameter (this kind takes %s)", strings.Join(names, ", "))})
		}
	}
	return errors.Join(errs...)
}

// template is a pipeline template document.
type template struct {
	Name    string          `yaml:"name"`
	Service string          `yaml:"service"`
	Stages  []templateStage `yaml:"stages"`
}

type templateStage struct {
	Stage      Stage          `yaml:"stage"`
	Concurrent bool           `yaml:"concurrent"`
	Steps      []templateStep `yaml:"steps"`
}

type templateStep struct {
	Name    string            `yaml:"name"`
	Kind    string            `yaml:"kind"`
	Run     []string          `yaml:"run"`
	With    map[string]string `yaml:"with"`
	Needs   []string          `yaml:"needs"`
	Timeout duration          `yaml:"timeout"`
}

// duration is a Go duration string in a template.
type duration time.Duration

// UnmarshalText parses a duration such as "10m".
func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

// LoadTemplateFile reads a template from a file; see LoadTemplate.
func LoadTemplateFile(path string, kinds Kinds, vars map[string]string) (*Pipeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pipeline: template: %w", err)
	}
	return LoadTemplate(data, path, kinds, vars)
}

// variable matches a template variable reference, ${name}.
var variable = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}`)

// expand replaces the ${name} references in s with vars' values, and
// reports the names vars lacks.
func expand(s string, vars map[string]string) (string, []string) {
	var missing []string
	out := variable.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	return out, missing
}

// LoadTemplate builds a pipeline from a YAML (or JSON) template, making
// each step with its kind from kinds. file names the document in errors.
// References ${name} in a step's run and with values are replaced by
// vars[name] (the version being released, the target environment); a
// reference vars does not define is an error. Only the ${name} form is
// expanded, so $HOME in a shell command stays as it is.
// Every problem is reported, as *DefinitionError values joined, with its
// file, line and column: unknown fields, unknown stages and step kinds,
// missing or unknown parameters, Needs that name no step or form a cycle.
//
//	name: go-service
//	service: api
//	stages:
//	  - stage: build
//	    steps:
//	      - name: compile
//	        kind: command
//	        run: [go, build, ./...]
//	        timeout: 10m
func LoadTemplate(data []byte, file string, kinds Kinds, vars map[string]string) (*Pipeline, error) {
	if len(data) > MaxTemplateSize {
		return nil, &DefinitionError{File: file, Err: fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalidPipeline, len(data), MaxTemplateSize)}
	}
	var t template
	pos, problems := yamldoc.Decode(data, &t)
	where := func(field string) (string, int, int) {
		p := pos.Lookup(field)
		return file, p.Line, p.Column
	}
	var errs []error
	for _, p := range problems {
		errs = append(errs, &DefinitionError{File: file, Line: p.Pos.Line, Column: p.Pos.Column, Field: p.Field, Err: p.Err})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	bad := func(field string, err error) {
		f, l, c := where(field)
		errs = append(errs, &DefinitionError{File: f, Line: l, Column: c, Field: field, Err: err})
	}
	stages := make([]StageSpec, len(t.Stages))
	for i, ts := range t.Stages {
		stages[i] = StageSpec{Stage: ts.Stage, Concurrent: ts.Concurrent}
		for j, s := range ts.Steps {
			f := fmt.Sprintf("stages[%d].steps[%d]", i, j)
			newStep, ok := kinds[s.Kind]
			switch {
			case s.Kind == "":
				bad(f+".kind", fmt.Errorf("%w: required", ErrInvalidPipeline))
				continue
			case !ok:
				bad(f+".kind", fmt.Errorf("%w: unknown step kind %q (known: %s)", ErrInvalidPipeline, s.Kind, strings.Join(kindNames(kinds), ", ")))
				continue
			}
			params, ok := expandParams(s, vars, func(field string, name string) {
				bad(f+"."+field, fmt.Errorf("%w: ${%s} is not defined", ErrInvalidPipeline, name))
			})
			if !ok {
				continue
			}
			step, err := newStep(s.Name, params)
			if err != nil {
				for _, e := range unjoin(err) {
					var pe *ParamError
					switch {
					case errors.As(e, &pe) && pe.Param == "run":
						bad(f+".run", fmt.Errorf("%w: %w", ErrInvalidPipeline, pe.Err))
					case errors.As(e, &pe):
						bad(f+".with."+pe.Param, fmt.Errorf("%w: %s: %w", ErrInvalidPipeline, pe.Param, pe.Err))
					default:
						bad(f, fmt.Errorf("%w: %w", ErrInvalidPipeline, e))
					}
				}
				continue
			}
			stages[i].Steps = append(stages[i].Steps, StepSpec{Step: step, Needs: s.Needs, Timeout: time.Duration(s.Timeout)})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return newPipeline(t.Name, t.Service, stages, where)
}

// expandParams expands the variables of a step's parameters, calling
// undefined for each reference vars lacks; ok is false if there was one.
func expandParams(s templateStep, vars map[string]string, undefined func(field, name string)) (p Params, ok bool) {
	ok = true
	p.Run = make([]string, len(s.Run))
	for i, a := range s.Run {
		var missing []string
		p.Run[i], missing = expand(a, vars)
		for _, m := range missing {
			undefined(fmt.Sprintf("run[%d]", i), m)
			ok = false
		}
	}
	if len(s.Run) == 0 {
		p.Run = nil
	}
	if s.With != nil {
		p.With = make(map[string]string, len(s.With))
	}
	for k, v := range s.With {
		var missing []string
		p.With[k], missing = expand(v, vars)
		for _, m := range missing {
			undefined("with."+k, m)
			ok = false
		}
	}
	return p, ok
}

// unjoin splits a joined error into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func kindNames(k Kinds) []string {
	out := make([]string, 0, len(k))
	for n := range k {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
