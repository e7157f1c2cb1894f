package paved_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/step"
)

// The first step with paved: the built-in capability map, its guardrails and
// the gaps still open.
func Example() {
	m := capability.Default()
	if err := m.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	s := m.Summarize()
	fmt.Printf("%d areas, %d controls (%d mandatory)\n", s.Areas, s.Controls, s.Mandatory)

	backlog := m.Backlog(map[string]capability.Status{"DSO-BLD-04": capability.StatusPass})
	fmt.Printf("%d gaps; the first is %s, owned by %s\n", len(backlog), backlog[0].Control, backlog[0].OwnerName)
	// Output:
	// 8 areas, 56 controls (35 mandatory)
	// 55 gaps; the first is DSO-GOV-01, owned by Head of DevSecOps
}

// A tool builder gets from nothing to a gated, evidence-recording pipeline
// in about ten lines: Open wires the map, a SQLite store, keys and the
// policy engine under a directory; the runner records the step as signed
// evidence and gates the stage. A build with no provenance, SBOM or scans
// is blocked, and the decision is evidence too.
func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "paved")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "app"), []byte("binary"), 0o644); err != nil {
		fmt.Println(err)
		return
	}

	prog, err := paved.Open(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close(ctx)
	p, err := pipeline.New("hello", pipeline.In(pipeline.Build, step.Command{Args: []string{"true"}, Products: []string{"app"}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	run, err := prog.Runner().Run(ctx, p, pipeline.InDir(dir))
	fmt.Println(run.Outcome, errors.Is(err, pipeline.ErrBlocked))
	for _, c := range run.Gates[0].Decision.Controls[:2] {
		fmt.Printf("%s %s: %s\n", c.Control, c.Status, c.Message)
	}

	size, err := prog.Store().Size(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("records:", size)
	// Output:
	// blocked true
	// DSO-BLD-01 error: missing evidence: none of https://slsa.dev/provenance/v1
	// DSO-BLD-02 error: missing evidence: none of https://paved.dev/attestation/secret-scan/v1
	// records: 3
}
