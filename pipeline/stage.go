package pipeline

import "fmt"

// Stage is one of the five delivery stages.
type Stage string

// The stages, in the order a pipeline runs them.
const (
	Plan    Stage = "plan"
	Build   Stage = "build"
	Test    Stage = "test"
	Release Stage = "release"
	Operate Stage = "operate"
)

// Stages returns the five stages in order.
func Stages() []Stage { return []Stage{Plan, Build, Test, Release, Operate} }

// order returns the stage's position, or -1 for an unknown stage.
func (s Stage) order() int {
	for i, st := range Stages() {
		if st == s {
			return i
		}
	}
	return -1
}

// UnmarshalText reads a stage name, refusing unknown ones.
func (s *Stage) UnmarshalText(b []byte) error {
	st := Stage(b)
	if st.order() < 0 {
		return fmt.Errorf("unknown stage %q (want plan, build, test, release or operate)", b)
	}
	*s = st
	return nil
}
