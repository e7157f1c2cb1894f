package paved_test

import (
	"fmt"

	"github.com/paved-dev/paved/capability"
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
