package capability_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/paved-dev/paved/capability"
)

func ExampleDefault() {
	m := capability.Default()
	s := m.Summarize()
	fmt.Printf("%d areas, %d controls: %d mandatory, %d advisory\n", s.Areas, s.Controls, s.Mandatory, s.Advisory)

	sbom, _ := m.Control("DSO-BLD-04")
	fmt.Printf("%s %q owned by %s, maps to SSDF %v\n",
		sbom.Control.ID, sbom.Control.Title, sbom.OwnerID(), sbom.Control.Mappings[capability.SSDF])
	// Output:
	// 8 areas, 56 controls: 35 mandatory, 21 advisory
	// DSO-BLD-04 "SBOM produced per artifact" owned by security-engineering, maps to SSDF [PS.3.2]
}

func ExampleLoad() {
	doc := `
name: Acme DevSecOps
owner: ciso
owners:
  - {id: ciso, kind: person, name: CISO, contact: ciso@acme.example}
areas:
  - id: supply-chain
    title: Supply chain
    owner: ciso
    capabilities:
      - id: sbom
        title: SBOM
        controls:
          - id: ACME-1
            title: SBOM per artifact
            stages: [build]
            enforcement: mandatory
            evidence: [{predicate_type: "https://cyclonedx.org/bom"}]
exceptions:
  - id: EX-1
    control: ACME-1
    reason: legacy build
    requested_by: ciso@acme.example
    approved_by: ciso@acme.example
    expires: 2027-06-01
`
	now := func() time.Time { return time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC) }
	_, err := capability.Load(strings.NewReader(doc), capability.WithFilename("devsecops.yaml"), capability.WithClock(now))
	fmt.Println(errors.Is(err, capability.ErrSelfApproval))
	fmt.Println(err)
	// Output:
	// true
	// capability: devsecops.yaml:24:18: exceptions[0].approved_by: exception approved by its requester: "ciso@acme.example" requested and approved exception "EX-1"
	// capability: devsecops.yaml:25:14: exceptions[0].expires: exception lasts longer than allowed: lasts 185d, the maximum is 90d
}

func ExampleMap_Backlog() {
	m := capability.Default()
	statuses := map[string]capability.Status{}
	for l := range m.Controls() {
		statuses[l.Control.ID] = capability.StatusPass
	}
	statuses["DSO-BLD-04"] = capability.StatusFail
	statuses["DSO-RLB-03"] = capability.StatusWarn

	if err := m.Backlog(statuses).WriteMarkdown(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// | Control | Title | Area | Enforcement | Status | Work | Owner |
	// | --- | --- | --- | --- | --- | --- | --- |
	// | DSO-BLD-04 | SBOM produced per artifact | pipeline | mandatory | fail | delivery | Security Engineering |
	// | DSO-RLB-03 | Manual pipeline steps are counted as toil and reduced | reliability | advisory | warn | delivery | Site Reliability Engineering |
}

func ExampleMap_ExpiringExceptions() {
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	m := capability.Default()
	m.Exceptions = []capability.Exception{{
		ID: "EX-7", Control: "DSO-BLD-05", Reason: "fix waits on upstream release",
		Scope:       capability.Scope{Services: []string{"billing"}},
		RequestedBy: "dev@example.com", ApprovedBy: "appsec@example.com",
		Expires: now.Add(5 * 24 * time.Hour),
	}}
	if err := m.ValidateAt(now); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range m.ExpiringExceptions(now, 7*24*time.Hour) {
		fmt.Printf("%s waives %s until %s\n", e.ID, e.Control, e.Expires.Format(time.DateOnly))
	}
	_, waived := m.Waiver("DSO-BLD-05", capability.Target{Service: "billing", Environment: "prod"}, now.Add(6*24*time.Hour))
	fmt.Println("still waived after expiry:", waived)
	// Output:
	// EX-7 waives DSO-BLD-05 until 2026-12-03
	// still waived after expiry: false
}

func ExampleMap_Boundary() {
	m := capability.Default()
	prod, _ := m.Boundary("prod")
	fmt.Printf("%s (%s): promoted from %s after %ds healthy\n", prod.Name, prod.Tier, prod.PromoteFrom, prod.SoakSeconds)
	fmt.Println("deployers:", prod.Deployers)
	fmt.Println("approvers:", prod.Approvers)
	// Output:
	// prod (prod): promoted from staging after 86400s healthy
	// deployers: [deploy-bot@example.com release-manager@example.com]
	// approvers: [release-manager@example.com sre-lead@example.com]
}
