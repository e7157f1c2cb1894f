package vuln

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"
)

// DB is an OSV database held in memory and indexed by ecosystem and
// package, ready for matching. Make one with LoadDir, LoadZip or NewDB.
//
// A DB is immutable once made and safe for concurrent use.
type DB struct {
	records  []*Record
	index    map[packageKey][]*entry
	problems []error
	modified time.Time
}

// packageKey identifies a package: ecosystem (without ":suffix") and
// normalized name.
type packageKey struct{ ecosystem, name string }

// entry is one affected entry of a record, its versions parsed.
type entry struct {
	record   *Record
	affected *Affected
	versions map[string]bool
	ranges   [][]event // SEMVER and ECOSYSTEM ranges, events sorted
	severity SeverityScore
}

// event is one range event with its version parsed; v is nil for
// introduced "0".
type event struct {
	kind byte // 'i' introduced, 'f' fixed, 'l' last_affected
	raw  string
	v    semantic.Version
}

// LoadDir loads every *.json file under dir (recursively) as an OSV record,
// as the per-ecosystem exports of OSV unpack. Records that do not parse or
// cannot be evaluated are left out and reported by Problems, each as a
// *RecordError naming its file; an unreadable directory is an error.
func LoadDir(ctx context.Context, dir string) (*DB, error) {
	var records []*Record
	var problems []error
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		data, err := readFileLimited(path)
		if err != nil {
			return err
		}
		r, err := ParseRecord(data)
		if err != nil {
			problems = append(problems, withSource(err, path))
			return nil
		}
		records = append(records, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("vuln: load %s: %w", dir, err)
	}
	db := NewDB(records)
	db.problems = append(problems, db.problems...)
	return db, nil
}

// LoadZip loads every *.json member of a zip archive (such as OSV's
// all.zip or <ecosystem>/all.zip) as an OSV record; problems as LoadDir.
func LoadZip(ctx context.Context, path string) (*DB, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("vuln: load %s: %w", path, err)
	}
	defer zr.Close()
	var records []*Record
	var problems []error
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("vuln: load %s: %w", path, err)
		}
		if f.FileInfo().IsDir() || !strings.HasSuffix(f.Name, ".json") {
			continue
		}
		source := path + ":" + f.Name
		data, err := readZipMember(f)
		if err != nil {
			problems = append(problems, &RecordError{Source: source, Err: err})
			continue
		}
		r, err := ParseRecord(data)
		if err != nil {
			problems = append(problems, withSource(err, source))
			continue
		}
		records = append(records, r)
	}
	db := NewDB(records)
	db.problems = append(problems, db.problems...)
	return db, nil
}

func readFileLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxRecordSize+1))
}

func readZipMember(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, MaxRecordSize+1))
}

// withSource sets the source of every *RecordError in a joined error.
func withSource(err error, source string) error {
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok && !isRecordError(err) {
		list = j.Unwrap()
	}
	for _, e := range list {
		var re *RecordError
		if errors.As(e, &re) {
			re.Source = source
		}
	}
	return err
}

func isRecordError(err error) bool {
	_, ok := err.(*RecordError)
	return ok
}

// NewDB indexes records. Withdrawn records are kept (Records lists them)
// but never match. An affected entry whose ecosystem has no version
// ordering in paved, or whose range versions do not parse, is left out of
// the index and reported by Problems: an explicit "unsupported", never a
// silent skip, as are CVSS vectors that do not score. GIT ranges are not evaluated (an SBOM names versions, not
// commits); the entry's explicit versions still match.
func NewDB(records []*Record) *DB {
	db := &DB{records: records, index: make(map[packageKey][]*entry, len(records))}
	ordered := map[string]bool{} // ecosystems with a version ordering
	// Parsed versions are immutable values, shared between the entries
	// that spell a version alike (OSV exports repeat versions a lot).
	parsed := map[packageKey]semantic.Version{}
	for _, r := range records {
		if r.Modified.After(db.modified) {
			db.modified = r.Modified
		}
		for i := range r.Affected {
			a := &r.Affected[i]
			eco := ecosystemBase(a.Package.Ecosystem)
			ok, known := ordered[eco]
			if !known {
				_, err := semantic.Parse("0", eco)
				ok = err == nil
				ordered[eco] = ok
			}
			if !ok {
				db.problems = append(db.problems, &RecordError{ID: r.ID, Field: fmt.Sprintf("affected[%d]", i), Err: fmt.Errorf("%w: ecosystem %q has no version ordering in paved", ErrUnsupported, a.Package.Ecosystem)})
				continue
			}
			e, err := newEntry(r, a, parsed)
			if err != nil {
				db.problems = append(db.problems, &RecordError{ID: r.ID, Field: fmt.Sprintf("affected[%d]", i), Err: err})
				continue
			}
			sev, problems := entrySeverity(r, a)
			e.severity = sev
			db.problems = append(db.problems, problems...)
			k := packageKey{eco, normalizeName(eco, a.Package.Name)}
			db.index[k] = append(db.index[k], e)
		}
	}
	return db
}

