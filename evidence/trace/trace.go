package trace

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sign"
)

// ErrNotTraced: the start node is in no recorded evidence.
var ErrNotTraced = errors.New("trace: nothing recorded about the start")

// Kind is what a node stands for.
type Kind string

// The kinds of node, from source to production.
const (
	Commit     Kind = "commit"
	Change     Kind = "change"
	Step       Kind = "step"
	Provenance Kind = "provenance"
	Artifact   Kind = "artifact"
	SBOM       Kind = "sbom"
	Release    Kind = "release"
	Deployment Kind = "deployment"
	Incident   Kind = "incident"
)

// NodeID identifies a node: "<kind>:<key>", such as "commit:3f2a9c1...",
// "change:PR-7", "artifact:sha256:<hex>", "release:shop@1.4.2",
// "deployment:D-7", "incident:INC-9", or for a step, a provenance or an
// SBOM "<kind>:<record ID>".
type NodeID string

// ID returns the node ID of a kind and key.
func ID(k Kind, key string) NodeID { return NodeID(string(k) + ":" + key) }

// Kind returns the node's kind.
func (id NodeID) Kind() Kind { k, _, _ := strings.Cut(string(id), ":"); return Kind(k) }

// Node is one thing in the trace.
type Node struct {
	// ID identifies the node; Kind is its kind.
	ID   NodeID `json:"id"`
	Kind Kind   `json:"kind"`
	// Label is a short human description.
	Label string `json:"label"`
	// Records lists the IDs of the evidence records that show the node.
	Records []string `json:"records,omitempty"`
	// At is when the node happened (created, built, released, deployed,
	// detected), when known.
	At time.Time `json:"at,omitzero"`
}

// Edge links an upstream node to a downstream one.
type Edge struct {
	From NodeID `json:"from"`
	To   NodeID `json:"to"`
	// Relation says how, such as "built", "deployed" or "caused".
	Relation string `json:"relation"`
	// Record is the evidence record that shows the link.
	Record string `json:"record"`
}

// Graph is the traced part of the evidence: every node upstream of the
// start (what it came from) and downstream of it (what came of it), and
// the edges between them. Nodes are sorted by kind (source first) and ID;
// edges by their ends. A Graph is a plain value.
type Graph struct {
	Start NodeID `json:"start"`
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Option configures Trace.
type Option interface{ apply(*config) error }

type config struct{ since time.Time }

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// Since reads only the evidence recorded at or after t; the default is the
// whole log.
func Since(t time.Time) Option {
	return optionFunc(func(c *config) error {
		if t.IsZero() {
			return errors.New("Since: zero time")
		}
		c.since = t
		return nil
	})
}

// Trace builds the change-traceability graph around start from the
// evidence in store: commits, change records, pipeline steps (in-toto
// links), SLSA provenance, artifacts, SBOMs, ledger releases, deployments
// and incidents, linked by what the records say (a change's commits, the
// subjects a step or build produced, the artifacts a release ships and
// the SBOMs and provenance it refers to, the release a deployment
// deploys, the deployment an incident was caused by), and returns the
// nodes upstream and downstream of start. It reads every record's
// metadata once and the content of the records that link (not SBOMs).
// A start no record mentions fails with ErrNotTraced.
func Trace(ctx context.Context, store *evidence.Store, start NodeID, opts ...Option) (*Graph, error) {
	var cfg config
	for _, o := range opts {
		if err := o.apply(&cfg); err != nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
	}
	b := &builder{nodes: map[NodeID]*Node{}, edges: map[Edge]bool{}}
	q := evidence.Query{Since: cfg.since, Limit: evidence.MaxQueryLimit}
	for r, err := range store.QueryAll(ctx, q) {
		if err != nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
		if err := b.add(ctx, store, r); err != nil {
			return nil, fmt.Errorf("trace: record %d: %w", r.Index, err)
		}
	}
	b.unifyCommits()
	b.linkChanges()
	start = b.canonical(start)
	if _, ok := b.nodes[start]; !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotTraced, start)
	}
	return b.component(start), nil
}

