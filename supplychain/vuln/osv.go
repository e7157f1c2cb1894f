package vuln

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors; check with errors.Is.
var (
	// ErrInvalidRecord: bytes that are not a valid OSV record, or a record
	// with a range paved cannot evaluate.
	ErrInvalidRecord = errors.New("vuln: invalid OSV record")
	// ErrUnsupported: an ecosystem, range type or component paved cannot
	// match.
	ErrUnsupported = errors.New("vuln: unsupported")
)

// MaxRecordSize caps one OSV record: 16 MiB, far above the largest
// published record, while bounding memory for hostile input.
const MaxRecordSize = 16 << 20

// Record is an OSV record (https://ossf.github.io/osv-schema/), the fields
// paved uses.
type Record struct {
	// ID is the record's identifier, such as "GO-2022-1059" or
	// "GHSA-69ch-w2m2-3vjp".
	ID string `json:"id"`
	// Modified is when the record last changed.
	Modified time.Time `json:"modified"`
	// Published is when the record was first published; zero if unknown.
	Published time.Time `json:"published,omitzero"`
	// Withdrawn is set when the record was withdrawn; withdrawn records
	// never match.
	Withdrawn time.Time `json:"withdrawn,omitzero"`
	// Aliases are other IDs of the same vulnerability (CVE, GHSA, ...).
	Aliases []string `json:"aliases,omitempty"`
	// Summary is a one-line description.
	Summary string `json:"summary,omitempty"`
	// Details is the longer description.
	Details string `json:"details,omitempty"`
	// Severity lists CVSS vectors for the whole record.
	Severity []Severity `json:"severity,omitempty"`
	// Affected lists the affected packages and versions.
	Affected []Affected `json:"affected,omitempty"`
	// DatabaseSpecific holds the database's own fields; paved reads a
	// "severity" word from it (GitHub's "HIGH", "MODERATE", ...).
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is one OSV severity entry.
type Severity struct {
	// Type is "CVSS_V2", "CVSS_V3", "CVSS_V4" or another scoring system.
	Type string `json:"type"`
	// Score is the vector, such as "CVSS:3.1/AV:N/AC:L/...".
	Score string `json:"score"`
}

// Affected is one affected package of a record.
type Affected struct {
	// Package names the package.
	Package Package `json:"package"`
	// Ranges lists affected version ranges.
	Ranges []Range `json:"ranges,omitempty"`
	// Versions lists affected versions explicitly.
	Versions []string `json:"versions,omitempty"`
	// Severity lists CVSS vectors for this package only.
	Severity []Severity `json:"severity,omitempty"`
}

// Package is the package of an affected entry.
type Package struct {
	// Ecosystem is the OSV ecosystem ("Go", "npm", "PyPI", "Maven",
	// "crates.io", ...), possibly with a ":suffix".
	Ecosystem string `json:"ecosystem"`
	// Name is the package name in the ecosystem's spelling.
	Name string `json:"name"`
	// PURL is the package URL, when the record gives one.
	PURL string `json:"purl,omitempty"`
}

// Range is one affected range: events that introduce and fix the
// vulnerability.
type Range struct {
	// Type is "SEMVER", "ECOSYSTEM" or "GIT".
	Type string `json:"type"`
	// Events are the range's events.
	Events []Event `json:"events"`
}

// Event is one range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// RecordError is one problem with an OSV record: which file (and record),
// which field, what is wrong.
type RecordError struct {
	// Source is the file the record came from, such as "osv/GO-2022-1059.json"
	// or "all.zip:GO-2022-1059.json"; empty for bytes given directly.
	Source string
	// ID is the record's ID, when known.
	ID string
	// Field is the JSON path of the field, such as "affected[0].ranges[1].events".
	Field string
	// Err says what is wrong; it wraps ErrUnsupported for ecosystems and
	// range types paved cannot evaluate.
	Err error
}

// Error formats the problem as "vuln: invalid OSV record: source: id: field: cause".
func (e *RecordError) Error() string {
	var b bytes.Buffer
	b.WriteString(ErrInvalidRecord.Error())
	for _, s := range []string{e.Source, e.ID, e.Field} {
		if s != "" {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns ErrInvalidRecord and the cause.
func (e *RecordError) Unwrap() []error { return []error{ErrInvalidRecord, e.Err} }

// ParseRecord parses and checks one OSV record: an ID, a modified time,
// and for every affected entry a package with an ecosystem and a name, and
// ranges whose type is known and whose events each set exactly one field,
// with at least one "introduced". Errors are *RecordError values, all of
// them joined.
func ParseRecord(data []byte) (*Record, error) {
	if len(data) > MaxRecordSize {
		return nil, &RecordError{Err: fmt.Errorf("%d bytes, the limit is %d", len(data), MaxRecordSize)}
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &RecordError{Err: err}
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return &r, nil
}

// check reports every structural problem with r.
func (r *Record) check() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &RecordError{ID: r.ID, Field: field, Err: fmt.Errorf(format, args...)})
	}
	if r.ID == "" {
		add("id", "required")
	}
	if r.Modified.IsZero() {
		add("modified", "required")
	}
	for i, a := range r.Affected {
		field := fmt.Sprintf("affected[%d]", i)
		if a.Package.Ecosystem == "" {
			add(field+".package.ecosystem", "required")
		}
		if a.Package.Name == "" {
			add(field+".package.name", "required")
		}
		for j, rg := range a.Ranges {
			rfield := fmt.Sprintf("%s.ranges[%d]", field, j)
			switch rg.Type {
			case "SEMVER", "ECOSYSTEM", "GIT":
			default:
				add(rfield+".type", "%q is not SEMVER, ECOSYSTEM or GIT", rg.Type)
			}
			introduced := false
			for k, e := range rg.Events {
				n := 0
				for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if s != "" {
						n++
					}
				}
				if n != 1 {
					add(fmt.Sprintf("%s.events[%d]", rfield, k), "sets %d of introduced, fixed, last_affected and limit; want exactly one", n)
				}
				introduced = introduced || e.Introduced != ""
			}
			if !introduced {
				add(rfield+".events", "no introduced event")
			}
		}
	}
	return errors.Join(errs...)
}

// databaseSeverity returns the "severity" word of the record's
// database_specific object, "" if there is none.
func (r *Record) databaseSeverity() string {
	if len(r.DatabaseSpecific) == 0 {
		return ""
	}
	var ds struct {
		Severity string `json:"severity"`
	}
	if json.Unmarshal(r.DatabaseSpecific, &ds) != nil {
		return ""
	}
	return ds.Severity
}
