package sbom

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Sentinel errors; check with errors.Is.
var (
	// ErrInvalidSBOM: bytes that are not a well-formed SBOM of the format
	// they claim, or an SBOM whose references do not hold together.
	ErrInvalidSBOM = errors.New("sbom: invalid sbom")
	// ErrUnsupported: a well-formed document in a format or spec version
	// paved does not read, such as CycloneDX 1.1 or SPDX 2.1.
	ErrUnsupported = errors.New("sbom: unsupported")
	// ErrTooLarge: an SBOM larger than MaxSize.
	ErrTooLarge = errors.New("sbom: too large")
)

// MaxSize caps the SBOMs Decode reads: 1 GiB, room for an SBOM of a
// million components while bounding memory for hostile input.
const MaxSize = 1 << 30

// Format is the encoding an SBOM was read from or is written in.
type Format string

// The formats paved reads; CycloneDX JSON and XML are also written.
const (
	CycloneDXJSON Format = "cyclonedx+json"
	CycloneDXXML  Format = "cyclonedx+xml"
	SPDXJSON      Format = "spdx+json"
)

// The hash algorithm names of the normalized model: lowercase, without
// punctuation except the hyphen of SHA-3 and BLAKE variants.
const (
	MD5        = "md5"
	SHA1       = "sha1"
	SHA256     = "sha256"
	SHA384     = "sha384"
	SHA512     = "sha512"
	SHA3_256   = "sha3-256"
	SHA3_384   = "sha3-384"
	SHA3_512   = "sha3-512"
	BLAKE2b256 = "blake2b-256"
	BLAKE2b384 = "blake2b-384"
	BLAKE2b512 = "blake2b-512"
	BLAKE3     = "blake3"
)

// SBOM is the normalized model of a software bill of materials: what
// paved keeps of a CycloneDX or SPDX document, whatever its format, so
// that matching, diffing and the ledger work on one shape.
//
// Components are in document order (nested CycloneDX components
// flattened after their parent); Dependencies are sorted by Ref. An SBOM
// returned by Decode or a generator has unique component refs, and every
// dependency edge names components of the SBOM. The dependency graph may
// contain cycles (Go module graphs do).
//
// An SBOM is a plain value; it is safe for concurrent reads. Its JSON form
// (the struct tags) is paved's own, not a CycloneDX or SPDX document.
type SBOM struct {
	// Format is the format the SBOM was decoded from; empty for an SBOM
	// built in memory.
	Format Format `json:"format,omitempty"`
	// SpecVersion is the format's version, such as "1.6" for CycloneDX or
	// "SPDX-2.3".
	SpecVersion string `json:"specVersion,omitempty"`
	// SerialNumber identifies the document: the CycloneDX serial number
	// (urn:uuid:...) or the SPDX document namespace.
	SerialNumber string `json:"serialNumber,omitempty"`
	// Name is the SPDX document name, or the name of the CycloneDX
	// metadata component.
	Name string `json:"name,omitempty"`
	// Created is when the document was made; zero when it does not say.
	Created time.Time `json:"created,omitzero"`
	// Authors lists who made the document: CycloneDX metadata authors and
	// tools ("tool: name version"), SPDX creators ("Tool: name").
	Authors []string `json:"authors,omitempty"`
	// Root is the Ref of the component the SBOM describes (CycloneDX
	// metadata.component, the package an SPDX document DESCRIBES); empty
	// when the document names none.
	Root string `json:"root,omitempty"`
	// Components lists every component, the root included.
	Components []Component `json:"components"`
	// Dependencies lists, for each component that has any, the components
	// it depends on directly.
	Dependencies []Dependency `json:"dependencies,omitempty"`
}

// Component is one package, module or artifact in an SBOM.
type Component struct {
	// Ref identifies the component within its SBOM: the CycloneDX bom-ref
	// or the SPDX element ID. Decode makes one up ("component-3") for a
	// CycloneDX component that has none.
	Ref string `json:"ref"`
	// Type is the CycloneDX component type ("library", "application",
	// ...), or the SPDX primary package purpose in lowercase; may be empty.
	Type string `json:"type,omitempty"`
	// Group is the CycloneDX group (a Maven groupId, for example); empty
	// for SPDX.
	Group string `json:"group,omitempty"`
	// Name is the component's name; for Go modules, the module path.
	Name string `json:"name"`
	// Version is the component's version as the document states it.
	Version string `json:"version,omitempty"`
	// PURL is the package URL, such as "pkg:golang/golang.org/x/text@v0.3.8".
	PURL string `json:"purl,omitempty"`
	// Hashes lists the component's digests.
	Hashes []Hash `json:"hashes,omitempty"`
	// Licenses lists SPDX license IDs, SPDX expressions or, failing those,
	// license names, in document order, without duplicates.
	Licenses []string `json:"licenses,omitempty"`
	// Supplier names who supplies the component (an organization or
	// person); empty when the document does not say or says NOASSERTION.
	Supplier string `json:"supplier,omitempty"`
}

