package iac_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/paved-dev/paved/platform/iac"
	"github.com/paved-dev/paved/policy"
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

// Gate a plan with the guardrails in paved's policy engine: the change set
// is the evidence, settings come from data.guardrails.
func ExamplePolicies() {
	ctx := context.Background()
	engine, err := policy.New(ctx, policy.FS(iac.Policies()), policy.WithData(map[string]any{
		"guardrails": map[string]any{"iac": map[string]any{"module_sources": []any{"terraform-aws-modules/"}}},
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := os.Open("testdata/admin-ingress.json")
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
	d, err := engine.Evaluate(ctx, policy.Request{
		Stage:    policy.StagePlan,
		Subject:  plan.Subject("tfplan.json"),
		Evidence: []policy.Evidence{{Predicate: plan.Predicate(), Digest: "sha256:" + plan.Digest}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Outcome)
	for _, c := range d.Controls {
		for _, v := range c.Violations {
			fmt.Println(c.Control, v.Msg)
		}
	}
	// Output:
	// blocked
	// DSO-FND-07 aws_security_group.bastion opens administrative ports [22] to 0.0.0.0/0
}
