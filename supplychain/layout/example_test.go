package layout_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/paved-dev/paved/supplychain/layout"
)

// ExampleVerifier_Verify verifies the supply chain in testdata/demo: a
// layout signed by the project owner in which alice builds app.txt from
// src.txt and bob packages it into app.pkg, with their two links.
func ExampleVerifier_Verify() {
	rootKeys, err := layout.ReadPublicKeysFile("testdata/demo/owner.pub")
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := layout.ReadFile("testdata/demo/root.layout")
	if err != nil {
		fmt.Println(err)
		return
	}
	// A fixed clock keeps the example reproducible; the default is time.Now.
	now := func() time.Time { return time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC) }
	v, err := layout.NewVerifier(rootKeys, layout.WithClock(now))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := v.Verify(context.Background(), l, "testdata/demo")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range slices.Sorted(maps.Keys(res.Products)) {
		fmt.Println("final product", name, "sha256:"+res.Products[name]["sha256"])
	}
	for _, s := range res.Steps {
		fmt.Printf("step %s: %d functionary, command %q\n", s.Name, len(s.Functionaries), s.Command)
	}
	fmt.Println("layout expires", res.Expires.Format(time.DateOnly))

	// The same layout, judged a few years later, has expired.
	later := func() time.Time { return time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC) }
	v, err = layout.NewVerifier(rootKeys, layout.WithClock(later))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = v.Verify(context.Background(), l, "testdata/demo")
	fmt.Println(err)
	// Output:
	// final product app.pkg sha256:18f850766b957bc6a9e6513039db84d8a54188a4d64bac4736356186ca0d6edb
	// step build: 1 functionary, command ["sh" "-c" "tr a-z A-Z < src.txt > app.txt"]
	// step package: 1 functionary, command ["sh" "-c" "(echo package; cat app.txt) > app.pkg"]
	// layout expires 2035-01-01
	// layout: verify: layout expired: expired at 2035-01-01T00:00:00Z, now 2036-01-01T00:00:00Z
}
