package iac

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. A *PlanError wraps one of them; check with errors.Is.
var (
	// ErrSyntax: the input is not well-formed JSON.
	ErrSyntax = errors.New("malformed JSON")
	// ErrTooLarge: the plan is larger than the size cap.
	ErrTooLarge = errors.New("plan too large")
	// ErrFormatVersion: the plan's format_version is missing or not 1.x.
	ErrFormatVersion = errors.New("unsupported plan format version")
	// ErrInvalidPlan: well-formed JSON that is not a plan as documented:
	// a field of the wrong type, a missing address, an unknown action, a
	// module missing from the configuration.
	ErrInvalidPlan = errors.New("invalid plan")
	// ErrInvalidOption: an option with an unusable value.
	ErrInvalidOption = errors.New("invalid option")
)

// PlanError is one problem in a plan, with where it is. Path is the JSON
// path of the offending value, such as "resource_changes[3].change.actions";
// Offset is its byte offset in the input, and Line and Column (1-based)
// the same place; all are zero when the problem is the whole input.
type PlanError struct {
	// Path locates the value in the JSON document.
	Path string
	// Offset, Line and Column locate it in the input bytes.
	Offset       int64
	Line, Column int
	// Err says what is wrong; it wraps one of the package's sentinels.
	Err error
}

// Error formats the problem as "iac: line:col: path: cause".
func (e *PlanError) Error() string {
	var b strings.Builder
	b.WriteString("iac: parse plan: ")
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Column) + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause, which wraps a sentinel.
func (e *PlanError) Unwrap() error { return e.Err }
