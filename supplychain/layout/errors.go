package layout

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. A *VerificationError unwraps to one of them; check with
// errors.Is.
var (
	// ErrInvalidLayout: the layout is malformed, is not a layout, breaks
	// in-toto's rules (an empty artifact rule, a step without a threshold,
	// a bad pattern), is larger than MaxLayoutSize, or nests sublayouts
	// deeper than MaxSublayoutDepth.
	ErrInvalidLayout = errors.New("layout: invalid layout")
	// ErrInvalidKey: a root public key that cannot be parsed or is not a
	// public key.
	ErrInvalidKey = errors.New("layout: invalid key")
	// ErrInvalidLink: a link file that is malformed, too large, or names a
	// different step than its file name. Such a link is ignored, so this
	// sentinel is found inside an ErrLinkThreshold failure, never alone.
	ErrInvalidLink = errors.New("layout: invalid link")
	// ErrInvalidOption: an option with a bad value, or two options that
	// conflict.
	ErrInvalidOption = errors.New("layout: invalid option")
	// ErrLayoutSignature: fewer root keys than the threshold signed the
	// layout validly.
	ErrLayoutSignature = errors.New("layout: layout signature not verified")
	// ErrLayoutExpired: the layout's expiry has passed.
	ErrLayoutExpired = errors.New("layout: layout expired")
	// ErrLinkThreshold: a step has fewer links, validly signed by distinct
	// functionaries the step authorizes, than its threshold; a missing link
	// is this error too.
	ErrLinkThreshold = errors.New("layout: link threshold not met")
	// ErrLinksDisagree: the links of one step, by different functionaries,
	// report different materials or products.
	ErrLinksDisagree = errors.New("layout: links of a step disagree")
	// ErrArtifactRule: an artifact rule (MATCH, ALLOW, DISALLOW, REQUIRE,
	// CREATE, DELETE, MODIFY) of a step or inspection failed.
	ErrArtifactRule = errors.New("layout: artifact rule failed")
	// ErrInspectionsDisabled: the layout has inspections, which run
	// commands, and the verifier was built without WithInspectionsUnsafe or
	// WithSkipInspectionsUnsafe.
	ErrInspectionsDisabled = errors.New("layout: inspections disabled")
	// ErrInspectionFailed: an inspection's command could not start or exited
	// with a non-zero status.
	ErrInspectionFailed = errors.New("layout: inspection failed")
)

// VerificationError is a rejected layout, key or link: what was being done,
// to which file and step, and why. It unwraps to one of the package's
// sentinels (Kind) and to the cause (Err).
type VerificationError struct {
	// Op is what failed: "configure" (NewVerifier), "parse", "read",
	// "verify" or "inspect".
	Op string
	// Path is the file involved, when there is one.
	Path string
	// Step is the step or inspection, empty when the problem is the layout
	// as a whole. Steps of a sublayout are written "outer/inner".
	Step string
	// Kind is the sentinel that classifies the failure, such as
	// ErrLinkThreshold; nil only when verification stopped because its
	// context ended, which Err then wraps.
	Kind error
	// Err is the cause; it may be nil.
	Err error
}

// Error formats the failure as "layout: op subject: kind: cause".
func (e *VerificationError) Error() string {
	var b strings.Builder
	b.WriteString("layout: ")
	b.WriteString(e.Op)
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	if e.Step != "" {
		b.WriteString(" step " + strconv.Quote(e.Step))
	}
	if e.Kind != nil {
		b.WriteString(": " + strings.TrimPrefix(e.Kind.Error(), "layout: "))
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Kind and Err, so that errors.Is finds both the sentinel and
// anything the cause wraps.
func (e *VerificationError) Unwrap() []error {
	var out []error
	for _, err := range []error{e.Kind, e.Err} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// fail builds a *VerificationError.
func fail(op, step string, kind, cause error) *VerificationError {
	return &VerificationError{Op: op, Step: step, Kind: kind, Err: cause}
}
