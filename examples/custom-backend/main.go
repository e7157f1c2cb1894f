//go:build unix

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

func main() {
	dir := flag.String("dir", ".paved-jsonl", "the directory of the log file and paved's keys")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "custom-backend:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	backend, err := OpenJSONL(filepath.Join(dir, "evidence.jsonl"))
	if err != nil {
		return err
	}
	prog, err := paved.Open(ctx, dir, paved.WithBackend(backend)) // the Program owns the backend now
	if err != nil {
		return err
	}
	defer prog.Close(ctx)

	// Record something: a release manager's signed approval of an artifact.
	artifact, err := supplychain.DigestReader(strings.NewReader("app binary v1.4.0"))
	if err != nil {
		return err
	}
	st, err := attest.Build(attest.Approval{Approver: "rm@example.com", Decision: "approved", ChangeID: "PR-42", DecidedAt: time.Now()},
		supplychain.Subject{Name: "app", Digest: artifact})
	if err != nil {
		return err
	}
	env, err := sign.Sign(ctx, prog.Signer(), st)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return err
	}
	recs, err := prog.Store().Append(ctx, evidence.Entry{Envelope: raw, Stage: "release"})
	if err != nil {
		return err
	}
	rec := recs[0]
	fmt.Fprintf(w, "recorded %s at index %d\n", rec.ID, rec.Index)

	// A signed checkpoint, and a proof that the record is in it that an
	// auditor checks with the checkpoint key alone.
	cp, err := prog.Store().Checkpoint(ctx)
	if err != nil {
		return err
	}
	proof, err := prog.Store().InclusionProof(ctx, rec.ID, cp)
	if err != nil {
		return err
	}
	if err := evidence.VerifyInclusion(prog.CheckpointVerifierKey(), cp.Note, rec, proof); err != nil {
		return err
	}
	fmt.Fprintf(w, "checkpoint of %d records, root %x: the record's inclusion proof verifies\n", cp.Size, cp.Root)

	// Audit recomputes the whole log from the file.
	rep, err := prog.Store().Audit(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "audit: %d records and %d checkpoints check out\n", rep.Size, rep.Checkpoints)
	return nil
}
