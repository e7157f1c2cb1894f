package sign_test

import (
	"context"
	"fmt"

	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// must stops the example on an error; real code handles each one.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func ExampleVerify() {
	ctx := context.Background()
	builder := must(sign.GenerateKey(sign.Ed25519))
	trust := must(sign.NewTrust(
		[]sign.TrustedKey{{Name: "builder", Key: builder.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{attest.PredicateTestResult}, Signers: []string{"builder"}}},
	))

	st := must(attest.Build(attesttest.Samples()[1], attesttest.Subject())) // a test result
	env := must(sign.Sign(ctx, builder, st))

	v, err := sign.Verify(ctx, env, trust, sign.ForArtifact(attesttest.Subject().Digest))
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	fmt.Println(v.Statement.PredicateType(), "signed by", v.Signers[0].Name)
	// Output: https://in-toto.io/attestation/test-result/v0.1 signed by builder
}
