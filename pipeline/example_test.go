package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

// LicenseCheck is a custom step: it fails unless the repository has a
// LICENSE file, and declares the file as the step's material.
type LicenseCheck struct{}

func (LicenseCheck) Name() string { return "license-check" }

func (LicenseCheck) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	path := filepath.Join(sc.Dir, "LICENSE")
	digest, err := supplychain.DigestFile(path)
	if err != nil {
		return &pipeline.Result{Failed: true, Message: "no LICENSE file"}, nil
	}
	return &pipeline.Result{Materials: []supplychain.Subject{{Name: "LICENSE", Digest: digest}}}, nil
}

// A custom Step is a name and a Run method; the Runner records it as
// signed evidence like any built-in step.
func Example_customStep() {
	ctx := context.Background()
	if err := runLicensePipeline(ctx); err != nil {
		fmt.Println(err)
	}
	// Output: succeeded license-check records: 2
}

// runLicensePipeline runs LicenseCheck in a scratch repository, recording
// into a SQLite evidence store.
func runLicensePipeline(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "pipeline")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "LICENSE"), []byte("Apache-2.0\n"), 0o644); err != nil {
		return err
	}
	signer, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		return err
	}
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: signer.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci"}}})
	if err != nil {
		return err
	}
	backend, err := sqlite.Open(ctx, filepath.Join(dir, "evidence.db"))
	if err != nil {
		return err
	}
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust))
	if err != nil {
		return err
	}
	defer store.Close(ctx)

	p, err := pipeline.New("compliance", pipeline.In(pipeline.Plan, LicenseCheck{}))
	if err != nil {
		return err
	}
	runner, err := pipeline.NewRunner(store, signer)
	if err != nil {
		return err
	}
	run, err := runner.Run(ctx, p, pipeline.InDir(dir))
	if err != nil {
		return err
	}
	size, err := store.Size(ctx)
	if err != nil {
		return err
	}
	fmt.Println(run.Outcome, run.Steps[0].Name, "records:", size)
	return nil
}
