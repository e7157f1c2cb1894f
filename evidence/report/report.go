package report

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Report is an assessment made readable: the assessment itself, the trend
// across earlier assessments of the same scope, and the approvals and
// exceptions behind it. It is a plain value, safe to read from several
// goroutines; build it with New.
type Report struct {
	// Title heads the report.
	Title string `json:"title"`
	// Assessment is the assessment reported.
	Assessment *capability.Assessment `json:"assessment"`
	// Trend holds one point per assessment, oldest first, the reported
	// one last.
	Trend []TrendPoint `json:"trend"`
	// Approvals lists the approval records among the assessment's
	// evidence.
	Approvals []Approval `json:"approvals"`
	// Exceptions lists the exceptions that waived a control or expire
	// soon.
	Exceptions []Exception `json:"exceptions"`
}

// TrendPoint is one assessment's place in the trend.
type TrendPoint struct {
	// ID and At identify the assessment.
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// Rate is its overall pass rate, 0 to 100; Counts its statuses.
	Rate   float64                   `json:"rate"`
	Counts map[capability.Status]int `json:"counts"`
}

// Approval is an approval record: who decided what about which change.
type Approval struct {
	// Record is the evidence record's ID; Index its place in the log.
	Record string `json:"record"`
	Index  uint64 `json:"index"`
	// Approver, Decision, ChangeID, Stage and DecidedAt are the
	// approval's.
	Approver  string    `json:"approver"`
	Decision  string    `json:"decision"`
	ChangeID  string    `json:"changeId"`
	Stage     string    `json:"stage,omitempty"`
	DecidedAt time.Time `json:"decidedAt"`
	// Signers names who signed the record.
	Signers []string `json:"signers,omitempty"`
}

// Exception is an exception as the report shows it.
type Exception struct {
	// ID, Control, Reason, RequestedBy, ApprovedBy and Expires are the
	// map's exception's.
	ID          string    `json:"id"`
	Control     string    `json:"control"`
	Reason      string    `json:"reason"`
	RequestedBy string    `json:"requestedBy"`
	ApprovedBy  string    `json:"approvedBy"`
	Expires     time.Time `json:"expires"`
	// Applied says it waived a control in the assessment; ExpiresSoon
	// that it is among the assessment's expiring exceptions.
	Applied     bool `json:"applied"`
	ExpiresSoon bool `json:"expiresSoon"`
}

// Option configures New.
type Option interface{ apply(*config) error }