// newEntry parses the versions of one affected entry, reusing those in
// parsed (keyed by ecosystem and version) and adding the new ones.
func newEntry(r *Record, a *Affected, parsed map[packageKey]semantic.Version) (*entry, error) {
	eco := ecosystemBase(a.Package.Ecosystem)
	e := &entry{record: r, affected: a}
	if len(a.Versions) > 0 {
		e.versions = make(map[string]bool, len(a.Versions))
		for _, v := range a.Versions {
			e.versions[canonicalVersion(eco, v)] = true
		}
	}
	for j, rg := range a.Ranges {
		if rg.Type == "GIT" {
			continue
		}
		var evs []event
		for k, ev := range rg.Events {
			var x event
			switch {
			case ev.Introduced != "":
				x = event{kind: 'i', raw: ev.Introduced}
			case ev.Fixed != "":
				x = event{kind: 'f', raw: ev.Fixed}
			case ev.LastAffected != "":
				x = event{kind: 'l', raw: ev.LastAffected}
			default:
				continue // limit: only meaningful for GIT ranges
			}
			if x.kind != 'i' || x.raw != "0" {
				key := packageKey{eco, x.raw}
				v, ok := parsed[key]
				if !ok {
					var err error
					if v, err = parseVersion(x.raw, eco); err != nil {
						return nil, fmt.Errorf("ranges[%d].events[%d]: %w", j, k, err)
					}
					parsed[key] = v
				}
				x.v = v
			}
			evs = append(evs, x)
		}
		var sortErr error
		slices.SortStableFunc(evs, func(a, b event) int {
			c, err := compareEvents(a, b)
			if err != nil {
				sortErr = err
			}
			return c
		})
		if sortErr != nil {
			return nil, fmt.Errorf("ranges[%d]: %w", j, sortErr)
		}
		e.ranges = append(e.ranges, evs)
	}
	return e, nil
}

// compareEvents orders events by version, introduced "0" first.
func compareEvents(a, b event) (int, error) {
	switch {
	case a.v == nil && b.v == nil:
		return 0, nil
	case a.v == nil:
		return -1, nil
	case b.v == nil:
		return 1, nil
	}
	return a.v.Compare(b.v)
}

// Records returns every record loaded, withdrawn ones included.
func (db *DB) Records() []*Record { return db.records }

// Problems returns the records and affected entries that could not be
// loaded or indexed, each a *RecordError; nil when there were none.
func (db *DB) Problems() []error { return db.problems }

// Modified is the latest modified time of any record: the database's
// version, as far as OSV has one.
func (db *DB) Modified() time.Time { return db.modified }

// canonicalVersion spells a version for exact comparison: Go versions
// without their "v" (OSV writes "1.2.3", go.mod "v1.2.3"), others as given.
func canonicalVersion(eco, v string) string {
	if eco == "Go" {
		return strings.TrimPrefix(v, "v")
	}
	return v
}

// ecosystemBase strips a ":suffix" (such as "Debian:11") from an OSV
// ecosystem.
func ecosystemBase(eco string) string {
	base, _, _ := strings.Cut(eco, ":")
	return base
}

// normalizeName spells a package name as the index keys it: PyPI names
// normalized as PEP 503 says (case and runs of "-_." folded); Go and
// Packagist names lowercased, since package URLs of those types are
// lowercase (github.com/package-url/packageurl-go lowercases them as it
// parses); others as given.
func normalizeName(eco, name string) string {
	switch eco {
	case "Go", "Packagist":
		return strings.ToLower(name)
	case "PyPI":
	default:
		return name
	}
	var b strings.Builder
	sep := false
	for _, c := range strings.ToLower(name) {
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteRune(c)
	}
	return b.String()
}

// parseVersion parses a version in an ecosystem's ordering, turning a
// panic of the parser into an error.
func parseVersion(s, eco string) (v semantic.Version, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, fmt.Errorf("%w: version %q in %s: %v", ErrInvalidRecord, s, eco, p)
		}
	}()
	v, err = semantic.Parse(s, eco)
	if err != nil {
		return nil, fmt.Errorf("version %q in %s: %w", s, eco, err)
	}
	return v, nil
}
