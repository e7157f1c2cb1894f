package trace_test

import (
	"context"
	"fmt"
	"os"

	"github.com/paved-dev/paved/capability/capabilitytest"
	"github.com/paved-dev/paved/evidence/trace"
)

// Trace an artifact back to its commits and change, as a Mermaid
// flowchart.
func ExampleTrace() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "trace")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	s, err := capabilitytest.Open(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Store.Close(ctx)

	g, err := trace.Trace(ctx, s.Store, trace.ArtifactID(capabilitytest.Artifact().Digest))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := g.WriteMermaid(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// flowchart LR
	//   n0["commit: 1111111111111111111111111111111111111111"]
	//   n1["commit: 3f2a9c1"]
	//   n2["change: Add basket cache"]
	//   n3["provenance: built by https://ci.example.com/runner"]
	//   n4["artifact: bin/shop"]
	//   n2 -->|changed| n4
	//   n0 -->|built from| n3
	//   n1 -->|changed| n2
	//   n3 -->|built| n4
	//   style n4 stroke-width:3px
}
