package evidencelog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/metrics"
	"github.com/paved-dev/paved/metrics/evidencelog"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Compute DORA from the deployment statements a pipeline signed into the
// evidence log.
func ExampleRead() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "evidencelog")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ci, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		fmt.Println(err)
		return
	}
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: ci.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{attest.PredicateDeployment}, Signers: []string{"ci"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	backend, err := sqlite.Open(ctx, filepath.Join(dir, "evidence.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)

	// The pipeline records two deployments, the second a rollback.
	for i, kind := range []string{"normal", "rollback"} {
		at := time.Date(2024, 6, 3, 10+i, 0, 0, 0, time.UTC)
		previous := ""
		if kind == "rollback" {
			previous = "d1"
		}
		st, err := attest.Build(attest.Deployment{ID: fmt.Sprintf("d%d", i+1), Service: "shop", Environment: "prod", Version: "1.0",
			Deployer: "ci@example.com", Kind: kind, Outcome: "succeeded", Previous: previous,
			StartedAt: at, FinishedAt: at}, attesttest.Subject())
		if err != nil {
			fmt.Println(err)
			return
		}
		env, err := sign.Sign(ctx, ci, st)
		if err != nil {
			fmt.Println(err)
			return
		}
		raw, err := json.Marshal(env)
		if err != nil {
			fmt.Println(err)
			return
		}
		if _, err := store.Append(ctx, evidence.Entry{Envelope: raw, Stage: "release"}); err != nil {
			fmt.Println(err)
			return
		}
	}

	ev, err := evidencelog.Read(ctx, store)
	if err != nil {
		fmt.Println(err)
		return
	}
	calc, err := metrics.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := calc.Compute(ev.Events, metrics.Window{Start: time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 6, 4, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := r.Groups[0].Metrics
	fmt.Println(len(ev.Origins), "records; change fail rate", m.ChangeFailRate, "recovery", m.RecoveryTime)
	// Output:
	// 2 records; change fail rate 0.5 (n=2) recovery 1 (n=1)
}
