package trace

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteJSON writes the graph as indented JSON.
func (g *Graph) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		return fmt.Errorf("trace: json: %w", err)
	}
	return nil
}

// WriteDOT writes the graph in Graphviz DOT, left to right from source to
// production, one shape per kind; the start node is bold.
func (g *Graph) WriteDOT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("digraph trace {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n")
	for _, n := range g.Nodes {
		attrs := fmt.Sprintf("label=%s, shape=%s", strconv.Quote(string(n.Kind)+"\n"+n.Label), shapes[n.Kind])
		if n.ID == g.Start {
			attrs += ", style=bold"
		}
		fmt.Fprintf(&b, "  %s [%s];\n", strconv.Quote(string(n.ID)), attrs)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", strconv.Quote(string(e.From)), strconv.Quote(string(e.To)), strconv.Quote(e.Relation))
	}
	b.WriteString("}\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("trace: dot: %w", err)
	}
	return nil
}

var shapes = map[Kind]string{
	Commit: "ellipse", Change: "note", Step: "box", Provenance: "box", Artifact: "box3d",
	SBOM: "folder", Release: "tab", Deployment: "cds", Incident: "octagon",
}

// WriteMermaid writes the graph as a Mermaid flowchart, left to right.
// Node IDs are n0, n1, ... in the graph's order; labels are quoted, with
// quotes and angle brackets escaped as entities.
func (g *Graph) WriteMermaid(w io.Writer) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[NodeID]string{}
	for i, n := range g.Nodes {
		ids[n.ID] = "n" + strconv.Itoa(i)
		fmt.Fprintf(&b, "  %s[\"%s: %s\"]\n", ids[n.ID], n.Kind, mermaidText(n.Label))
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "  %s -->|%s| %s\n", ids[e.From], mermaidText(e.Relation), ids[e.To])
	}
	if id, ok := ids[g.Start]; ok {
		fmt.Fprintf(&b, "  style %s stroke-width:3px\n", id)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("trace: mermaid: %w", err)
	}
	return nil
}

var mermaidEscaper = strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "|", "#124;", "\n", " ")

func mermaidText(s string) string { return mermaidEscaper.Replace(s) }
