package iac_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/paved-dev/paved/platform/iac"
)

// syntheticPlan writes a plan of n resource changes shaped like a real
// AWS estate's: security groups with nested rules, databases with a
// sensitive password, buckets, resources in modules, a mix of creates,
// updates, replaces and deletes, values known after apply and a
// configuration section with the module calls, and the planned values
// section that real plans carry beside the changes.
func syntheticPlan(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"format_version":"1.2","terraform_version":"1.9.8","variables":{"db_password":{"value":"bench-secret"}},"resource_changes":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		mod := ""
		addr := ""
		if i%4 == 0 {
			mod = `"module_address":"module.svc[` + strconv.Itoa(i%50) + `]",`
			addr = "module.svc[" + strconv.Itoa(i%50) + "]."
		}
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, `{"address":"%saws_security_group.sg_%d",%s"mode":"managed","type":"aws_security_group","name":"sg_%d","provider_name":"registry.terraform.io/hashicorp/aws","change":{"actions":["update"],`+
				`"before":{"name":"sg-%d","description":"service %d","ingress":[{"from_port":443,"to_port":443,"protocol":"tcp","cidr_blocks":["10.0.0.0/8"],"ipv6_cidr_blocks":[],"self":false}],"egress":[{"from_port":0,"to_port":0,"protocol":"-1","cidr_blocks":["0.0.0.0/0"]}],"tags":{"team":"payments","env":"prod"}},`+
				`"after":{"name":"sg-%d","description":"service %d","ingress":[{"from_port":443,"to_port":443,"protocol":"tcp","cidr_blocks":["10.0.0.0/8","172.16.0.0/12"],"ipv6_cidr_blocks":[],"self":false}],"egress":[{"from_port":0,"to_port":0,"protocol":"-1","cidr_blocks":["0.0.0.0/0"]}],"tags":{"team":"payments","env":"prod"}},`+
				`"after_unknown":{"ingress":[{"cidr_blocks":[false,false]}]},"before_sensitive":{"tags":{}},"after_sensitive":{"tags":{}}}}`,
				addr, i, mod, i, i, i, i, i)
		case 1:
			actions := `["delete","create"]`
			if i%7 == 0 {
				actions = `["create"]`
			}
			fmt.Fprintf(&b, `{"address":"%saws_db_instance.db_%d",%s"mode":"managed","type":"aws_db_instance","name":"db_%d","provider_name":"registry.terraform.io/hashicorp/aws","change":{"actions":%s,`+
				`"before":{"identifier":"db-%d","engine":"postgres","engine_version":"15.4","instance_class":"db.r6g.large","allocated_storage":100,"storage_encrypted":true,"password":"pw-%d","tags":{"protected":"true"}},`+
				`"after":{"identifier":"db-%d","engine":"postgres","engine_version":"16.1","instance_class":"db.r6g.large","allocated_storage":100,"storage_encrypted":true,"password":"pw-%d","tags":{"protected":"true"}},`+
				`"after_unknown":{"arn":true,"endpoint":true,"id":true},"before_sensitive":{"password":true,"tags":{}},"after_sensitive":{"password":true,"tags":{}}},"action_reason":"replace_because_cannot_update"}`,
				addr, i, mod, i, actions, i, i, i, i)
		default:
			fmt.Fprintf(&b, `{"address":"%saws_s3_bucket.b_%d",%s"mode":"managed","type":"aws_s3_bucket","name":"b_%d","provider_name":"registry.terraform.io/hashicorp/aws","change":{"actions":["create"],`+
				`"before":null,"after":{"bucket":"acme-%d","force_destroy":false,"tags":{"team":"data"}},`+
				`"after_unknown":{"arn":true,"id":true,"region":true},"before_sensitive":false,"after_sensitive":{"tags":{}}}}`,
				addr, i, mod, i, i)
		}
	}
	// planned_values repeats every resource's planned values, as real
	// plans do; Parse skips the section.
	b.WriteString(`],"planned_values":{"root_module":{"resources":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"address":"aws_s3_bucket.b_%d","mode":"managed","type":"aws_s3_bucket","name":"b_%d","provider_name":"registry.terraform.io/hashicorp/aws","schema_version":0,`+
			`"values":{"bucket":"acme-%d","force_destroy":false,"tags":{"team":"data"},"versioning":[{"enabled":true,"mfa_delete":false}]},"sensitive_values":{"tags":{},"versioning":[{}]}}`, i, i, i)
	}
	b.WriteString(`]}},"configuration":{"root_module":{"module_calls":{"svc":{"source":"terraform-aws-modules/service/aws","version_constraint":"3.1.0","module":{}}}}},"applyable":true,"complete":true,"errored":false}`)
	return b.Bytes()
}

// BenchmarkParsePlan parses plans of 1k, 10k and 100k resource changes.
// Beside it, the baseline: encoding/json decoding the same document into
// a generic value, with no normalization and no redaction.
func BenchmarkParsePlan(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		doc := syntheticPlan(n)
		b.Run(fmt.Sprintf("paved/changes=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				p, err := iac.Parse(bytes.NewReader(doc))
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Changes) != n {
					b.Fatalf("%d changes, want %d", len(p.Changes), n)
				}
			}
		})
		b.Run(fmt.Sprintf("json-unmarshal-any/changes=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				var v any
				if err := json.Unmarshal(doc, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestSyntheticPlanParses(t *testing.T) {
	p, err := iac.Parse(bytes.NewReader(syntheticPlan(30)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if bytes.Contains(c.Before, []byte("pw-")) || bytes.Contains(c.After, []byte("pw-")) {
			t.Fatalf("%s leaks its password", c.Address)
		}
	}
	if p.Changes[1].Action != iac.Replace || p.Changes[0].Module == nil || p.Changes[0].Module.Version != "3.1.0" {
		t.Fatalf("unexpected %+v", p.Changes[:2])
	}
}
