package policy

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Enforcement says whether a control's failure blocks a gate.
type Enforcement string

// The enforcement levels: a mandatory control's deny fails the gate; an
// advisory control's deny is only a warning.
const (
	Mandatory Enforcement = "mandatory"
	Advisory  Enforcement = "advisory"
)

// Binding is what the capability map says of one control: how it is
// enforced, at which stages, what evidence it needs and which framework
// requirements it meets. The capability package builds bindings from the
// map; without a binding, a control takes these facts from its policy's
// METADATA annotation, and its deny rules are mandatory.
type Binding struct {
	// Control is the control's ID, such as "DSO-BLD-04".
	Control string
	// Title names the control.
	Title string
	// Enforcement is Mandatory or Advisory.
	Enforcement Enforcement
	// Stages lists the stages where the control applies; empty means
	// every stage.
	Stages []string
	// Manual marks a control that no policy evaluates; its status is
	// StatusManual.
	Manual bool
	// Evidence lists predicate types of which the subject must have at
	// least one, or the control's status is StatusError. Nil takes the
	// list from the policy's annotation.
	Evidence []string
	// MaxAge bounds, per predicate type, how old evidence of that type
	// may be (see Evidence.Time); older evidence counts as missing.
	MaxAge map[string]time.Duration
	// Mappings maps framework IDs (such as "ssdf") to the requirements the
	// control meets there.
	Mappings map[string][]string
}

func (b Binding) validate() error {
	var errs []error
	if b.Control == "" {
		errs = append(errs, errors.New("control: required"))
	}
	if b.Enforcement != Mandatory && b.Enforcement != Advisory {
		errs = append(errs, fmt.Errorf("enforcement: %q is not mandatory or advisory", b.Enforcement))
	}
	for t, d := range b.MaxAge {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("maxAge: %s: %v is not positive", t, d))
		}
	}
	for _, s := range b.Stages {
		if !slices.Contains(stages, s) {
			errs = append(errs, fmt.Errorf("stages: %q is not one of %v", s, stages))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: binding %q: %w", ErrInvalidOption, b.Control, err)
	}
	return nil
}
