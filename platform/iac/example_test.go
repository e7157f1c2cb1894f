package iac_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/paved-dev/paved/platform/iac"
	"github.com/paved-dev/paved/supplychain/attest"
)

// Parse the JSON of `terraform show -json tfplan`, list what it changes,
// and build the signed-evidence statement of the change set. Sensitive
// values are already redacted.
func ExampleParse() {
	f, err := os.Open("testdata/protected-replace.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	plan, err := iac.Parse(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range plan.Changes {
		if c.Action == iac.Replace || c.Module != nil {
			fmt.Println(c.Action, c.Address, c.Sensitive)
		}
	}
	orders := plan.Changes[len(plan.Changes)-1]
	fmt.Println(strings.Contains(string(orders.After), `"password":"(sensitive value)"`))

	st, err := attest.Build(plan.Predicate(), plan.Subject("tfplan.json"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.PredicateType())
	// Output:
	// create module.vpc.aws_vpc.this[0] []
	// replace aws_db_instance.orders [$.password]
	// true
	// https://paved.dev/attestation/iac-plan/v1
}

// A refresh-only plan that is not empty is drift.
func ExamplePlan_Drift() {
	f, err := os.Open("testdata/drift.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	plan, err := iac.Parse(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	if d, ok := plan.Drift(); ok {
		for _, c := range d.Changes {
			fmt.Println("drifted:", c.Action, c.Address)
		}
		fmt.Println(d.Predicate().Kind)
	}
	// Output:
	// drifted: update aws_security_group.web
	// drifted: delete aws_sqs_queue.jobs
	// drift
}
