package attest_test

import (
	"fmt"
	"time"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

func ExampleBuild() {
	subject := supplychain.Subject{
		Name:   "app.tar.gz",
		Digest: supplychain.DigestSet{"sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
	}
	st, err := attest.Build(attest.Deployment{
		ID: "D-1", Service: "api", Environment: "prod", Version: "v1.4.0", Deployer: "deploy-bot",
		Kind: "normal", Outcome: "succeeded",
		StartedAt:  time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC),
		FinishedAt: time.Date(2026, 11, 28, 10, 3, 0, 0, time.UTC),
	}, subject)
	if err != nil {
		fmt.Println(err)
		return
	}

	// The bytes are what gets signed; parsing them gives the statement back.
	parsed, err := attest.Parse(st.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	var d attest.Deployment
	if err := parsed.Decode(&d); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(parsed.PredicateType())
	fmt.Println(d.Service, d.Environment, d.Version, d.FinishedAt.Sub(d.StartedAt))
	// Output:
	// https://paved.dev/attestation/deployment/v1
	// api prod v1.4.0 3m0s
}
