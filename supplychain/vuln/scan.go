package vuln

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"

	"github.com/paved-dev/paved/supplychain/sbom"
)

// Status is a finding's status: affected unless a VEX statement says
// otherwise.
type Status string

// The statuses, as OpenVEX names them.
const (
	StatusAffected           Status = "affected"
	StatusNotAffected        Status = "not_affected"
	StatusFixed              Status = "fixed"
	StatusUnderInvestigation Status = "under_investigation"
)

// Finding is one vulnerability in one component: the records that name
// it merged into one, whatever their aliases.
type Finding struct {
	// ID is the vulnerability's primary ID: its CVE when any record or
	// alias names one, else the smallest ID.
	ID string `json:"id"`
	// Aliases are the other IDs of the merged records and their aliases.
	Aliases []string `json:"aliases,omitempty"`
	// Records are the IDs of the OSV records that matched.
	Records []string `json:"records"`
	// Summary is a one-line description.
	Summary string `json:"summary,omitempty"`
	// Component is the affected component (its ref, name, version, purl).
	Component sbom.Component `json:"component"`
	// Ecosystem and Package name the package as the OSV records do.
	Ecosystem string `json:"ecosystem"`
	Package   string `json:"package"`
	// FixedIn lists the versions that fix it, from the ranges that
	// contain the component's version, in the ecosystem's order; empty
	// when no fix is known.
	FixedIn []string `json:"fixedIn,omitempty"`
	// Severity is the most severe rating of the records.
	Severity SeverityScore `json:"severity"`
	// Published is the earliest publication of the records; zero if none.
	Published time.Time `json:"published,omitzero"`
	// FixBy is when the SLA for the rating runs out, counted from
	// Published (or the scan time when unknown); zero when the SLA has no
	// entry for the rating.
	FixBy time.Time `json:"fixBy,omitzero"`
	// Status is affected unless a VEX statement says otherwise.
	Status Status `json:"status"`
	// Suppressed is true when a VEX statement says not_affected or fixed:
	// the finding stays in the report, with the statement.
	Suppressed bool `json:"suppressed"`
	// VEX is the statement that set the status; nil when none applies.
	VEX *Statement `json:"vex,omitempty"`
}

// Statement is the OpenVEX statement that applied to a finding.
type Statement struct {
	// Document is the VEX document's @id.
	Document string `json:"document,omitempty"`
	// Vulnerability is the vulnerability name the statement gives.
	Vulnerability string `json:"vulnerability"`
	// Status, Justification, ImpactStatement and ActionStatement are the
	// statement's.
	Status          Status `json:"status"`
	Justification   string `json:"justification,omitempty"`
	ImpactStatement string `json:"impactStatement,omitempty"`
	ActionStatement string `json:"actionStatement,omitempty"`
	// Timestamp is the statement's time, or its document's.
	Timestamp time.Time `json:"timestamp,omitzero"`
}

// Skipped is a component that was not matched, and why.
type Skipped struct {
	// Component is the component.
	Component sbom.Component `json:"component"`
	// Reason says why: no purl, a purl type without an OSV ecosystem, a
	// version the ecosystem cannot parse.
	Reason string `json:"reason"`
}

// Report is the result of matching one SBOM.
type Report struct {
	// Subject names the SBOM: its root component's purl, else its name.
	Subject string `json:"subject"`
	// Scanned is when the match ran.
	Scanned time.Time `json:"scanned"`
	// Database is the latest modified time of the OSV records.
	Database time.Time `json:"database"`
	// Unindexed counts the records and affected entries the database could
	// not load or index (DB.Problems lists them): what this report cannot
	// have matched.
	Unindexed int `json:"unindexed"`
	// Components is how many components were looked up.
	Components int `json:"components"`
	// Findings lists every finding, suppressed ones included, sorted by
	// severity (most severe first), then ID and component.
	Findings []Finding `json:"findings"`
	// Skipped lists the components that could not be matched.
	Skipped []Skipped `json:"skipped,omitempty"`
}

// Active returns the findings no VEX statement suppresses.
func (r *Report) Active() []Finding {
	return slices.DeleteFunc(slices.Clone(r.Findings), func(f Finding) bool { return f.Suppressed })
}

// Option configures a Matcher.
type Option interface{ apply(*config) error }

type config struct {
	now func() time.Time
	sla SLA
	vex []*vex.VEX
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithClock sets the clock for the scan time; the default is time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) error {
		if now == nil {
			return errors.New("vuln: WithClock: nil clock")
		}
		c.now = now
		return nil
	})
}

// WithSLA sets the fix-by windows per rating; the default is DefaultSLA.
func WithSLA(sla SLA) Option {
	return optionFunc(func(c *config) error {
		for r, d := range sla {
			if d <= 0 {
				return fmt.Errorf("vuln: WithSLA: %s: window %v is not positive", r, d)
			}
		}
		c.sla = maps.Clone(sla)
		return nil
	})
}

// WithVEX applies OpenVEX documents to every match (see Matcher.Match);
// by default none.
func WithVEX(docs ...*vex.VEX) Option {
	return optionFunc(func(c *config) error {
		for i, d := range docs {
			if d == nil {
				return fmt.Errorf("vuln: WithVEX: document %d is nil", i)
			}
			for j := range d.Statements {
				if err := d.Statements[j].Validate(); err != nil {
					return fmt.Errorf("vuln: WithVEX: document %q statement %d: %w", d.ID, j, err)
				}
			}
		}
		c.vex = append(c.vex, docs...)
		return nil
	})
}

