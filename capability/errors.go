package capability

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/paved-dev/paved/internal/yamldoc"
)

// Sentinel errors. A *FieldError unwraps to one of them; check with
// errors.Is.
var (
	// ErrSyntax: the document is not well-formed YAML or JSON.
	ErrSyntax = yamldoc.ErrSyntax
	// ErrTooLarge: the document exceeds MaxDocumentSize.
	ErrTooLarge = errors.New("document too large")
	// ErrUnknownField: a key that the schema does not define.
	ErrUnknownField = yamldoc.ErrUnknownField
	// ErrDuplicateField: the same key twice in one object.
	ErrDuplicateField = yamldoc.ErrDuplicateField
	// ErrInvalidValue: a value of the wrong type or outside its allowed set.
	ErrInvalidValue = yamldoc.ErrInvalidValue
	// ErrRequired: a required field is missing or empty.
	ErrRequired = errors.New("required field missing")
	// ErrDuplicateID: two owners, areas, capabilities, controls or
	// exceptions share an ID.
	ErrDuplicateID = errors.New("duplicate id")
	// ErrDanglingReference: a reference to an owner, control, framework or
	// framework entry that does not exist.
	ErrDanglingReference = errors.New("dangling reference")
	// ErrNoOwner: a control without an owner of its own, its capability's
	// or its area's.
	ErrNoOwner = errors.New("control has no owner")
	// ErrUnenforceable: a mandatory control that names no evidence and no
	// policy and is not marked manual, or a manual control with a policy.
	ErrUnenforceable = errors.New("control cannot be enforced")
	// ErrSelfApproval: an exception approved by the person who requested it.
	ErrSelfApproval = errors.New("exception approved by its requester")
	// ErrUnauthorizedApprover: an exception approved by someone the
	// exception policy does not allow.
	ErrUnauthorizedApprover = errors.New("approver not allowed by the exception policy")
	// ErrExpired: an exception whose expiry has passed.
	ErrExpired = errors.New("exception expired")
	// ErrExpiryTooLong: an exception that lasts longer than the exception
	// policy's maximum.
	ErrExpiryTooLong = errors.New("exception lasts longer than allowed")
	// ErrUnknownIdentity: an environment's deployer or approver that is
	// neither a declared owner nor an identity of one.
	ErrUnknownIdentity = errors.New("unknown identity")
	// ErrPromotionCycle: environments whose promotion order loops back on
	// itself.
	ErrPromotionCycle = errors.New("promotion order has a cycle")
)

// FieldError is one problem in a map, with where it is. Line and Column are
// 1-based and zero when the map was not loaded from a document (or, for a
// syntax error, when the parser did not say).
type FieldError struct {
	// File is the name of the document, when known.
	File string
	// Line and Column locate the offending value in the document.
	Line, Column int
	// Field is the path of the field, such as
	// "areas[1].capabilities[0].controls[2].owner".
	Field string
	// Err says what is wrong; it wraps one of the package's sentinels.
	Err error
}

// Error formats the problem as "capability: file:line:col: field: cause".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("capability: ")
	if e.File != "" || e.Line > 0 {
		where := e.File
		if where == "" {
			where = "line"
		}
		b.WriteString(where)
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

// Unwrap returns the cause, which wraps a sentinel.
func (e *FieldError) Unwrap() error { return e.Err }

// problems collects FieldErrors, filling in their location from a source.
type problems struct {
	src  *source
	errs []error
}

// add records a problem with field, whose cause wraps sentinel, located
// where the loaded document had the field (or its nearest ancestor).
func (p *problems) add(field string, sentinel error, format string, args ...any) {
	var pos yamldoc.Pos
	if p.src != nil {
		pos = p.src.pos.Lookup(field)
	}
	cause := sentinel
	if format != "" {
		cause = fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
	}
	fe := &FieldError{Field: field, Line: pos.Line, Column: pos.Column, Err: cause}
	if p.src != nil {
		fe.File = p.src.file
	}
	p.errs = append(p.errs, fe)
}

func (p *problems) err() error { return errors.Join(p.errs...) }