// builder accumulates the whole graph of the log.
type builder struct {
	nodes map[NodeID]*Node
	edges map[Edge]bool
	alias map[NodeID]NodeID // short commit IDs to full ones
}

func (b *builder) node(id NodeID, label, record string, at time.Time) {
	n := b.nodes[id]
	if n == nil {
		n = &Node{ID: id, Kind: id.Kind(), Label: label}
		b.nodes[id] = n
	}
	if n.Label == "" || (label != "" && n.Kind != Artifact && n.Kind != Commit) {
		n.Label = cmp.Or(label, n.Label)
	}
	if record != "" && !slices.Contains(n.Records, record) {
		n.Records = append(n.Records, record)
	}
	if n.At.IsZero() {
		n.At = at
	}
}

func (b *builder) edge(from, to NodeID, relation, record string) {
	if from != to {
		b.edges[Edge{From: from, To: to, Relation: relation, Record: record}] = true
	}
}

// subjectNode adds a statement subject as an artifact, or as a commit when
// its digest is a git commit.
func (b *builder) subjectNode(s supplychain.Subject, record string) NodeID {
	if c := s.Digest["gitCommit"]; c != "" {
		id := ID(Commit, c)
		b.node(id, c, record, time.Time{})
		return id
	}
	id := ArtifactID(s.Digest)
	b.node(id, s.Name, record, time.Time{})
	return id
}

// ArtifactID names an artifact node by its sha256 digest, else its first
// digest in sorted order.
func ArtifactID(d supplychain.DigestSet) NodeID {
	if h := d["sha256"]; h != "" {
		return ID(Artifact, "sha256:"+h)
	}
	ds := d.Digests()
	if len(ds) == 0 {
		return ID(Artifact, "unknown")
	}
	return ID(Artifact, ds[0].String())
}

