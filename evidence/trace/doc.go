// Package trace answers "where did this come from, and what came of it?"
// from the evidence log: change traceability from commit to incident.
//
// [Trace] reads the evidence store and links what the records say:
// commits ([Commit]) to change records ([Change]) and to the pipeline
// steps ([Step], in-toto links) and builds ([Provenance], SLSA) that used
// them; steps and builds to the artifacts they produced ([Artifact], by
// digest); artifacts to their SBOMs ([SBOM]) and ledger releases
// ([Release]); releases to deployments ([Deployment]) and deployments to
// the incidents they caused ([Incident]). From any start node it returns
// a [Graph] of everything upstream and downstream of it, each node with
// the records that show it and each edge with the record that links it.
// Short commit IDs are merged into the full ones they abbreviate.
//
// The graph is a Go value, and is written as JSON ([Graph.WriteJSON]),
// Graphviz DOT ([Graph.WriteDOT]) or Mermaid ([Graph.WriteMermaid]).
//
// Trace reads every record's metadata once and the content of the records
// that link (not SBOM documents); bound it with [Since] on a large log.
// A Graph is a plain value; Trace keeps no state and is safe for
// concurrent use.
package trace
