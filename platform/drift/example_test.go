package drift_test

import (
	"fmt"

	"github.com/paved-dev/paved/platform/drift"
)

// Compare a rendered manifest (YAML) with what the cluster returns
// (JSON): the differences have paths, and secrets stay out.
func ExampleCompare() {
	desired := []byte("spec:\n  replicas: 3\n  image: shop:1.4.2\n  dbPassword: hunter2\n")
	actual := []byte(`{"spec": {"replicas": 1, "image": "shop:1.4.2", "dbPassword": "letmein", "debug": true}}`)
	diffs, err := drift.Compare(desired, actual, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range diffs {
		fmt.Printf("%s %s: %v -> %v\n", d.Kind, d.Path, d.Desired, d.Actual)
	}
	// Output:
	// changed $.spec.dbPassword: (redacted) -> (redacted)
	// added $.spec.debug: <nil> -> true
	// changed $.spec.replicas: 3 -> 1
}
