package ledger

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/vuln"
)

// MaxRangeSize caps the range expressions ParseRange reads: 1 KiB.
const MaxRangeSize = 1 << 10

// Range is a set of versions: constraints that all hold, such as
// ">=2.0.0, <2.17.1". Versions are ordered as the package's ecosystem
// orders them (see vuln.Compare). The zero Range holds every version. A
// Range is immutable and safe for concurrent use.
type Range struct {
	constraints []constraint
}

type constraint struct {
	op      string // "<", "<=", ">", ">=", "="
	version string
}

// ParseRange parses a comma-separated list of constraints, each an
// operator (<, <=, >, >=, = or ==) and a version: "<2.17.1",
// ">=2.0.0-beta9, <2.17.1", "=1.2.3". "*" or an empty expression holds
// every version. Errors are *FieldError values for the field "range",
// saying which constraint is wrong.
func ParseRange(expr string) (Range, error) {
	bad := func(format string, args ...any) (Range, error) {
		return Range{}, &FieldError{Field: "range", Err: fmt.Errorf(format, args...)}
	}
	if len(expr) > MaxRangeSize {
		return bad("%d bytes, the limit is %d", len(expr), MaxRangeSize)
	}
	expr = strings.TrimSpace(expr)
	if expr == "" || expr == "*" {
		return Range{}, nil
	}
	var r Range
	for i, part := range strings.Split(expr, ",") {
		part = strings.TrimSpace(part)
		op := ""
		for _, o := range []string{"<=", ">=", "==", "<", ">", "="} {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		if op == "" {
			return bad("constraint %d %q: no operator (<, <=, >, >=, =)", i+1, part)
		}
		v := strings.TrimSpace(part[len(op):])
		if v == "" || strings.ContainsAny(v, " \t\r\n<>=*") {
			return bad("constraint %d %q: %q is not a version", i+1, part, v)
		}
		if op == "==" {
			op = "="
		}
		r.constraints = append(r.constraints, constraint{op: op, version: v})
	}
	return r, nil
}

// String returns the range in ParseRange's syntax; "*" for any version.
func (r Range) String() string {
	if len(r.constraints) == 0 {
		return "*"
	}
	parts := make([]string, len(r.constraints))
	for i, c := range r.constraints {
		parts[i] = c.op + c.version
	}
	return strings.Join(parts, ", ")
}

// Contains reports whether the range holds version, ordered as ecosystem
// orders versions. An ecosystem paved cannot order, or a version (the
// range's or the given one) it cannot parse, is an error.
func (r Range) Contains(ecosystem, version string) (bool, error) {
	for _, c := range r.constraints {
		n, err := vuln.Compare(ecosystem, version, c.version)
		if err != nil {
			return false, err
		}
		var ok bool
		switch c.op {
		case "<":
			ok = n < 0
		case "<=":
			ok = n <= 0
		case ">":
			ok = n > 0
		case ">=":
			ok = n >= 0
		case "=":
			ok = n == 0
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// Shipped is one release that contains the component asked about.
type Shipped struct {
	// Release is the release.
	Release Release
	// Component is the component as its SBOM lists it.
	Component sbom.Component
	// SBOM is the record ID of the SBOM that lists it.
	SBOM string
	// Environments lists, sorted, where the release was ever deployed
	// successfully; empty if it never was.
	Environments []string
}

// Unresolved is a component of the package asked about whose version
// could not be placed in the range.
type Unresolved struct {
	Release   Release
	Component sbom.Component
	SBOM      string
	// Err says why.
	Err error
}

// ComponentReport answers which releases contain a package in a version
// range.
type ComponentReport struct {
	// Package is the package asked about, as a package URL without
	// version; Ecosystem and Name are its OSV ecosystem and name.
	Package, Ecosystem, Name string
	// Range is the version range asked about.
	Range Range
	// Shipped lists the matches, by service, release time and component
	// version.
	Shipped []Shipped
	// Unresolved lists components of the package whose version could not
	// be ordered: neither in nor out of the range.
	Unresolved []Unresolved
	// Problems lists the SBOMs and release records that could not be read
	// (each an error wrapping ErrUnreadable): their releases may contain
	// the package.
	Problems []error
	// Releases and SBOMs count what was searched.
	Releases, SBOMs int
}

// Containing returns every recorded release whose SBOMs list the package
// pkg (a package URL without version, such as
// "pkg:maven/org.apache.logging.log4j/log4j-core") at a version in r. A
// component matches by its purl; one without a purl matches by name
// (group:name for Maven, group/name otherwise). What could not be read or
// ordered is reported in the answer, never dropped.
func (l *Ledger) Containing(ctx context.Context, pkg string, r Range) (*ComponentReport, error) {
	eco, name, err := queryPackage(pkg)
	if err != nil {
		return nil, err
	}
	rels, problems, err := l.releases(ctx, "")
	if err != nil {
		return nil, err
	}
	deps, depProblems, err := l.deployments(ctx, "", "")
	if err != nil {
		return nil, err
	}
	deployed := map[string][]string{}
	undone := undoneIDs(deps)
	for _, d := range deps {
		id := d.Service + "@" + d.Version
		if d.Outcome == "succeeded" && !undone[d.ID] && !slices.Contains(deployed[id], d.Environment) {
			deployed[id] = append(deployed[id], d.Environment)
		}
	}
	rep := &ComponentReport{Package: pkg, Ecosystem: eco, Name: name, Range: r, Releases: len(rels), Problems: append(problems, depProblems...)}
	sboms, problems, err := l.readSBOMs(ctx, rels)
	if err != nil {
		return nil, err
	}
	rep.SBOMs = len(sboms) + len(problems)
	rep.Problems = append(rep.Problems, problems...)
	for _, rel := range rels {
		for _, id := range rel.SBOMs {
			doc := sboms[id]
			if doc == nil {
				continue
			}
			for _, c := range doc.Components {
				if !samePackage(c, eco, name) {
					continue
				}
				in, err := r.Contains(eco, c.Version)
				switch {
				case err != nil:
					rep.Unresolved = append(rep.Unresolved, Unresolved{Release: rel, Component: c, SBOM: id, Err: err})
				case in:
					envs := slices.Clone(deployed[rel.ID()])
					slices.Sort(envs)
					rep.Shipped = append(rep.Shipped, Shipped{Release: rel, Component: c, SBOM: id, Environments: envs})
				}
			}
		}
	}
	slices.SortStableFunc(rep.Shipped, func(a, b Shipped) int {
		return cmp.Or(cmp.Compare(a.Release.Service, b.Release.Service), a.Release.ReleasedAt.Compare(b.Release.ReleasedAt),
			cmp.Compare(a.Component.Version, b.Component.Version))
	})
	return rep, nil
}

// readSBOMs reads and decodes, GOMAXPROCS at a time, the SBOMs the
// releases refer to, each once; those it cannot read are problems.
func (l *Ledger) readSBOMs(ctx context.Context, rels []Release) (map[string]*sbom.SBOM, []error, error) {
	var ids []string
	for _, rel := range rels {
		ids = append(ids, rel.SBOMs...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	docs := make([]*sbom.SBOM, len(ids))
	errs := make([]error, len(ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(ids)) {
		wg.Go(func() {
			for i := range next {
				docs[i], errs[i] = l.readSBOM(ctx, ids[i])
			}
		})
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	out := make(map[string]*sbom.SBOM, len(ids))
	var problems []error
	for i, id := range ids {
		if errs[i] != nil {
			problems = append(problems, errs[i])
			continue
		}
		out[id] = docs[i]
	}
	return out, problems, nil
}

// readSBOM reads and decodes the SBOM of a record.
func (l *Ledger) readSBOM(ctx context.Context, id string) (*sbom.SBOM, error) {
	rec, err := l.store.Get(ctx, id)
	if err != nil {
		return nil, &RecordError{ID: id, Err: err}
	}
	st, err := statement(rec)
	if err != nil {
		return nil, &RecordError{ID: id, Err: err}
	}
	doc, err := sbom.Decode(bytes.NewReader(st.PredicateJSON()))
	if err != nil {
		return nil, &RecordError{ID: id, Err: err}
	}
	return doc, nil
}

// queryPackage returns the OSV ecosystem and name of a package URL
// without version.
func queryPackage(pkg string) (eco, name string, err error) {
	bad := func(format string, args ...any) (string, string, error) {
		return "", "", &FieldError{Field: "package", Err: fmt.Errorf(format, args...)}
	}
	if !strings.HasPrefix(pkg, "pkg:") {
		return bad("%q is not a package URL (pkg:type/namespace/name)", pkg)
	}
	if strings.ContainsAny(pkg, "@?#") {
		return bad("%q: give the package without version, qualifiers or subpath; the range says which versions", pkg)
	}
	eco, name, err = vuln.PackageOf(sbom.Component{Ref: "package", PURL: pkg})
	if err != nil {
		return bad("%w", err)
	}
	return eco, name, nil
}

// samePackage reports whether a component is the package eco/name.
func samePackage(c sbom.Component, eco, name string) bool {
	if c.PURL != "" {
		ce, cn, err := vuln.PackageOf(c)
		return err == nil && ce == eco && sameName(eco, cn, name)
	}
	if c.Group != "" {
		sep := "/"
		if eco == "Maven" {
			sep = ":"
		}
		return sameName(eco, c.Group+sep+c.Name, name)
	}
	return sameName(eco, c.Name, name)
}

// sameName compares package names; PyPI's are case-insensitive and treat
// "-", "_" and "." alike, as PEP 503 normalization does.
func sameName(eco, a, b string) bool {
	if eco != "PyPI" {
		return a == b
	}
	fold := strings.NewReplacer("_", "-", ".", "-")
	return strings.EqualFold(fold.Replace(a), fold.Replace(b))
}
