package csv

import (
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved/metrics"
)

// ErrInvalid is wrapped by every *ParseError.
var ErrInvalid = errors.New("csv: invalid file")

// MaxErrors caps the problems one read reports.
const MaxErrors = 100

// ParseError is one problem in a CSV file.
type ParseError struct {
	// Line is the line of the file, from 1.
	Line int
	// Column is the column's name, when the problem is in a cell.
	Column string
	// Err says what is wrong.
	Err error
}

// Error formats the problem as "csv: line N: column: cause".
func (e *ParseError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("csv: line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("csv: line %d: %s: %v", e.Line, e.Column, e.Err)
}

// Unwrap returns ErrInvalid and the cause.
func (e *ParseError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// column is one documented column of a file kind.
type column[T any] struct {
	name string
	set  func(*T, string) error
}

func text[T any](name string, f func(*T) *string) column[T] {
	return column[T]{name, func(v *T, s string) error { *f(v) = s; return nil }}
}

func stamp[T any](name string, f func(*T) *time.Time) column[T] {
	return column[T]{name, func(v *T, s string) error {
		if s == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("%q is not an RFC 3339 time", s)
		}
		*f(v) = t
		return nil
	}}
}

// read reads a file of rows into values of T, by the columns given, and
// the line each row starts on; the first column is required.
func read[T any](r io.Reader, cols []column[T]) ([]T, []int, error) {
	cr := stdcsv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, &ParseError{Line: 1, Err: errors.New("no header")}
	}
	if err != nil {
		return nil, nil, csvError(err)
	}
	var errs []error
	setters := make([]func(*T, string) error, len(header))
	names := make([]string, len(header))
	for i, h := range header {
		name := strings.TrimSpace(h)
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff")
		}
		names[i] = name
		k := slices.IndexFunc(cols, func(c column[T]) bool { return c.name == name })
		switch {
		case k < 0:
			errs = append(errs, &ParseError{Line: 1, Column: name, Err: fmt.Errorf("unknown column (known: %s)", known(cols))})
		case slices.Contains(names[:i], name):
			errs = append(errs, &ParseError{Line: 1, Column: name, Err: errors.New("column given twice")})
		default:
			setters[i] = cols[k].set
		}
	}
	if !slices.Contains(names, cols[0].name) {
		errs = append(errs, &ParseError{Line: 1, Column: cols[0].name, Err: errors.New("required column missing")})
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	var out []T
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, csvError(err))
			if len(errs) >= MaxErrors {
				break
			}
			var pe *stdcsv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, stdcsv.ErrFieldCount) {
				continue
			}
			break
		}
		line, _ := cr.FieldPos(0)
		var v T
		for i, cell := range rec {
			if err := setters[i](&v, cell); err != nil {
				errs = append(errs, &ParseError{Line: line, Column: names[i], Err: err})
			}
		}
		out = append(out, v)
		lines = append(lines, line)
		if len(errs) >= MaxErrors {
			break
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return out, lines, nil
}

func csvError(err error) error {
	var pe *stdcsv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{Line: pe.Line, Err: pe.Err}
	}
	return &ParseError{Err: err}
}

func known[T any](cols []column[T]) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

var changeColumns = []column[metrics.Change]{
	text("id", func(c *metrics.Change) *string { return &c.ID }),
	text("repository", func(c *metrics.Change) *string { return &c.Repository }),
	text("commit", func(c *metrics.Change) *string { return &c.Commit }),
	stamp("authored_at", func(c *metrics.Change) *time.Time { return &c.AuthoredAt }),
	stamp("committed_at", func(c *metrics.Change) *time.Time { return &c.CommittedAt }),
	stamp("pr_created_at", func(c *metrics.Change) *time.Time { return &c.PRCreatedAt }),
	stamp("merged_at", func(c *metrics.Change) *time.Time { return &c.MergedAt }),
}

// ReadChanges reads a changes file (see the package documentation).
func ReadChanges(r io.Reader) ([]metrics.Change, error) {
	v, _, err := read(r, changeColumns)
	return v, err
}

