package attesttest_test

import (
	"fmt"

	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
)

func ExampleSamples() {
	for _, p := range attesttest.Samples()[:2] {
		st, err := attest.Build(p, attesttest.Subject())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(st.PredicateType())
	}
	// Output:
	// https://slsa.dev/provenance/v1
	// https://in-toto.io/attestation/test-result/v0.1
}
