package trace_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	linkv0 "github.com/in-toto/attestation/go/predicates/link/v0"
	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	ita "github.com/in-toto/attestation/go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/evidence/trace"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sign"
)

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

const commit = "3f2a9c1d4b5e6f708192a3b4c5d6e7f8091a2b3c"

type world struct {
	store  *evidence.Store
	signer *sign.Signer
	ledger *ledger.Ledger
	art    supplychain.Subject
	other  supplychain.Subject
	rec    map[string]evidence.Record
}

func digest(s string) supplychain.DigestSet {
	sum := sha256.Sum256([]byte(s))
	return supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}
}

func (w *world) record(t *testing.T, stage string, p attest.Predicate, subjects ...supplychain.Subject) evidence.Record {
	t.Helper()
	ctx := context.Background()
	st, err := attest.Build(p, subjects...)
	require.NoError(t, err)
	env, err := sign.Sign(ctx, w.signer, st)
	require.NoError(t, err)
	raw, err := json.Marshal(env)
	require.NoError(t, err)
	recs, err := w.store.Append(ctx, evidence.Entry{Envelope: raw, Stage: stage})
	require.NoError(t, err)
	return recs[0]
}

func provenance(builder string, commit string) attest.Provenance {
	return attest.NewProvenance(&slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{BuildType: "https://paved.dev/build/go/v1",
			ExternalParameters:   &structpb.Struct{Fields: map[string]*structpb.Value{"ref": structpb.NewStringValue("refs/heads/main")}},
			ResolvedDependencies: []*ita.ResourceDescriptor{{Uri: "git+https://example.com/shop", Digest: map[string]string{"gitCommit": commit}}}},
		RunDetails: &slsa.RunDetails{Builder: &slsa.Builder{Id: builder}},
	})
}

// newWorld records a change going from commit to incident through the
// pipeline and the ledger, plus an unrelated build.
func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	signer, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: signer.Verifier}}, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci"}}})
	require.NoError(t, err)
	backend, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "evidence.db"))
	require.NoError(t, err)
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(ctx) })
	l, err := ledger.New(store, signer, ledger.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	w := &world{store: store, signer: signer, ledger: l, rec: map[string]evidence.Record{},
		art:   supplychain.Subject{Name: "bin/shop", Digest: digest("shop 1.4.2")},
		other: supplychain.Subject{Name: "bin/cart", Digest: digest("cart 0.9")}}

	w.rec["change"] = w.record(t, "plan", attest.Change{ID: "PR-7", Title: "Add basket cache", Author: "alice@example.com", Owner: "shop",
		Risk: "low", Commit: commit[:7], CreatedAt: now.Add(-72 * time.Hour)},
		supplychain.Subject{Name: "example.com/shop", Digest: supplychain.DigestSet{"gitCommit": commit}})
	w.rec["step"] = w.record(t, "build", attest.NewLink(&linkv0.Link{Name: "compile", Command: []string{"go", "build"},
		Materials: []*ita.ResourceDescriptor{{Name: "source", Digest: map[string]string{"gitCommit": commit}}}}), w.art)
	w.rec["provenance"] = w.record(t, "build", provenance("https://ci.example.com/runner", commit), w.art)
	w.rec["unrelated"] = w.record(t, "build", provenance("https://ci.example.com/runner", strings.Repeat("9", 40)), w.other)

	sbomDoc, err := json.Marshal(map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
		"serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
		"components":   []map[string]any{{"type": "library", "bom-ref": "x", "name": "x", "version": "1.0.0", "purl": "pkg:golang/example.com/x@1.0.0"}}})
	require.NoError(t, err)
	w.rec["sbom"], err = l.RecordSBOM(ctx, sbomDoc, w.art)
	require.NoError(t, err)
	rel, err := l.RecordRelease(ctx, ledger.Release{Service: "shop", Version: "1.4.2", Commit: commit, ReleasedBy: "release-bot",
		SBOMs: []string{w.rec["sbom"].ID}, Provenance: []string{w.rec["provenance"].ID}, Artifacts: []supplychain.Subject{w.art}})
	require.NoError(t, err)
	w.rec["release"], err = store.Get(ctx, rel.RecordID)
	require.NoError(t, err)
	w.rec["deployment"], err = l.RecordDeployment(ctx, attest.Deployment{ID: "D-1", Service: "shop", Environment: "prod", Version: "1.4.2",
		Deployer: "deploy-bot", Kind: "normal", Outcome: "succeeded", Changes: []string{"PR-7"}, StartedAt: now.Add(-time.Hour), FinishedAt: now.Add(-time.Hour)})
	require.NoError(t, err)
	w.rec["incident"] = w.record(t, "operate", attest.Incident{ID: "INC-9", Service: "shop", Environment: "prod", Severity: "sev2",
		Owner: "sre", CausedBy: "D-1", DetectedAt: now}, w.art)
	return w
}

