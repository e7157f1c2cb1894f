package capability_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/capability/capabilitytest"
)

// Assess a release that went through the pipeline: each control's status,
// the records that prove a pass, and the backlog of gaps with owners.
func ExampleAssess() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "assess")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	// A store with the release's signed evidence, the default map and a
	// policy engine bound to it (policy.WithBindings(m.Bindings()...)).
	s, err := capabilitytest.Open(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Store.Close(ctx)

	a, err := capability.Assess(ctx, s.Map, s.Store, s.Engine, s.Scope,
		capability.WithAssessClock(func() time.Time { return capabilitytest.Now }))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []string{"DSO-REL-01", "DSO-BLD-01", "DSO-BLD-04", "DSO-BLD-05", "DSO-GOV-01"} {
		c, _ := a.Control(id)
		fmt.Printf("%s %s", id, c.Status)
		for _, e := range c.Evidence {
			fmt.Printf(" (record %d, signed by %v)", e.Index, e.Signers)
		}
		fmt.Println()
	}
	fmt.Printf("first gap: %s owned by %s\n", a.Backlog[0].Control, a.Backlog[0].OwnerName)
	fmt.Printf("expiring: %s\n", a.Expiring[0].ID)
	// Output:
	// DSO-REL-01 pass (record 1, signed by [ci])
	// DSO-BLD-01 fail (record 2, signed by [ci])
	// DSO-BLD-04 no_evidence
	// DSO-BLD-05 waived
	// DSO-GOV-01 manual
	// first gap: DSO-BLD-01 owned by Release Engineering
	// expiring: EX-VULN
}
