package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Pipeline is a named sequence of stages, each a list of steps. Build one
// with New or load one with LoadTemplate; it is immutable and may be run
// many times, concurrently.
type Pipeline struct {
	name    string
	service string
	stages  []StageSpec
}

// StageSpec is one stage of a pipeline: its steps, run in order, or
// concurrently (each after the steps it Needs) when Concurrent is set.
type StageSpec struct {
	Stage      Stage
	Steps      []StepSpec
	Concurrent bool
}

// StepSpec is a step as a pipeline runs it.
type StepSpec struct {
	Step Step
	// Needs names the steps of the same stage that must succeed before
	// this one starts (in a concurrent stage).
	Needs []string
	// Timeout bounds the step; zero means the runner's default.
	Timeout time.Duration
}

// In returns a stage of steps run in order, with the runner's default
// timeout.
func In(stage Stage, steps ...Step) StageSpec {
	s := StageSpec{Stage: stage}
	for _, st := range steps {
		s.Steps = append(s.Steps, StepSpec{Step: st})
	}
	return s
}

// ErrInvalidPipeline: a pipeline or template that cannot run.
var ErrInvalidPipeline = errors.New("pipeline: invalid pipeline")

// DefinitionError is one problem in a pipeline's definition, located by
// field path and, for a loaded template, by file, line and column.
type DefinitionError struct {
	// File, Line and Column locate the problem in a template; empty and
	// zero for a pipeline built in Go.
	File         string
	Line, Column int
	// Field is the path of the field, such as "stages[1].steps[0].kind".
	Field string
	// Err says what is wrong; it wraps ErrInvalidPipeline or a template
	// decoding sentinel.
	Err error
}

// Error formats the problem as "pipeline: file:line:col: field: cause".
func (e *DefinitionError) Error() string {
	var b strings.Builder
	b.WriteString("pipeline: ")
	if e.File != "" || e.Line > 0 {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
			if e.Column > 0 {
				b.WriteString(":" + strconv.Itoa(e.Column))
			}
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *DefinitionError) Unwrap() error { return e.Err }

// New checks and returns a pipeline: stages known, each at most once and
// in pipeline order, at least one step, step names unique and non-empty,
// every Needs naming an earlier-declared or later step of the same
// concurrent stage without a cycle, and no negative timeout. Every problem
// is reported, as *DefinitionError values joined.
func New(name string, stages ...StageSpec) (*Pipeline, error) {
	return newPipeline(name, "", stages, nil)
}

// Name returns the pipeline's name.
func (p *Pipeline) Name() string { return p.name }

// Service returns the service the pipeline delivers, if it names one.
func (p *Pipeline) Service() string { return p.service }

// Stages returns the pipeline's stages.
func (p *Pipeline) Stages() []StageSpec { return slices.Clone(p.stages) }

// locate returns where a field of the definition is, for errors; nil
// means nowhere (a pipeline built in Go).
type locate func(field string) (file string, line, col int)

func newPipeline(name, service string, stages []StageSpec, where locate) (*Pipeline, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		e := &DefinitionError{Field: field, Err: fmt.Errorf("%w: %s", ErrInvalidPipeline, fmt.Sprintf(format, args...))}
		if where != nil {
			e.File, e.Line, e.Column = where(field)
		}
		errs = append(errs, e)
	}
	if name == "" {
		bad("name", "required")
	}
	if len(stages) == 0 {
		bad("stages", "a pipeline needs at least one stage")
	}
	names := map[string]string{} // step name -> its field
	last := -1
	for i, st := range stages {
		f := fmt.Sprintf("stages[%d]", i)
		switch o := st.Stage.order(); {
		case o < 0:
			bad(f+".stage", "unknown stage %q", st.Stage)
		case o <= last:
			bad(f+".stage", "%s must come once, in the order plan, build, test, release, operate", st.Stage)
		default:
			last = o
		}
		if len(st.Steps) == 0 {
			bad(f+".steps", "a stage needs at least one step")
		}
		inStage := map[string]int{}
		for j, sp := range st.Steps {
			sf := fmt.Sprintf("%s.steps[%d]", f, j)
			if sp.Step == nil {
				bad(sf, "no step")
				continue
			}
			n := sp.Step.Name()
			switch prev, dup := names[n]; {
			case n == "":
				bad(sf+".name", "required")
			case dup:
				bad(sf+".name", "%q is already the name of %s", n, prev)
			default:
				names[n] = sf
				inStage[n] = j
			}
			if sp.Timeout < 0 {
				bad(sf+".timeout", "negative")
			}
		}
		for j, sp := range st.Steps {
			sf := fmt.Sprintf("%s.steps[%d].needs", f, j)
			if len(sp.Needs) > 0 && !st.Concurrent {
				bad(sf, "needs applies only in a concurrent stage (steps of a sequential stage run in order)")
			}
			for _, need := range sp.Needs {
				if _, ok := inStage[need]; !ok {
					bad(sf, "%q is not a step of this stage", need)
				}
			}
		}
		if cycle := findCycle(st.Steps, inStage); cycle != nil {
			bad(f+".steps", "steps need each other in a cycle: %s", strings.Join(cycle, " -> "))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Pipeline{name: name, service: service, stages: slices.Clone(stages)}, nil
}

// findCycle returns the names along a cycle of Needs among steps, or nil.
func findCycle(steps []StepSpec, index map[string]int) []string {
	const (
		unseen = iota
		active
		done
	)
	state := make([]int, len(steps))
	var path []string
	var visit func(i int) []string
	visit = func(i int) []string {
		state[i] = active
		path = append(path, steps[i].Step.Name())
		for _, need := range steps[i].Needs {
			j, ok := index[need]
			if !ok {
				continue
			}
			switch state[j] {
			case active:
				start := slices.Index(path, need)
				return append(slices.Clone(path[start:]), need)
			case unseen:
				if c := visit(j); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[i] = done
		return nil
	}
	for i, sp := range steps {
		if sp.Step == nil || state[i] != unseen {
			continue
		}
		if c := visit(i); c != nil {
			return c
		}
	}
	return nil
}