type config struct {
	title   string
	history []*capability.Assessment
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithTitle sets the report's title; the default is "<programme>:
// <service> <release> in <environment>".
func WithTitle(title string) Option {
	return optionFunc(func(c *config) error {
		if strings.TrimSpace(title) == "" {
			return errors.New("WithTitle: empty title")
		}
		c.title = title
		return nil
	})
}

// WithHistory adds earlier assessments of the same scope, for the trend;
// the default is none. They are ordered by time.
func WithHistory(earlier ...*capability.Assessment) Option {
	return optionFunc(func(c *config) error {
		for i, a := range earlier {
			if a == nil {
				return fmt.Errorf("WithHistory: assessment %d is nil", i)
			}
		}
		c.history = append(c.history, earlier...)
		return nil
	})
}

// New builds the report of assessment a of map m. It reads the approval
// records among the assessment's evidence from store.
func New(ctx context.Context, store *evidence.Store, m *capability.Map, a *capability.Assessment, opts ...Option) (*Report, error) {
	var cfg config
	var errs []error
	for _, o := range opts {
		if err := o.apply(&cfg); err != nil {
			errs = append(errs, fmt.Errorf("report: new: %w", err))
		}
	}
	if store == nil || m == nil || a == nil {
		errs = append(errs, errors.New("report: new: nil store, map or assessment"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r := &Report{Title: cfg.title, Assessment: a, Trend: []TrendPoint{}, Approvals: []Approval{}, Exceptions: []Exception{}}
	if r.Title == "" {
		s := a.Scope
		r.Title = strings.TrimSpace(fmt.Sprintf("%s: %s %s", a.Programme, s.Service, s.Release))
		if s.Environment != "" {
			r.Title += " in " + s.Environment
		}
	}
	all := append(slices.Clone(cfg.history), a)
	slices.SortStableFunc(all, func(x, y *capability.Assessment) int { return x.At.Compare(y.At) })
	for _, h := range all {
		r.Trend = append(r.Trend, TrendPoint{ID: h.ID, At: h.At, Rate: h.Overall.Rate, Counts: h.Overall.Counts})
	}
	for _, ref := range a.Records {
		if ref.PredicateType != attest.PredicateApproval {
			continue
		}
		rec, err := store.Get(ctx, ref.ID)
		if err != nil {
			return nil, fmt.Errorf("report: new: approval %s: %w", ref.ID, err)
		}
		if rec.Envelope == nil {
			continue // pruned
		}
		var ap attest.Approval
		if err := decode(rec, &ap); err != nil {
			return nil, fmt.Errorf("report: new: approval %s: %w", ref.ID, err)
		}
		r.Approvals = append(r.Approvals, Approval{Record: rec.ID, Index: rec.Index, Approver: ap.Approver, Decision: ap.Decision,
			ChangeID: ap.ChangeID, Stage: ap.Stage, DecidedAt: ap.DecidedAt, Signers: ref.Signers})
	}
	applied := map[string]bool{}
	for _, c := range a.Controls {
		for _, x := range c.Exceptions {
			applied[x] = true
		}
	}
	soon := map[string]bool{}
	for _, x := range a.Expiring {
		soon[x.ID] = true
	}
	for _, x := range m.Exceptions {
		if applied[x.ID] || soon[x.ID] {
			r.Exceptions = append(r.Exceptions, Exception{ID: x.ID, Control: x.Control, Reason: x.Reason, RequestedBy: x.RequestedBy,
				ApprovedBy: x.ApprovedBy, Expires: x.Expires, Applied: applied[x.ID], ExpiresSoon: soon[x.ID]})
		}
	}
	return r, nil
}

// decode decodes a record's statement's predicate into p.
func decode(rec evidence.Record, p attest.Predicate) error {
	env, err := sign.ParseEnvelope(rec.Envelope)
	if err != nil {
		return err
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return err
	}
	st, err := attest.Parse(payload)
	if err != nil {
		return err
	}
	return st.Decode(p)
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	return nil
}

// statusOrder lists the statuses as reports show them, worst first.
var statusOrder = []capability.Status{
	capability.StatusFail, capability.StatusError, capability.StatusNoEvidence, capability.StatusWarn,
	capability.StatusWaived, capability.StatusPass, capability.StatusManual, capability.StatusNotApplicable,
}

// WriteMarkdown writes the report as Markdown: the summary, the score per
// area, the trend, each control with its evidence, the backlog, the
// exceptions and the approvals.
func (r *Report) WriteMarkdown(w io.Writer) error {
	a := r.Assessment
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", md(r.Title))
	fmt.Fprintf(&b, "Assessment %s at %s, policy set %s.\n\n", a.ID, a.At.Format(time.RFC3339), a.PolicyDigest)
	for _, s := range a.Scope.Subjects {
		for _, d := range s.Digest.Digests() {
			fmt.Fprintf(&b, "- Subject `%s` %s\n", md(s.Name), d)
		}
	}
	fmt.Fprintf(&b, "\nOverall: %s of %d judged controls pass (%s).\n\n", rate(a.Overall), a.Overall.Judged, counts(a.Overall.Counts))

	b.WriteString("## Areas\n\n")
	t := table{header: []string{"Area", "Controls", "Judged", "Pass rate", "Statuses"}}
	for _, ar := range a.Areas {
		t.add(ar.Title, fmt.Sprint(ar.Total), fmt.Sprint(ar.Judged), rate(ar.Score), counts(ar.Counts))
	}
	t.write(&b)

	if len(r.Trend) > 1 {
		b.WriteString("\n## Trend\n\n")
		t = table{header: []string{"Assessment", "At", "Pass rate"}}
		for _, p := range r.Trend {
			t.add(p.ID, p.At.Format(time.RFC3339), fmt.Sprintf("%.1f%%", p.Rate))
		}
		t.write(&b)
	}

	b.WriteString("\n## Controls\n\n")
	t = table{header: []string{"Control", "Title", "Status", "Owner", "Why", "Evidence"}}
	for _, c := range a.Controls {
		var ev []string
		for _, e := range c.Evidence {
			ev = append(ev, fmt.Sprintf("#%d %s", e.Index, short(e.ID)))
		}
		t.add(c.Control, c.Title, string(c.Status), c.Owner, c.Message, strings.Join(ev, ", "))
	}
	t.write(&b)

	b.WriteString("\n## Backlog\n\n")
	if err := a.Backlog.WriteMarkdown(&b); err != nil {
		return err
	}
	if len(r.Exceptions) > 0 {
		b.WriteString("\n## Exceptions\n\n")
		t = table{header: []string{"ID", "Control", "Reason", "Requested by", "Approved by", "Expires", "Applied", "Expires soon"}}
		for _, x := range r.Exceptions {
			t.add(x.ID, x.Control, x.Reason, x.RequestedBy, x.ApprovedBy, x.Expires.Format(time.DateOnly), yes(x.Applied), yes(x.ExpiresSoon))
		}
		t.write(&b)
	}
	if len(r.Approvals) > 0 {
		b.WriteString("\n## Approvals\n\n")
		t = table{header: []string{"Change", "Approver", "Decision", "Stage", "At", "Record"}}
		for _, ap := range r.Approvals {
			t.add(ap.ChangeID, ap.Approver, ap.Decision, ap.Stage, ap.DecidedAt.Format(time.RFC3339), fmt.Sprintf("#%d %s", ap.Index, short(ap.Record)))
		}
		t.write(&b)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("report: markdown: %w", err)
	}
	return nil
}

func rate(s capability.Score) string {
	if s.Judged == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", s.Rate)
}

func counts(c map[capability.Status]int) string {
	var parts []string
	for _, st := range statusOrder {
		if n := c[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	return strings.Join(parts, ", ")
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

// short abbreviates a record ID for tables: "sha256:" and 12 hex digits.
func short(id string) string {
	if len(id) > 19 {
		return id[:19]
	}
	return id
}

// table is a Markdown table.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t table) write(b *strings.Builder) {
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + cmp.Or(md(c), " ") + " |")
		}
		b.WriteString("\n")
	}
	line(t.header)
	sep := make([]string, len(t.header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range t.rows {
		line(r)
	}
}

// mdEscaper escapes what would break a Markdown table cell or start markup.
var mdEscaper = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`)

func md(s string) string { return mdEscaper.Replace(s) }
