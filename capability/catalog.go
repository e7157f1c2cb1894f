package capability

import (
	"embed"
	"fmt"
	"path"
	"slices"
	"sync"
)

// The framework IDs of the built-in catalogs.
const (
	// SSDF is NIST's Secure Software Development Framework (SP 800-218).
	SSDF = "ssdf"
	// SLSA is Supply-chain Levels for Software Artifacts, build track.
	SLSA = "slsa"
	// Scorecard is the OpenSSF Scorecard checks.
	Scorecard = "scorecard"
	// NIST80053 is NIST SP 800-53 rev5.
	NIST80053 = "nist-800-53"
	// SOC2 is the AICPA Trust Services Criteria.
	SOC2 = "soc2"
	// CISSSC is the CIS Software Supply Chain Security Guide.
	CISSSC = "cis-sscs"
)

// Catalog is a reference list of a framework's entry IDs, so that control
// mappings can be checked. Titles are paved's own short paraphrases, not the
// framework's text.
type Catalog struct {
	// ID is the framework ID that control mappings use as a key.
	ID string `yaml:"id"`
	// Title names the framework.
	Title string `yaml:"title"`
	// Version is the framework version the entries come from.
	Version string `yaml:"version"`
	// Reference names the publication.
	Reference string `yaml:"reference"`
	// Scope says which part of the framework the catalog lists, when it is
	// not all of it.
	Scope string `yaml:"scope"`
	// Entries lists the framework's IDs in the framework's order.
	Entries []CatalogEntry `yaml:"entries"`
}

// CatalogEntry is one framework ID with a short title.
type CatalogEntry struct {
	// ID is the framework's own identifier, such as "PS.3.2" or "CM-8".
	ID string `yaml:"id"`
	// Title is paved's short paraphrase of the entry.
	Title string `yaml:"title"`
}

// Entry returns the entry with the given ID.
func (c *Catalog) Entry(id string) (CatalogEntry, bool) {
	i := slices.IndexFunc(c.Entries, func(e CatalogEntry) bool { return e.ID == id })
	if i < 0 {
		return CatalogEntry{}, false
	}
	return c.Entries[i], true
}

//go:embed catalogs/*.yaml
var catalogFiles embed.FS

// catalogSet is a parsed list of catalogs with an index of their entry IDs.
type catalogSet struct {
	list []Catalog
	ids  map[string]map[string]bool
}

// builtinCatalogs parses the embedded catalogs once; the result is never
// modified.
var builtinCatalogs = sync.OnceValues(func() (*catalogSet, error) {
	names, err := catalogFiles.ReadDir("catalogs")
	if err != nil {
		return nil, fmt.Errorf("capability: read built-in catalogs: %w", err)
	}
	set := &catalogSet{ids: map[string]map[string]bool{}}
	for _, n := range names {
		file := path.Join("catalogs", n.Name())
		data, err := catalogFiles.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("capability: read built-in catalog: %w", err)
		}
		var c Catalog
		if _, err := decodeDocument(data, file, &c); err != nil {
			return nil, err
		}
		ids := make(map[string]bool, len(c.Entries))
		for _, e := range c.Entries {
			ids[e.ID] = true
		}
		set.list = append(set.list, c)
		set.ids[c.ID] = ids
	}
	return set, nil
})

// Catalogs returns the built-in framework catalogs: NIST SSDF 1.1, SLSA 1.0
// build track, OpenSSF Scorecard checks, NIST SP 800-53 rev5 (selected
// families), SOC 2 Trust Services Criteria and the CIS Software Supply Chain
// Security Guide. The caller owns the returned slice.
func Catalogs() ([]Catalog, error) {
	set, err := builtinCatalogs()
	if err != nil {
		return nil, err
	}
	out := make([]Catalog, len(set.list))
	for i, c := range set.list {
		c.Entries = slices.Clone(c.Entries)
		out[i] = c
	}
	return out, nil
}

// lookupEntry reports whether framework is a built-in catalog or one of the
// map's, and whether id is one of its entries.
func (m *Map) lookupEntry(builtin *catalogSet, framework, id string) (frameworkKnown, entryKnown bool) {
	if ids, ok := builtin.ids[framework]; ok {
		return true, ids[id]
	}
	for i := range m.Catalogs {
		if c := &m.Catalogs[i]; c.ID == framework {
			_, ok := c.Entry(id)
			return true, ok
		}
	}
	return false, false
}
