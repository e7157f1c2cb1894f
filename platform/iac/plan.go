package iac

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// The markers that replace values in a Change's Before and After.
const (
	// Redacted replaces every value the plan marks sensitive.
	Redacted = "(sensitive value)"
	// Unknown replaces every value known only after apply.
	Unknown = "(known after apply)"
)

// Plan is a Terraform or OpenTofu plan, normalized: its resource changes
// and the drift its refresh found, with sensitive values redacted.
type Plan struct {
	// FormatVersion is the plan JSON's format_version, such as "1.2".
	FormatVersion string
	// ToolVersion is the terraform_version that wrote the plan (OpenTofu
	// writes its own version there too).
	ToolVersion string
	// Changes are the plan's resource_changes, in plan order.
	Changes []Change
	// Drifted are the plan's resource_drift entries: resources that
	// changed outside the code since the last apply.
	Drifted []Change
	// Digest is the SHA-256 of the plan's JSON bytes, hex-encoded.
	Digest string
}

// Change is one resource instance's planned change.
type Change struct {
	// Address is the resource instance's address, such as
	// `module.net.aws_security_group.ssh["a"]`.
	Address string
	// PreviousAddress is its address before a move, if it moved.
	PreviousAddress string
	// Mode is "managed" or "data".
	Mode string
	// Type and Name are the resource's type and name.
	Type, Name string
	// Provider is the provider's source address, such as
	// "registry.terraform.io/hashicorp/aws".
	Provider string
	// Module is the module that declares the resource, nil for the root
	// module.
	Module *Module
	// Action is the normalized action.
	Action Action
	// Actions lists the plan's own actions, in order: ["delete", "create"]
	// replaces by deleting first, ["create", "delete"] creates first.
	Actions []string
	// ActionReason is the plan's action_reason, such as
	// "replace_because_cannot_update".
	ActionReason string
	// Before and After are the values before and after the change as
	// compact JSON, nil when there is none (before a create, after a
	// delete). Sensitive values are Redacted; After's unknown values are
	// Unknown.
	Before, After json.RawMessage
	// Sensitive lists the paths (such as "$.tags.secret" or
	// "$.ingress[0]") of the values redacted in Before or After; Unknown
	// lists those of After's values known only after apply. Both are
	// sorted.
	Sensitive, Unknown []string
}

// Module is the module call that declares a resource.
type Module struct {
	// Address is the module instance's address, such as
	// `module.db["eu"]`.
	Address string
	// Source is the module call's source, such as
	// "terraform-aws-modules/vpc/aws" or
	// "git::https://git.example.com/net.git?ref=v1.2.0", with any
	// credentials it carries replaced by Redacted.
	Source string
	// Version is the call's version constraint, such as "5.1.2" or
	// "~> 5.0"; empty when it has none.
	Version string
}

// Action is a normalized resource action.
type Action string

// The actions.
const (
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Replace Action = "replace"
	Read    Action = "read"
	NoOp    Action = "no-op"
	Forget  Action = "forget"
)

// Destroys reports whether the action removes the existing object: a
// delete or a replace.
func (a Action) Destroys() bool { return a == Delete || a == Replace }

// Drift is infrastructure drift: resources that changed outside the code,
// as a plan's refresh found them.
type Drift struct {
	// FormatVersion and ToolVersion are the plan's.
	FormatVersion, ToolVersion string
	// Changes are the drifted resources: Before is what the state
	// recorded, After what the refresh found.
	Changes []Change
	// Digest is the SHA-256 of the plan's JSON bytes, hex-encoded.
	Digest string
}

// Drift returns the drift the plan's refresh found, and false when there
// is none. For a refresh-only plan, any drift is the whole plan.
func (p *Plan) Drift() (Drift, bool) {
	var out []Change
	for _, c := range p.Drifted {
		if c.Action != NoOp {
			out = append(out, c)
		}
	}
	return Drift{FormatVersion: p.FormatVersion, ToolVersion: p.ToolVersion, Changes: out, Digest: p.Digest}, len(out) > 0
}

// Subject returns the plan file as an in-toto subject named name, with the
// plan's digest, for attest.Build.
func (p *Plan) Subject(name string) supplychain.Subject {
	return supplychain.Subject{Name: name, Digest: supplychain.DigestSet{"sha256": p.Digest}}
}

// Subject returns the refresh-only plan file as an in-toto subject named
// name, with its digest, for attest.Build.
func (d Drift) Subject(name string) supplychain.Subject {
	return supplychain.Subject{Name: name, Digest: supplychain.DigestSet{"sha256": d.Digest}}
}

// Predicate returns the plan's change set as paved's iac-plan predicate,
// of kind "plan".
func (p *Plan) Predicate() attest.IaCPlan {
	return attest.IaCPlan{Kind: "plan", FormatVersion: p.FormatVersion, ToolVersion: p.ToolVersion, Changes: predicateChanges(p.Changes)}
}

// Predicate returns the drift as paved's iac-plan predicate, of kind
// "drift".
func (d Drift) Predicate() attest.IaCPlan {
	return attest.IaCPlan{Kind: "drift", FormatVersion: d.FormatVersion, ToolVersion: d.ToolVersion, Changes: predicateChanges(d.Changes)}
}

func predicateChanges(cs []Change) []attest.IaCChange {
	out := make([]attest.IaCChange, len(cs))
	for i, c := range cs {
		pc := attest.IaCChange{
			Address: c.Address, Mode: c.Mode, Type: c.Type, Name: c.Name, Provider: c.Provider,
			Action: string(c.Action), Actions: c.Actions, Sensitive: c.Sensitive, Unknown: c.Unknown,
		}
		if c.Module != nil {
			pc.Module = &attest.IaCModule{Address: c.Module.Address, Source: c.Module.Source, Version: c.Module.Version}
		}
		if c.Before != nil {
			pc.Before = c.Before
		}
		if c.After != nil {
			pc.After = c.After
		}
		out[i] = pc
	}
	return out
}

func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