// Matcher matches SBOMs against an OSV database. It is safe for
// concurrent use.
type Matcher struct {
	db  *DB
	cfg config
}

// NewMatcher makes a matcher over db.
func NewMatcher(db *DB, opts ...Option) (*Matcher, error) {
	if db == nil {
		return nil, errors.New("vuln: NewMatcher: nil database")
	}
	cfg := config{now: time.Now, sla: DefaultSLA()}
	for _, o := range opts {
		if err := o.apply(&cfg); err != nil {
			return nil, err
		}
	}
	return &Matcher{db: db, cfg: cfg}, nil
}

// Match looks up every component of s, the root included, in the database:
// its OSV ecosystem and package from its purl (see PackageOf), its version
// against each record's explicit versions and SEMVER and ECOSYSTEM ranges in
// the ecosystem's ordering. Records naming the same vulnerability through
// their aliases become one finding. Each finding gets a severity, a fix-by
// date from the SLA, and the status of the latest VEX statement that names
// its vulnerability (by ID or any alias) and either the component's purl as
// product, or the SBOM's root purl as product with the component's purl
// among its subcomponents or with no subcomponents (the whole product).
// not_affected and fixed suppress the finding; it stays in the report with
// the statement. Components that cannot be matched are listed in Skipped
// with the reason.
func (m *Matcher) Match(s *sbom.SBOM) *Report {
	now := m.cfg.now()
	rep := &Report{Subject: s.Name, Scanned: now, Database: m.db.Modified(), Unindexed: len(m.db.Problems()), Components: len(s.Components), Findings: []Finding{}}
	root, hasRoot := s.Component(s.Root)
	if hasRoot && root.PURL != "" {
		rep.Subject = root.PURL
	}
	for _, c := range s.Components {
		eco, name, err := PackageOf(c)
		if err != nil {
			rep.Skipped = append(rep.Skipped, Skipped{Component: c, Reason: err.Error()})
			continue
		}
		if c.Version == "" {
			rep.Skipped = append(rep.Skipped, Skipped{Component: c, Reason: errNoVersion.Error()})
			continue
		}
		ms, err := m.db.lookup(eco, name, c.Version)
		if err != nil {
			rep.Skipped = append(rep.Skipped, Skipped{Component: c, Reason: err.Error()})
			continue
		}
		for _, g := range group(ms) {
			f := m.finding(g, c, eco, now, root.PURL)
			rep.Findings = append(rep.Findings, f)
		}
	}
	slices.SortFunc(rep.Findings, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity.Rating.rank(), a.Severity.Rating.rank()),
			cmp.Compare(b.Severity.Score, a.Severity.Score),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Component.Ref, b.Component.Ref),
		)
	})
	return rep
}

// finding makes the finding of one group of matches.
func (m *Matcher) finding(g []match, c sbom.Component, eco string, now time.Time, rootPURL string) Finding {
	id, aliases := ids(g)
	f := Finding{
		ID: id, Aliases: aliases, Summary: summary(g),
		Component: c, Ecosystem: eco, Package: g[0].entry.affected.Package.Name,
		Published: published(g), Status: StatusAffected,
	}
	for _, x := range g {
		f.Records = append(f.Records, x.record.ID)
		f.FixedIn = append(f.FixedIn, x.fixedIn...)
	}
	slices.Sort(f.Records)
	f.Records = slices.Compact(f.Records)
	slices.SortFunc(f.FixedIn, func(a, b string) int {
		if c, err := Compare(eco, a, b); err == nil {
			return c
		}
		return strings.Compare(a, b)
	})
	f.FixedIn = slices.Compact(f.FixedIn)
	sev := severityOf(g)
	f.Severity = sev
	if d, ok := m.cfg.sla[sev.Rating]; ok {
		from := f.Published
		if from.IsZero() {
			from = now
		}
		f.FixBy = from.Add(d)
	}
	if st := m.statement(append([]string{id}, aliases...), c.PURL, rootPURL); st != nil {
		f.VEX = st
		f.Status = st.Status
		f.Suppressed = st.Status == StatusNotAffected || st.Status == StatusFixed
	}
	return f
}

// statement returns the latest VEX statement for any of the IDs and the
// component, nil when none applies.
func (m *Matcher) statement(ids []string, purl, rootPURL string) *Statement {
	var best *Statement
	for _, doc := range m.cfg.vex {
		var docTime time.Time
		if doc.Timestamp != nil {
			docTime = *doc.Timestamp
		}
		for i := range doc.Statements {
			st := &doc.Statements[i]
			if !statementApplies(st, ids, purl, rootPURL) {
				continue
			}
			t := docTime
			if st.Timestamp != nil && !st.Timestamp.IsZero() {
				t = *st.Timestamp
			}
			if best != nil && t.Before(best.Timestamp) {
				continue
			}
			best = &Statement{
				Document:        doc.ID,
				Vulnerability:   string(st.Vulnerability.Name),
				Status:          Status(st.Status),
				Justification:   string(st.Justification),
				ImpactStatement: st.ImpactStatement,
				ActionStatement: st.ActionStatement,
				Timestamp:       t,
			}
		}
	}
	return best
}

// statementApplies reports whether st names one of ids and either the
// component itself, or the product (the SBOM's root) with the component
// among its subcomponents or without any subcomponents (a statement about
// the whole product).
func statementApplies(st *vex.Statement, ids []string, purl, rootPURL string) bool {
	for _, id := range ids {
		if st.Matches(id, purl, nil) {
			return true
		}
		if rootPURL != "" && st.Matches(id, rootPURL, []string{purl}) {
			return true
		}
	}
	return false
}