func (b *builder) add(ctx context.Context, store *evidence.Store, r evidence.Record) error {
	switch typ := r.PredicateType; {
	case typ == attest.PredicateChange, typ == attest.PredicateLink, typ == attest.PredicateSLSAProvenance,
		typ == ledger.PredicateRelease, typ == attest.PredicateDeployment, typ == attest.PredicateIncident:
	case strings.HasPrefix(typ, "https://cyclonedx.org/bom"), strings.HasPrefix(typ, "https://spdx.dev/Document"):
		id := ID(SBOM, r.ID)
		b.node(id, "SBOM", r.ID, r.RecordedAt)
		for _, s := range r.Subjects {
			b.edge(b.subjectNode(s, r.ID), id, "described", r.ID)
		}
		return nil
	default:
		return nil
	}
	full, err := store.Get(ctx, r.ID)
	if err != nil {
		return err
	}
	if full.Envelope == nil {
		return nil // pruned: its content is gone
	}
	st, err := statement(full)
	if err != nil {
		return err
	}
	switch r.PredicateType {
	case attest.PredicateChange:
		var c attest.Change
		if err := st.Decode(&c); err != nil {
			return err
		}
		id := ID(Change, c.ID)
		b.node(id, c.Title, r.ID, c.CreatedAt)
		for _, commit := range append([]string{c.Commit}, c.Commits...) {
			if commit != "" {
				b.node(ID(Commit, commit), commit, r.ID, time.Time{})
				b.edge(ID(Commit, commit), id, "changed", r.ID)
			}
		}
		for _, s := range r.Subjects {
			if s.Digest["gitCommit"] == "" {
				b.edge(id, b.subjectNode(s, r.ID), "changed", r.ID)
			}
		}
	case attest.PredicateLink:
		var l attest.Link
		if err := st.Decode(&l); err != nil {
			return err
		}
		id := ID(Step, r.ID)
		b.node(id, cmp.Or(r.Stage+" ", "")+l.Message().GetName(), r.ID, r.RecordedAt)
		for _, m := range l.Message().GetMaterials() {
			if c := m.GetDigest()["gitCommit"]; c != "" {
				b.node(ID(Commit, c), c, r.ID, time.Time{})
				b.edge(ID(Commit, c), id, "input", r.ID)
			}
		}
		for _, s := range r.Subjects {
			b.edge(id, b.subjectNode(s, r.ID), "produced", r.ID)
		}
	case attest.PredicateSLSAProvenance:
		var p attest.Provenance
		if err := st.Decode(&p); err != nil {
			return err
		}
		id := ID(Provenance, r.ID)
		b.node(id, "built by "+p.Message().GetRunDetails().GetBuilder().GetId(), r.ID, r.RecordedAt)
		for _, d := range p.Message().GetBuildDefinition().GetResolvedDependencies() {
			if c := d.GetDigest()["gitCommit"]; c != "" {
				b.node(ID(Commit, c), c, r.ID, time.Time{})
				b.edge(ID(Commit, c), id, "built from", r.ID)
			}
		}
		for _, s := range r.Subjects {
			b.edge(id, b.subjectNode(s, r.ID), "built", r.ID)
		}
	case ledger.PredicateRelease:
		var rel ledger.Release
		if err := st.Decode(&rel); err != nil {
			return err
		}
		id := ID(Release, rel.ID())
		b.node(id, rel.ID(), r.ID, rel.ReleasedAt)
		if rel.Commit != "" {
			b.node(ID(Commit, rel.Commit), rel.Commit, r.ID, time.Time{})
			b.edge(ID(Commit, rel.Commit), id, "released", r.ID)
		}
		for _, s := range r.Subjects {
			b.edge(b.subjectNode(s, r.ID), id, "released", r.ID)
		}
		for _, sb := range rel.SBOMs {
			b.edge(ID(SBOM, sb), id, "included", r.ID)
		}
		for _, pv := range rel.Provenance {
			b.edge(ID(Provenance, pv), id, "included", r.ID)
		}
	case attest.PredicateDeployment:
		var d attest.Deployment
		if err := st.Decode(&d); err != nil {
			return err
		}
		id := ID(Deployment, d.ID)
		b.node(id, fmt.Sprintf("%s %s to %s (%s)", d.Service, d.Version, d.Environment, d.Outcome), r.ID, d.StartedAt)
		b.edge(ID(Release, d.Service+"@"+d.Version), id, "deployed", r.ID)
		for _, c := range d.Changes {
			b.edge(ID(Change, c), id, "deployed", r.ID)
		}
	case attest.PredicateIncident:
		var in attest.Incident
		if err := st.Decode(&in); err != nil {
			return err
		}
		id := ID(Incident, in.ID)
		b.node(id, fmt.Sprintf("%s %s in %s", in.Severity, in.Service, in.Environment), r.ID, in.DetectedAt)
		if in.CausedBy != "" {
			b.edge(ID(Deployment, in.CausedBy), id, "caused", r.ID)
		} else {
			for _, s := range r.Subjects {
				b.edge(b.subjectNode(s, r.ID), id, "affected", r.ID)
			}
		}
	}
	return nil
}

func statement(r evidence.Record) (*attest.Statement, error) {
	env, err := sign.ParseEnvelope(r.Envelope)
	if err != nil {
		return nil, err
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, err
	}
	return attest.Parse(payload)
}

// unifyCommits merges a short commit ID (7 or more hex digits) into the
// one full ID it abbreviates.
func (b *builder) unifyCommits() {
	b.alias = map[NodeID]NodeID{}
	var commits []NodeID
	for id := range b.nodes {
		if id.Kind() == Commit {
			commits = append(commits, id)
		}
	}
	for _, short := range commits {
		key := strings.TrimPrefix(string(short), "commit:")
		if len(key) < 7 {
			continue
		}
		var full []NodeID
		for _, c := range commits {
			if c != short && strings.HasPrefix(string(c), string(short)) {
				full = append(full, c)
			}
		}
		if len(full) == 1 {
			b.alias[short] = full[0]
		}
	}
	for short, full := range b.alias {
		n, f := b.nodes[short], b.nodes[full]
		for _, r := range n.Records {
			if !slices.Contains(f.Records, r) {
				f.Records = append(f.Records, r)
			}
		}
		delete(b.nodes, short)
	}
	edges := make(map[Edge]bool, len(b.edges))
	for e := range b.edges {
		e.From, e.To = b.canonical(e.From), b.canonical(e.To)
		edges[e] = true
	}
	b.edges = edges
}

