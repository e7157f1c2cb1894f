package capability

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Status is a control's state in an assessment.
type Status string

// The statuses a control can have.
const (
	StatusPass          Status = "pass"
	StatusFail          Status = "fail"
	StatusWaived        Status = "waived"
	StatusWarn          Status = "warn"
	StatusManual        Status = "manual"
	StatusNotApplicable Status = "not_applicable"
	StatusError         Status = "error"
	StatusNoEvidence    Status = "no_evidence"
)

// gapRank orders the statuses that make a control a gap, most urgent first;
// statuses absent from it are not gaps.
var gapRank = map[Status]int{
	StatusFail:       0,
	StatusError:      1,
	StatusNoEvidence: 2,
	StatusWarn:       3,
	StatusWaived:     4,
}

// IsGap reports whether a control with this status belongs in the backlog:
// it failed, errored, has no evidence, warned, or passes only under an
// exception.
func (s Status) IsGap() bool {
	_, ok := gapRank[s]
	return ok
}

// BacklogItem is a control that needs work, with who owns the work.
type BacklogItem struct {
	// Control and Title identify the control.
	Control string `json:"control"`
	Title   string `json:"title"`
	// Area and Capability say where the control sits in the map.
	Area       AreaID `json:"area"`
	Capability string `json:"capability"`
	// Enforcement says whether the gap blocks delivery.
	Enforcement Enforcement `json:"enforcement"`
	// Status is why the control is a gap.
	Status Status `json:"status"`
	// Work classifies the work: platform, security or delivery.
	Work WorkKind `json:"work"`
	// Owner is the effective owner's ID; OwnerName and Contact say who that
	// is and how to reach them.
	Owner     string `json:"owner"`
	OwnerName string `json:"owner_name"`
	Contact   string `json:"contact"`
}

// Backlog is a list of gaps, most urgent first.
type Backlog []BacklogItem

// Backlog returns the controls that are gaps, given each control's status:
// a control missing from statuses has no evidence. Items are ordered
// mandatory before advisory, then fail, error, no evidence, warn and waived,
// then in map order.
func (m *Map) Backlog(statuses map[string]Status) Backlog {
	var b Backlog
	order := map[string]int{}
	for l := range m.Controls() {
		st, ok := statuses[l.Control.ID]
		if !ok {
			st = StatusNoEvidence
		}
		if !st.IsGap() {
			continue
		}
		owner, _ := m.OwnerByID(l.OwnerID())
		order[l.Control.ID] = len(order)
		b = append(b, BacklogItem{
			Control:     l.Control.ID,
			Title:       l.Control.Title,
			Area:        l.Area.ID,
			Capability:  l.Capability.ID,
			Enforcement: l.Control.Enforcement,
			Status:      st,
			Work:        l.Work(),
			Owner:       l.OwnerID(),
			OwnerName:   owner.Name,
			Contact:     owner.Contact,
		})
	}
	slices.SortStableFunc(b, func(x, y BacklogItem) int {
		return cmp.Or(
			cmp.Compare(enforcementRank(x.Enforcement), enforcementRank(y.Enforcement)),
			cmp.Compare(gapRank[x.Status], gapRank[y.Status]),
			cmp.Compare(order[x.Control], order[y.Control]),
		)
	})
	return b
}

func enforcementRank(e Enforcement) int {
	if e == Mandatory {
		return 0
	}
	return 1
}

// WriteJSON writes the backlog as an indented JSON array.
func (b Backlog) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if b == nil {
		b = Backlog{}
	}
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("capability: write backlog json: %w", err)
	}
	return nil
}

// backlogColumns are the CSV header and Markdown table columns.
var backlogColumns = []string{"control", "title", "area", "capability", "enforcement", "status", "work", "owner", "owner_name", "contact"}

func (it BacklogItem) row() []string {
	return []string{it.Control, it.Title, string(it.Area), it.Capability, string(it.Enforcement), string(it.Status), string(it.Work), it.Owner, it.OwnerName, it.Contact}
}

// WriteCSV writes the backlog as CSV with a header row. Cells that a
// spreadsheet would run as a formula (starting with =, +, -, @, tab or
// carriage return) are prefixed with a single quote.
func (b Backlog) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(backlogColumns)
	for _, it := range b {
		row := it.row()
		for i, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				row[i] = "'" + cell
			}
		}
		_ = cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("capability: write backlog csv: %w", err)
	}
	return nil
}

// WriteMarkdown writes the backlog as a Markdown table.
func (b Backlog) WriteMarkdown(w io.Writer) error {
	t := mdTable{header: []string{"Control", "Title", "Area", "Enforcement", "Status", "Work", "Owner"}}
	for _, it := range b {
		owner := it.Owner
		if it.OwnerName != "" {
			owner = it.OwnerName
		}
		t.rows = append(t.rows, []string{it.Control, it.Title, string(it.Area), string(it.Enforcement), string(it.Status), string(it.Work), owner})
	}
	var sb strings.Builder
	if len(b) == 0 {
		sb.WriteString("No gaps.\n")
	} else {
		t.write(&sb)
	}
	if _, err := io.WriteString(w, sb.String()); err != nil {
		return fmt.Errorf("capability: write backlog markdown: %w", err)
	}
	return nil
}
