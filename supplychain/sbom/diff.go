package sbom

import (
	"cmp"
	"slices"
	"strings"
)

// Changes is what changed between two SBOMs: the "what changed" of a
// release.
type Changes struct {
	// Added lists components only the new SBOM has.
	Added []Component
	// Removed lists components only the old SBOM has.
	Removed []Component
	// Changed lists components both have, in another version.
	Changed []VersionChange
}

// VersionChange is one component whose version changed.
type VersionChange struct {
	// Old and New are the component in the old and the new SBOM.
	Old, New Component
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool {
	return len(c.Added) == 0 && len(c.Removed) == 0 && len(c.Changed) == 0
}

// Diff compares two SBOMs. Components are the same package when their
// purls without version, qualifiers and subpath agree, or, lacking purls,
// their group and name; a package in one version in each SBOM whose
// version differs is Changed, and any other version present in only one
// SBOM is Added or Removed. Each list is sorted by package and version.
func Diff(old, new *SBOM) Changes {
	before, after := byPackage(old), byPackage(new)
	var ch Changes
	for key, olds := range before {
		news := after[key]
		gone := onlyIn(olds, news)
		came := onlyIn(news, olds)
		if len(gone) == 1 && len(came) == 1 {
			ch.Changed = append(ch.Changed, VersionChange{Old: gone[0], New: came[0]})
			continue
		}
		ch.Removed = append(ch.Removed, gone...)
		ch.Added = append(ch.Added, came...)
	}
	for key, news := range after {
		if _, ok := before[key]; !ok {
			ch.Added = append(ch.Added, news...)
		}
	}
	byKey := func(a, b Component) int {
		return cmp.Or(strings.Compare(packageKey(a), packageKey(b)), strings.Compare(a.Version, b.Version))
	}
	slices.SortFunc(ch.Added, byKey)
	slices.SortFunc(ch.Removed, byKey)
	slices.SortFunc(ch.Changed, func(a, b VersionChange) int { return byKey(a.Old, b.Old) })
	return ch
}

// byPackage groups components by package, one per version.
func byPackage(s *SBOM) map[string][]Component {
	m := map[string][]Component{}
	for _, c := range s.Components {
		k := packageKey(c)
		if !slices.ContainsFunc(m[k], func(o Component) bool { return o.Version == c.Version }) {
			m[k] = append(m[k], c)
		}
	}
	return m
}

// onlyIn returns the components of a whose version b lacks.
func onlyIn(a, b []Component) []Component {
	var out []Component
	for _, c := range a {
		if !slices.ContainsFunc(b, func(o Component) bool { return o.Version == c.Version }) {
			out = append(out, c)
		}
	}
	return out
}

// packageKey identifies a component's package regardless of version.
func packageKey(c Component) string {
	if c.PURL != "" {
		p := c.PURL
		if i := strings.IndexAny(p, "?#"); i >= 0 {
			p = p[:i]
		}
		if i := strings.LastIndexByte(p, '@'); i > strings.LastIndexByte(p, '/') {
			p = p[:i]
		}
		return p
	}
	return c.Group + "/" + c.Name
}