// linkChanges links each change to the steps and builds that used one of
// its commits: commit -> change -> build, as a change flows.
func (b *builder) linkChanges() {
	changes := map[NodeID][]Edge{} // commit -> its "changed" edges to changes
	for e := range b.edges {
		if e.From.Kind() == Commit && e.To.Kind() == Change {
			changes[e.From] = append(changes[e.From], e)
		}
	}
	for e := range b.edges {
		if e.From.Kind() != Commit || (e.To.Kind() != Step && e.To.Kind() != Provenance) {
			continue
		}
		for _, c := range changes[e.From] {
			b.edge(c.To, e.To, "built", e.Record)
		}
	}
}

func (b *builder) canonical(id NodeID) NodeID {
	if full, ok := b.alias[id]; ok {
		return full
	}
	return id
}

// component returns the nodes upstream and downstream of start, and the
// edges among them. Edges to nodes no record shows (a release whose
// record is missing) are dropped.
func (b *builder) component(start NodeID) *Graph {
	down, up := map[NodeID][]NodeID{}, map[NodeID][]NodeID{}
	for e := range b.edges {
		if b.nodes[e.From] == nil || b.nodes[e.To] == nil {
			continue
		}
		down[e.From] = append(down[e.From], e.To)
		up[e.To] = append(up[e.To], e.From)
	}
	keep := map[NodeID]bool{start: true}
	for _, adj := range []map[NodeID][]NodeID{down, up} {
		queue := []NodeID{start}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			for _, m := range adj[n] {
				if !keep[m] {
					keep[m] = true
					queue = append(queue, m)
				}
			}
		}
	}
	g := &Graph{Start: start, Nodes: []Node{}, Edges: []Edge{}}
	for id := range keep {
		n := *b.nodes[id]
		slices.Sort(n.Records)
		g.Nodes = append(g.Nodes, n)
	}
	for e := range b.edges {
		if keep[e.From] && keep[e.To] {
			g.Edges = append(g.Edges, e)
		}
	}
	slices.SortFunc(g.Nodes, func(x, y Node) int {
		return cmp.Or(cmp.Compare(kindRank(x.Kind), kindRank(y.Kind)), strings.Compare(string(x.ID), string(y.ID)))
	})
	slices.SortFunc(g.Edges, func(x, y Edge) int {
		return cmp.Or(strings.Compare(string(x.From), string(y.From)), strings.Compare(string(x.To), string(y.To)),
			strings.Compare(x.Relation, y.Relation), strings.Compare(x.Record, y.Record))
	})
	return g
}

var kinds = []Kind{Commit, Change, Step, Provenance, Artifact, SBOM, Release, Deployment, Incident}

func kindRank(k Kind) int { return slices.Index(kinds, k) }

// Node returns the node with the given ID, and false if the graph has
// none.
func (g *Graph) Node(id NodeID) (Node, bool) {
	for _, n := range g.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}

// Upstream returns the IDs of the nodes from which id is reached, sorted.
func (g *Graph) Upstream(id NodeID) []NodeID {
	return g.reach(id, func(e Edge) (NodeID, NodeID) { return e.To, e.From })
}

// Downstream returns the IDs of the nodes reached from id, sorted.
func (g *Graph) Downstream(id NodeID) []NodeID {
	return g.reach(id, func(e Edge) (NodeID, NodeID) { return e.From, e.To })
}

func (g *Graph) reach(id NodeID, dir func(Edge) (NodeID, NodeID)) []NodeID {
	seen := map[NodeID]bool{id: true}
	queue := []NodeID{id}
	var out []NodeID
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range g.Edges {
			if from, to := dir(e); from == n && !seen[to] {
				seen[to] = true
				out = append(out, to)
				queue = append(queue, to)
			}
		}
	}
	slices.Sort(out)
	return out
}
