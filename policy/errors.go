package policy

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; check with errors.Is.
var (
	// ErrCompile: Rego that does not parse or compile, including a call to
	// a builtin the engine's capabilities disable.
	ErrCompile = errors.New("policy: compile")
	// ErrBundle: an OPA bundle that cannot be read, or whose signature is
	// missing or does not verify.
	ErrBundle = errors.New("policy: bundle")
	// ErrInvalidRequest: a Request that is incomplete or malformed.
	ErrInvalidRequest = errors.New("policy: invalid request")
	// ErrInputTooLarge: an input document larger than the engine's cap
	// (see WithMaxInputBytes).
	ErrInputTooLarge = errors.New("policy: input too large")
	// ErrEvaluation: evaluation stopped, by cancellation or a deadline of
	// the context among other causes.
	ErrEvaluation = errors.New("policy: evaluation")
	// ErrInvalidOption: an option with a bad value, or options that
	// conflict.
	ErrInvalidOption = errors.New("policy: invalid option")
)

// Location is a place in a policy file. Line and Column are 1-based; they
// are zero when unknown.
type Location struct {
	// File names the policy file; Line and Column locate the place in it.
	File         string
	Line, Column int
}

// String formats the location as "file:line:column".
func (l Location) String() string {
	switch {
	case l.Line == 0:
		return l.File
	case l.Column == 0:
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return fmt.Sprintf("%s:%d:%d", l.File, l.Line, l.Column)
}

// CompileError is one problem the Rego parser or compiler found, with
// where it is. It unwraps to ErrCompile.
type CompileError struct {
	// Location is where the problem is.
	Location Location
	// Code is OPA's error code, such as "rego_type_error".
	Code string
	// Message says what is wrong, such as "undefined function http.send".
	Message string
}

// Error formats the problem as "policy: compile: file:line:col: code: message".
func (e *CompileError) Error() string {
	var b strings.Builder
	b.WriteString(ErrCompile.Error())
	b.WriteString(": ")
	if e.Location.File != "" {
		b.WriteString(e.Location.String())
		b.WriteString(": ")
	}
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap returns ErrCompile.
func (e *CompileError) Unwrap() error { return ErrCompile }

// RequestError is one problem with a Request: which field, and why. It
// unwraps to ErrInvalidRequest.
type RequestError struct {
	// Field is the path of the field, such as "evidence[3].digest".
	Field string
	// Err says what is wrong.
	Err error
}

// Error formats the problem as "policy: invalid request: field: cause".
func (e *RequestError) Error() string {
	return fmt.Sprintf("%v: %s: %v", ErrInvalidRequest, e.Field, e.Err)
}

// Unwrap returns ErrInvalidRequest and the cause.
func (e *RequestError) Unwrap() []error { return []error{ErrInvalidRequest, e.Err} }
