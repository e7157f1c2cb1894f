package sbom

import "fmt"

// The NTIA minimum elements (The Minimum Elements For a Software Bill of
// Materials, NTIA, 2021) that NTIA checks for.
const (
	ElementSupplier     = "supplier name"
	ElementName         = "component name"
	ElementVersion      = "version of the component"
	ElementIdentifier   = "other unique identifiers"
	ElementDependencies = "dependency relationship"
	ElementAuthor       = "author of SBOM data"
	ElementTimestamp    = "timestamp"
)

// Gap is one NTIA minimum element an SBOM lacks.
type Gap struct {
	// Ref is the component that lacks the element; empty for the
	// document's own elements (author, timestamp, dependencies).
	Ref string
	// Element is one of the Element constants.
	Element string
}

// String says what is missing where.
func (g Gap) String() string {
	if g.Ref == "" {
		return "sbom: missing " + g.Element
	}
	return fmt.Sprintf("sbom: component %s: missing %s", g.Ref, g.Element)
}

// NTIA reports every NTIA minimum element s lacks, in document order: an
// author and a timestamp for the document; dependency relationships when
// there is more than one component; for each component, a supplier, a
// name, a version and a unique identifier (a purl or a hash). An empty
// result means the SBOM has them all.
func NTIA(s *SBOM) []Gap {
	var gaps []Gap
	if len(s.Authors) == 0 {
		gaps = append(gaps, Gap{Element: ElementAuthor})
	}
	if s.Created.IsZero() {
		gaps = append(gaps, Gap{Element: ElementTimestamp})
	}
	if len(s.Components) > 1 && len(s.Dependencies) == 0 {
		gaps = append(gaps, Gap{Element: ElementDependencies})
	}
	for _, c := range s.Components {
		if c.Supplier == "" {
			gaps = append(gaps, Gap{Ref: c.Ref, Element: ElementSupplier})
		}
		if c.Name == "" {
			gaps = append(gaps, Gap{Ref: c.Ref, Element: ElementName})
		}
		if c.Version == "" {
			gaps = append(gaps, Gap{Ref: c.Ref, Element: ElementVersion})
		}
		if c.PURL == "" && len(c.Hashes) == 0 {
			gaps = append(gaps, Gap{Ref: c.Ref, Element: ElementIdentifier})
		}
	}
	return gaps
}