func TestTraceFromCommitToIncident(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	art := trace.ArtifactID(w.art.Digest)
	all := []trace.NodeID{
		trace.ID(trace.Commit, commit), trace.ID(trace.Change, "PR-7"), trace.ID(trace.Step, w.rec["step"].ID),
		trace.ID(trace.Provenance, w.rec["provenance"].ID), art, trace.ID(trace.SBOM, w.rec["sbom"].ID),
		trace.ID(trace.Release, "shop@1.4.2"), trace.ID(trace.Deployment, "D-1"), trace.ID(trace.Incident, "INC-9"),
	}

	// From the incident, back to the commit.
	g, err := trace.Trace(ctx, w.store, trace.ID(trace.Incident, "INC-9"))
	require.NoError(t, err)
	assert.Equal(t, all, ids(g), "every kind, in order from source to production; the unrelated build is not there")
	assert.Contains(t, g.Edges, trace.Edge{From: trace.ID(trace.Deployment, "D-1"), To: trace.ID(trace.Incident, "INC-9"), Relation: "caused", Record: w.rec["incident"].ID})
	assert.Contains(t, g.Edges, trace.Edge{From: trace.ID(trace.Commit, commit), To: trace.ID(trace.Change, "PR-7"), Relation: "changed", Record: w.rec["change"].ID},
		"the change's short commit ID is merged into the full one")
	assert.Contains(t, g.Upstream(trace.ID(trace.Incident, "INC-9")), trace.ID(trace.Commit, commit))

	// From the commit, forward to the incident.
	g, err = trace.Trace(ctx, w.store, trace.ID(trace.Commit, commit[:7]))
	require.NoError(t, err)
	assert.Equal(t, trace.ID(trace.Commit, commit), g.Start)
	assert.Contains(t, g.Downstream(g.Start), trace.ID(trace.Incident, "INC-9"))
	assert.Contains(t, g.Downstream(g.Start), trace.ID(trace.Deployment, "D-1"))

	// From the artifact, both ways.
	g, err = trace.Trace(ctx, w.store, art)
	require.NoError(t, err)
	assert.Equal(t, all, ids(g))
	n, ok := g.Node(art)
	require.True(t, ok)
	assert.Equal(t, "bin/shop", n.Label)
	assert.Contains(t, n.Records, w.rec["provenance"].ID)
	up := g.Upstream(art)
	assert.Contains(t, up, trace.ID(trace.Step, w.rec["step"].ID))
	assert.NotContains(t, up, trace.ID(trace.Release, "shop@1.4.2"))

	_, err = trace.Trace(ctx, w.store, trace.ID(trace.Incident, "INC-404"))
	assert.ErrorIs(t, err, trace.ErrNotTraced)
	_, err = trace.Trace(ctx, w.store, art, trace.Since(time.Now().Add(time.Hour)))
	assert.ErrorIs(t, err, trace.ErrNotTraced, "nothing recorded since")
}

func ids(g *trace.Graph) []trace.NodeID {
	var out []trace.NodeID
	for _, n := range g.Nodes {
		out = append(out, n.ID)
	}
	return out
}

func TestTraceOutputs(t *testing.T) {
	w := newWorld(t)
	g, err := trace.Trace(context.Background(), w.store, trace.ID(trace.Release, "shop@1.4.2"))
	require.NoError(t, err)

	var js bytes.Buffer
	require.NoError(t, g.WriteJSON(&js))
	var back trace.Graph
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, g.Start, back.Start)
	assert.Len(t, back.Edges, len(g.Edges))

	var dot bytes.Buffer
	require.NoError(t, g.WriteDOT(&dot))
	d := dot.String()
	assert.True(t, strings.HasPrefix(d, "digraph trace {\n"))
	assert.Contains(t, d, `"deployment:D-1" -> "incident:INC-9" [label="caused"];`)
	assert.Contains(t, d, `"release:shop@1.4.2" [label="release\nshop@1.4.2", shape=tab, style=bold];`)
	assert.Equal(t, len(g.Edges), strings.Count(d, " -> "))

	var mm bytes.Buffer
	require.NoError(t, g.WriteMermaid(&mm))
	m := mm.String()
	assert.True(t, strings.HasPrefix(m, "flowchart LR\n"))
	assert.Equal(t, len(g.Edges), strings.Count(m, " -->|"))
	assert.Contains(t, m, `["incident: sev2 shop in prod"]`)
	assert.Contains(t, m, "stroke-width:3px")
}
