package vuln

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"
	"github.com/package-url/packageurl-go"

	"github.com/paved-dev/paved/supplychain/sbom"
)

// purlEcosystems maps package URL types to OSV ecosystems.
var purlEcosystems = map[string]string{
	packageurl.TypeGolang:   "Go",
	packageurl.TypeNPM:      "npm",
	packageurl.TypePyPi:     "PyPI",
	packageurl.TypeMaven:    "Maven",
	packageurl.TypeCargo:    "crates.io",
	packageurl.TypeGem:      "RubyGems",
	packageurl.TypeNuget:    "NuGet",
	packageurl.TypeComposer: "Packagist",
	packageurl.TypeHex:      "Hex",
	packageurl.TypePub:      "Pub",
}

// Compare orders two versions as the OSV ecosystem does ("Go", "npm",
// "PyPI", "Maven", "crates.io", ... with github.com/google/osv-scalibr's
// semantic package): -1, 0 or +1. An ecosystem without an ordering yields
// an error wrapping ErrUnsupported; a version the ecosystem cannot parse,
// an error.
func Compare(ecosystem, a, b string) (int, error) {
	eco := ecosystemBase(ecosystem)
	va, err := parseVersion(a, eco)
	if err != nil {
		return 0, unsupportedEcosystem(eco, err)
	}
	vb, err := parseVersion(b, eco)
	if err != nil {
		return 0, unsupportedEcosystem(eco, err)
	}
	return va.Compare(vb)
}

func unsupportedEcosystem(eco string, err error) error {
	if _, perr := parseVersion("0", eco); perr != nil {
		return fmt.Errorf("%w: ecosystem %q has no version ordering in paved", ErrUnsupported, eco)
	}
	return err
}

// PackageOf returns the OSV ecosystem and package name of a component, from
// its purl: "pkg:golang/golang.org/x/text@v0.3.7" is Go's
// "golang.org/x/text", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
// is Maven's "org.apache.logging.log4j:log4j-core". Names come back as
// github.com/package-url/packageurl-go parses them (lowercase for golang,
// composer and pypi purls); matching folds case for those ecosystems. A
// component without a purl, or whose purl type has no OSV ecosystem,
// yields an error wrapping ErrUnsupported.
func PackageOf(c sbom.Component) (ecosystem, name string, err error) {
	if c.PURL == "" {
		return "", "", fmt.Errorf("%w: component %s has no purl", ErrUnsupported, c.Ref)
	}
	p, err := packageurl.FromString(c.PURL)
	if err != nil {
		return "", "", fmt.Errorf("%w: component %s: purl %q: %v", ErrUnsupported, c.Ref, c.PURL, err)
	}
	eco, ok := purlEcosystems[p.Type]
	if !ok {
		return "", "", fmt.Errorf("%w: component %s: purl type %q has no OSV ecosystem in paved", ErrUnsupported, c.Ref, p.Type)
	}
	name = p.Name
	if p.Namespace != "" {
		sep := "/"
		if eco == "Maven" {
			sep = ":"
		}
		name = p.Namespace + sep + p.Name
	}
	return eco, name, nil
}

// match is one record matching one component.
type match struct {
	record  *Record
	entry   *entry
	fixedIn []string
}

// affects reports whether version v (parsed, and in canonicalVersion's
// spelling) is in the entry, and the fixed versions of the ranges that contain it.
func (e *entry) affects(canonical string, v semantic.Version) (bool, []string) {
	if e.versions[canonical] {
		return true, nil
	}
	for _, evs := range e.ranges {
		in := false
		var fixed string
		for _, ev := range evs {
			var c int
			if ev.v != nil {
				var err error
				if c, err = v.Compare(ev.v); err != nil {
					return false, nil
				}
			}
			switch ev.kind {
			case 'i':
				if ev.v == nil || c >= 0 {
					in, fixed = true, ""
				}
			case 'f':
				if c >= 0 {
					in = false
				} else if in && fixed == "" {
					fixed = ev.raw
				}
			case 'l':
				if c > 0 {
					in = false
				}
			}
		}
		if in {
			if fixed != "" {
				return true, []string{fixed}
			}
			return true, nil
		}
	}
	return false, nil
}

// lookup returns the records affecting version raw of package (eco, name).
func (db *DB) lookup(eco, name, raw string) ([]match, error) {
	entries := db.index[packageKey{eco, normalizeName(eco, name)}]
	if len(entries) == 0 {
		return nil, nil
	}
	v, err := parseVersion(raw, eco)
	if err != nil {
		return nil, err
	}
	canonical := canonicalVersion(eco, raw)
	var out []match
	for _, e := range entries {
		if !e.record.Withdrawn.IsZero() {
			continue
		}
		if ok, fixed := e.affects(canonical, v); ok {
			out = append(out, match{record: e.record, entry: e, fixedIn: fixed})
		}
	}
	return out, nil
}

// group merges matches that name the same vulnerability (one's ID is
// another's alias, directly or through a third) into groups.
func group(ms []match) [][]match {
	if len(ms) <= 1 {
		return [][]match{ms}[:len(ms)]
	}
	parent := make([]int, len(ms))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, m := range ms {
		for _, id := range append([]string{m.record.ID}, m.record.Aliases...) {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[id] = i
			}
		}
	}
	byRoot := map[int][]match{}
	var roots []int
	for i, m := range ms {
		r := find(i)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], m)
	}
	out := make([][]match, 0, len(roots))
	for _, r := range roots {
		out = append(out, byRoot[r])
	}
	return out
}

// ids returns the primary ID of a group (a CVE if there is one, else the
// smallest ID) and its other IDs, sorted.
func ids(g []match) (string, []string) {
	var all []string
	for _, m := range g {
		all = append(all, m.record.ID)
		all = append(all, m.record.Aliases...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	primary := all[0]
	for _, id := range all {
		if strings.HasPrefix(id, "CVE-") {
			primary = id
			break
		}
	}
	return primary, slices.DeleteFunc(all, func(id string) bool { return id == primary })
}

// published is the earliest publication time in a group, zero if none.
func published(g []match) time.Time {
	var t time.Time
	for _, m := range g {
		if p := m.record.Published; !p.IsZero() && (t.IsZero() || p.Before(t)) {
			t = p
		}
	}
	return t
}

// summary is the first non-empty summary of a group, preferring records
// in ID order.
func summary(g []match) string {
	sorted := slices.Clone(g)
	slices.SortFunc(sorted, func(a, b match) int { return cmp.Compare(a.record.ID, b.record.ID) })
	for _, m := range sorted {
		if m.record.Summary != "" {
			return m.record.Summary
		}
	}
	return ""
}

var errNoVersion = errors.New("component has no version")