var deploymentColumns = []column[metrics.Deployment]{
	text("id", func(d *metrics.Deployment) *string { return &d.ID }),
	text("service", func(d *metrics.Deployment) *string { return &d.Service }),
	text("environment", func(d *metrics.Deployment) *string { return &d.Environment }),
	stamp("started_at", func(d *metrics.Deployment) *time.Time { return &d.StartedAt }),
	stamp("finished_at", func(d *metrics.Deployment) *time.Time { return &d.FinishedAt }),
	{"outcome", func(d *metrics.Deployment, s string) error { d.Outcome = metrics.Outcome(s); return nil }},
	text("version", func(d *metrics.Deployment) *string { return &d.Version }),
	{"changes", func(d *metrics.Deployment, s string) error { d.Changes = strings.Fields(s); return nil }},
	text("previous", func(d *metrics.Deployment) *string { return &d.Previous }),
	text("repository", func(d *metrics.Deployment) *string { return &d.Repository }),
	{"kind", func(d *metrics.Deployment, s string) error { d.Kind = metrics.Kind(s); return nil }},
}

// ReadDeployments reads a deployments file (see the package
// documentation). Kinds and outcomes are passed through as written, so
// that the metrics list an unknown one as excluded.
func ReadDeployments(r io.Reader) ([]metrics.Deployment, error) {
	v, _, err := read(r, deploymentColumns)
	return v, err
}

var incidentColumns = []column[metrics.Incident]{
	text("id", func(in *metrics.Incident) *string { return &in.ID }),
	text("service", func(in *metrics.Incident) *string { return &in.Service }),
	text("environment", func(in *metrics.Incident) *string { return &in.Environment }),
	stamp("detected_at", func(in *metrics.Incident) *time.Time { return &in.DetectedAt }),
	stamp("resolved_at", func(in *metrics.Incident) *time.Time { return &in.ResolvedAt }),
	text("caused_by", func(in *metrics.Incident) *string { return &in.CausedBy }),
	text("version", func(in *metrics.Incident) *string { return &in.Version }),
}

// ReadIncidents reads an incidents file (see the package documentation).
func ReadIncidents(r io.Reader) ([]metrics.Incident, error) {
	v, _, err := read(r, incidentColumns)
	return v, err
}

// stepRow is one row of a runs file.
type stepRow struct {
	run  metrics.Run
	step metrics.Step
}

var stepColumns = []column[stepRow]{
	text("run_id", func(s *stepRow) *string { return &s.run.ID }),
	text("service", func(s *stepRow) *string { return &s.run.Service }),
	text("environment", func(s *stepRow) *string { return &s.run.Environment }),
	stamp("started_at", func(s *stepRow) *time.Time { return &s.run.StartedAt }),
	text("step", func(s *stepRow) *string { return &s.step.Name }),
	{"manual", func(s *stepRow, v string) error {
		if v == "" {
			return nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		s.step.Manual = b
		return nil
	}},
	{"duration", func(s *stepRow, v string) error {
		if v == "" {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 1m30s", v)
		}
		s.step.Duration = d
		return nil
	}},
}

// ReadRuns reads a runs file, one row per step (see the package
// documentation), into runs in the order of their first row.
func ReadRuns(r io.Reader) ([]metrics.Run, error) {
	rows, lines, err := read(r, stepColumns)
	if err != nil {
		return nil, err
	}
	var runs []metrics.Run
	at := map[string]int{}
	var errs []error
	for i, row := range rows {
		k, ok := at[row.run.ID]
		if !ok {
			at[row.run.ID] = len(runs)
			runs = append(runs, row.run)
			k = len(runs) - 1
		} else if run := runs[k]; run.Service != row.run.Service || run.Environment != row.run.Environment || !run.StartedAt.Equal(row.run.StartedAt) {
			errs = append(errs, &ParseError{Line: lines[i], Column: "run_id", Err: fmt.Errorf("run %q: service, environment or started_at differ from its first row", row.run.ID)})
			continue
		}
		if row.step.Name != "" || row.step.Duration != 0 {
			runs[k].Steps = append(runs[k].Steps, row.step)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return runs, nil
}