// Hash is one digest of a component.
type Hash struct {
	// Algorithm is one of the algorithm names above (SHA256, ...).
	Algorithm string `json:"algorithm"`
	// Value is the digest as the document states it (usually hex; a Go
	// module's go.sum "h1:" hash for Go modules).
	Value string `json:"value"`
}

// Dependency is one component's direct dependencies.
type Dependency struct {
	// Ref is the depending component.
	Ref string `json:"ref"`
	// DependsOn lists the refs of its direct dependencies, sorted and
	// without duplicates.
	DependsOn []string `json:"dependsOn"`
}

// Component returns the component with the given ref.
func (s *SBOM) Component(ref string) (Component, bool) {
	for _, c := range s.Components {
		if c.Ref == ref {
			return c, true
		}
	}
	return Component{}, false
}

// DependsOn returns the direct dependencies of the component with the
// given ref, nil when it has none.
func (s *SBOM) DependsOn(ref string) []string {
	i, ok := slices.BinarySearchFunc(s.Dependencies, ref, func(d Dependency, ref string) int {
		return strings.Compare(d.Ref, ref)
	})
	if !ok {
		return nil
	}
	return s.Dependencies[i].DependsOn
}

// Check reports every structural problem with s: components without a
// ref or name, duplicate refs, a root or dependency edges naming no
// component. Decode and the generators return only SBOMs that pass.
func (s *SBOM) Check() error {
	var errs []error
	refs := make(map[string]int, len(s.Components))
	for i, c := range s.Components {
		field := fmt.Sprintf("components[%d]", i)
		if c.Ref == "" {
			errs = append(errs, &Error{Field: field + ".ref", Err: errors.New("required")})
		} else if j, dup := refs[c.Ref]; dup {
			errs = append(errs, &Error{Field: field + ".ref", Err: fmt.Errorf("%q is also the ref of components[%d]", c.Ref, j)})
		} else {
			refs[c.Ref] = i
		}
		if c.Name == "" {
			errs = append(errs, &Error{Field: field + ".name", Err: errors.New("required")})
		}
	}
	if _, ok := refs[s.Root]; s.Root != "" && !ok {
		errs = append(errs, &Error{Field: "root", Err: fmt.Errorf("%q names no component", s.Root)})
	}
	for i, d := range s.Dependencies {
		field := fmt.Sprintf("dependencies[%d]", i)
		if _, ok := refs[d.Ref]; !ok {
			errs = append(errs, &Error{Field: field + ".ref", Err: fmt.Errorf("%q names no component", d.Ref)})
		}
		if i > 0 && s.Dependencies[i-1].Ref >= d.Ref {
			errs = append(errs, &Error{Field: field + ".ref", Err: errors.New("dependencies are not sorted by ref, or repeat one")})
		}
		for j, to := range d.DependsOn {
			if _, ok := refs[to]; !ok {
				errs = append(errs, &Error{Field: fmt.Sprintf("%s.dependsOn[%d]", field, j), Err: fmt.Errorf("%q names no component", to)})
			}
		}
	}
	return errors.Join(errs...)
}

// Error is one problem with an SBOM document: where it is and what is
// wrong. Line and Column are set when the problem has a place in the
// input bytes (a syntax error), Field when it has a path in the document.
type Error struct {
	// Format is the document's format, when known.
	Format Format
	// Line and Column locate the problem in the input, 1-based; zero when
	// unknown.
	Line, Column int
	// Field is the path of the offending field, such as
	// "components[3].name"; empty when unknown.
	Field string
	// Err says what is wrong; it wraps ErrUnsupported for documents paved
	// does not read.
	Err error
}

// Error formats the problem as "sbom: invalid sbom: format: line:col: field: cause".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidSBOM.Error())
	if e.Format != "" {
		b.WriteString(": ")
		b.WriteString(string(e.Format))
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d:%d", e.Line, e.Column)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns ErrInvalidSBOM and the cause.
func (e *Error) Unwrap() []error { return []error{ErrInvalidSBOM, e.Err} }

// sortDependencies sorts deps by ref, merges entries for the same ref,
// sorts and deduplicates each DependsOn list and drops entries left
// without dependencies.
func sortDependencies(deps []Dependency) []Dependency {
	slices.SortStableFunc(deps, func(a, b Dependency) int { return strings.Compare(a.Ref, b.Ref) })
	var out []Dependency
	for _, d := range deps {
		if n := len(out); n > 0 && out[n-1].Ref == d.Ref {
			out[n-1].DependsOn = append(out[n-1].DependsOn, d.DependsOn...)
			continue
		}
		out = append(out, Dependency{Ref: d.Ref, DependsOn: slices.Clone(d.DependsOn)})
	}
	out = slices.DeleteFunc(out, func(d Dependency) bool { return len(d.DependsOn) == 0 })
	for i := range out {
		slices.Sort(out[i].DependsOn)
		out[i].DependsOn = slices.Compact(out[i].DependsOn)
	}
	return out
}

// appendUnique appends s to list unless it is empty or already there.
func appendUnique(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
