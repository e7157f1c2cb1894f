package capability

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown renders the map for people: the programme and its owner, the
// owners, then each area with its controls (stages, enforcement, owner and
// how each is checked), then the exceptions, then the environments.
func (m *Map) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdText(m.Name))
	fmt.Fprintf(&b, "Programme owner: %s\n\n", m.ownerLabel(m.Owner))

	b.WriteString("## Owners\n\n")
	owners := mdTable{header: []string{"ID", "Name", "Kind", "Contact"}}
	for _, o := range m.Owners {
		owners.rows = append(owners.rows, []string{o.ID, o.Name, string(o.Kind), o.Contact})
	}
	owners.write(&b)

	for ai := range m.Areas {
		a := &m.Areas[ai]
		fmt.Fprintf(&b, "\n## %s (%s)\n\n", mdText(a.Title), a.ID)
		if a.Description != "" {
			fmt.Fprintf(&b, "%s\n\n", mdText(a.Description))
		}
		fmt.Fprintf(&b, "Owner: %s\n\n", m.ownerLabel(a.Owner))
		controls := mdTable{header: []string{"Control", "Title", "Capability", "Stages", "Enforcement", "Owner", "Checked by"}}
		for ci := range a.Capabilities {
			c := &a.Capabilities[ci]
			for ki := range c.Controls {
				l := Located{Area: a, Capability: c, Control: &c.Controls[ki]}
				controls.rows = append(controls.rows, []string{
					l.Control.ID, l.Control.Title, c.Title, stagesLabel(l.Control.Stages),
					string(l.Control.Enforcement), m.ownerLabel(l.OwnerID()), checkedBy(l.Control),
				})
			}
		}
		controls.write(&b)
	}

	if len(m.Exceptions) > 0 {
		b.WriteString("\n## Exceptions\n\n")
		ex := mdTable{header: []string{"ID", "Control", "Reason", "Requested by", "Approved by", "Expires"}}
		for _, e := range m.Exceptions {
			ex.rows = append(ex.rows, []string{e.ID, e.Control, e.Reason, e.RequestedBy, e.ApprovedBy, e.Expires.Format("2006-01-02")})
		}
		ex.write(&b)
	}
	if len(m.Environments) > 0 {
		b.WriteString("\n## Environments\n\n")
		envs := mdTable{header: []string{"Environment", "Tier", "Owner", "Deployers", "Approvers", "Required controls", "Promoted from"}}
		for _, e := range m.Environments {
			from := e.Promotion.From
			if from != "" && e.Promotion.Soak != 0 {
				from += " after " + e.Promotion.Soak.String() + " healthy"
			}
			envs.rows = append(envs.rows, []string{e.Name, string(e.Tier), m.ownerLabel(e.Owner),
				strings.Join(e.Deployers, ", "), strings.Join(e.Approvers, ", "), strings.Join(e.Controls, ", "), from})
		}
		envs.write(&b)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("capability: write map markdown: %w", err)
	}
	return nil
}

func (m *Map) ownerLabel(id string) string {
	if o, ok := m.OwnerByID(id); ok && o.Name != "" {
		return o.Name
	}
	return id
}

func stagesLabel(stages []Stage) string {
	if len(stages) == 0 {
		return "all"
	}
	parts := make([]string, len(stages))
	for i, s := range stages {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

// checkedBy says how a control is checked: manually, by a policy query,
// and by which evidence.
func checkedBy(c *Control) string {
	var parts []string
	if c.Manual {
		parts = append(parts, "manual review")
	}
	if c.Policy != "" {
		parts = append(parts, "policy "+c.Policy)
	}
	for _, e := range c.Evidence {
		parts = append(parts, e.PredicateType)
	}
	return strings.Join(parts, "; ")
}

// mdTable is a Markdown table whose cells are escaped when written.
type mdTable struct {
	header []string
	rows   [][]string
}

func (t mdTable) write(b *strings.Builder) {
	writeRow := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + mdText(c) + " |")
		}
		b.WriteString("\n")
	}
	writeRow(t.header)
	b.WriteString("|" + strings.Repeat(" --- |", len(t.header)) + "\n")
	for _, r := range t.rows {
		writeRow(r)
	}
}

// mdEscaper escapes text so that it cannot break out of a table cell or
// inject markup: pipes, backslashes, HTML and line breaks.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "<", "&lt;", ">", "&gt;", "\r\n", " ", "\n", " ", "\r", " ",
)

func mdText(s string) string { return mdEscaper.Replace(s) }
