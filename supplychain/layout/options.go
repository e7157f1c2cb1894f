package layout

import (
	"fmt"
	"log/slog"
	"maps"
	"time"
)

// Option configures NewVerifier. Options come only from this package's
// With… functions; each may be given once, and options that contradict each
// other make NewVerifier fail with ErrInvalidOption.
type Option interface {
	apply(*config) error
}

type config struct {
	seen            map[string]bool
	clock           func() time.Time
	logger          *slog.Logger
	layoutThreshold int // 0: every root key must sign
	parameters      map[string]string
	inspectDir      string // run inspections in this directory
	skipInspections bool
}

type option struct {
	name string
	fn   func(*config) error
}

func (o option) apply(c *config) error {
	if c.seen[o.name] {
		return fmt.Errorf("%s given twice", o.name)
	}
	c.seen[o.name] = true
	return o.fn(c)
}

func invalidOption(name, format string, args ...any) error {
	return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
}

// WithClock sets the clock that judges whether a layout (and each
// sublayout) has expired. The default is time.Now. Certificates of
// certificate-based functionaries are still checked against the system
// clock: in-toto-golang offers no other.
func WithClock(now func() time.Time) Option {
	return option{"WithClock", func(c *config) error {
		if now == nil {
			return invalidOption("WithClock", "nil clock")
		}
		c.clock = now
		return nil
	}}
}

// WithLogger sets where the verifier reports progress (debug) and soft
// findings such as a link whose command differs from the step's expected
// command (warn). The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return option{"WithLogger", func(c *config) error {
		if l == nil {
			return invalidOption("WithLogger", "nil logger")
		}
		c.logger = l
		return nil
	}}
}

// WithLayoutThreshold accepts a root layout signed validly by at least n of
// the root keys. The default, as in in-toto, is that every root key must
// sign. n must be between 1 and the number of root keys. Sublayouts are
// always checked against the single key of the functionary who signed them.
func WithLayoutThreshold(n int) Option {
	return option{"WithLayoutThreshold", func(c *config) error {
		if n < 1 {
			return invalidOption("WithLayoutThreshold", "threshold %d is below 1", n)
		}
		c.layoutThreshold = n
		return nil
	}}
}

// validParameterName reports whether name follows in-toto's rule for
// substitution parameters: one or more letters, digits, '_' and '-'.
func validParameterName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// WithParameters substitutes "{name}" in the layout's artifact rules,
// expected commands and inspection commands with the value of name, as
// in-toto's parameter substitution does, before verification. As in
// in-toto, only the root layout is substituted, never a sublayout. The
// default substitutes nothing. Names are letters, digits, '_' and '-'.
func WithParameters(params map[string]string) Option {
	return option{"WithParameters", func(c *config) error {
		if len(params) == 0 {
			return invalidOption("WithParameters", "no parameters")
		}
		for name := range params {
			if !validParameterName(name) {
				return invalidOption("WithParameters", "parameter name %q is not letters, digits, '_' and '-'", name)
			}
		}
		c.parameters = maps.Clone(params)
		return nil
	}}
}

// WithInspectionsUnsafe runs the layout's inspections: each inspection's
// command is EXECUTED, with the verifying process's privileges and
// environment, in dir, which should hold the final product (for example
// the package that an inspection unpacks). Materials and products of an
// inspection are the files under dir before and after its command, named by
// their slash-separated path relative to dir. Commands may change dir, so
// give each concurrent verification its own directory. Only use it for
// layouts whose signers you trust to run code on this machine.
//
// By default, a layout with inspections is rejected with
// ErrInspectionsDisabled and nothing is executed. It conflicts with
// WithSkipInspectionsUnsafe.
func WithInspectionsUnsafe(dir string) Option {
	return option{"WithInspectionsUnsafe", func(c *config) error {
		if dir == "" {
			return invalidOption("WithInspectionsUnsafe", "empty directory")
		}
		c.inspectDir = dir
		return nil
	}}
}

// WithSkipInspectionsUnsafe accepts layouts with inspections without running
// them: their artifact rules are not checked, and Result.SkippedInspections
// names them. It weakens verification; use it only where another control
// covers what the inspections check. By default, a layout with inspections
// is rejected with ErrInspectionsDisabled. It conflicts with
// WithInspectionsUnsafe.
func WithSkipInspectionsUnsafe() Option {
	return option{"WithSkipInspectionsUnsafe", func(c *config) error {
		c.skipInspections = true
		return nil
	}}
}
