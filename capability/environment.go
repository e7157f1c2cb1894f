package capability

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Environment is a place the programme deploys to, such as staging or
// prod, with its identity boundary: who may deploy there and who may
// approve a deployment there. It also says which controls must hold before
// a deployment and which environment a digest must have been deployed to
// (and stayed healthy in) first.
type Environment struct {
	// Name identifies the environment, such as "prod"; unique in the map.
	Name string `yaml:"name"`
	// Tier classifies the environment: dev, test, staging or prod.
	Tier Tier `yaml:"tier"`
	// Owner is the ID of the owner accountable for the environment.
	Owner string `yaml:"owner"`
	// Deployers lists who may deploy to the environment: owner IDs (every
	// identity acting for that owner) or single identities that a declared
	// owner has (a team member or a person's contact). At least one.
	Deployers []string `yaml:"deployers"`
	// Approvers lists who may approve a deployment to the environment, in
	// the same form as Deployers. Empty means deployments there need no
	// approval.
	Approvers []string `yaml:"approvers"`
	// Controls lists the IDs of the controls that must hold before a
	// deployment, such as a release approval and verified artifacts.
	Controls []string `yaml:"controls"`
	// Promotion says which environment a digest must have been deployed
	// to first, and for how long it must have stayed healthy there. The
	// zero value puts the environment first in the promotion order.
	Promotion Promotion `yaml:"promotion"`
}

// Promotion is the step before an environment in the promotion order.
type Promotion struct {
	// From names the environment a digest must have been deployed to
	// successfully before it may be deployed here; empty means none.
	From string `yaml:"from"`
	// Soak is how long the digest must have stayed healthy in From (no
	// rollback, no incident it caused) after its deployment finished; zero
	// means a successful deployment is enough.
	Soak Duration `yaml:"soak"`
}

// Tier classifies an environment.
type Tier string

// The tiers, from least to most critical.
const (
	TierDev     Tier = "dev"
	TierTest    Tier = "test"
	TierStaging Tier = "staging"
	TierProd    Tier = "prod"
)

// UnmarshalText accepts "dev", "test", "staging" or "prod".
func (t *Tier) UnmarshalText(b []byte) error {
	return parseEnum(t, string(b), TierDev, TierTest, TierStaging, TierProd)
}

// Environment returns the declared environment with the given name. The
// pointer refers into m.
func (m *Map) Environment(name string) (*Environment, bool) {
	for i := range m.Environments {
		if m.Environments[i].Name == name {
			return &m.Environments[i], true
		}
	}
	return nil, false
}

// Identities expands references (owner IDs or single identities, as an
// Environment's Deployers and Approvers hold them) into the identities
// they stand for: an owner ID gives a team's members or a person's
// contact; anything else is kept as it is. The result is sorted and has no
// duplicates.
func (m *Map) Identities(refs []string) []string {
	var out []string
	for _, r := range refs {
		o, ok := m.OwnerByID(r)
		switch {
		case !ok:
			out = append(out, r)
		case o.Kind == Person:
			out = append(out, o.Contact)
		default:
			out = append(out, o.Members...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Boundary is an environment as a deployment gate sees it: its identity
// boundary expanded to identities, with plain JSON field names, so that it
// can be handed to the policy engine (for example as
// data.guardrails.environments[name], see GuardrailData) without the
// policy package knowing the map.
type Boundary struct {
	// Name, Tier and Owner are the environment's.
	Name  string `json:"name"`
	Tier  Tier   `json:"tier"`
	Owner string `json:"owner"`
	// Deployers and Approvers are the identities allowed to deploy and
	// to approve, expanded with Map.Identities.
	Deployers []string `json:"deployers"`
	Approvers []string `json:"approvers"`
	// Controls are the controls required before a deployment.
	Controls []string `json:"controls"`
	// PromoteFrom names the previous environment in the promotion order;
	// empty when there is none.
	PromoteFrom string `json:"promoteFrom"`
	// SoakSeconds is how long, in seconds, a digest must have stayed
	// healthy in PromoteFrom.
	SoakSeconds int64 `json:"soakSeconds"`
}

// Boundary returns the named environment as a deployment gate sees it.
func (m *Map) Boundary(name string) (Boundary, bool) {
	e, ok := m.Environment(name)
	if !ok {
		return Boundary{}, false
	}
	b := Boundary{
		Name: e.Name, Tier: e.Tier, Owner: e.Owner,
		Deployers: nonNil(m.Identities(e.Deployers)),
		Approvers: nonNil(m.Identities(e.Approvers)),
		Controls:  nonNil(slices.Clone(e.Controls)),
	}
	b.PromoteFrom = e.Promotion.From
	b.SoakSeconds = int64(time.Duration(e.Promotion.Soak) / time.Second)
	return b, true
}

// GuardrailData returns the map's environments in the form the built-in
// environment policies read under data.guardrails: {"environments":
// {name: boundary}}, each boundary with the fields and JSON names of
// Boundary, as plain JSON values (maps, slices, strings, numbers). Pass it
// to the policy engine's WithData.
func (m *Map) GuardrailData() map[string]any {
	envs := make(map[string]any, len(m.Environments))
	for _, e := range m.Environments {
		b, _ := m.Boundary(e.Name)
		envs[e.Name] = map[string]any{
			"name": b.Name, "tier": string(b.Tier), "owner": b.Owner,
			"deployers": anys(b.Deployers), "approvers": anys(b.Approvers), "controls": anys(b.Controls),
			"promoteFrom": b.PromoteFrom, "soakSeconds": b.SoakSeconds,
		}
	}
	return map[string]any{"environments": envs}
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// knownIdentity reports whether ref is an owner ID or an identity that a
// declared owner has.
func (m *Map) knownIdentity(ref string) bool {
	if _, ok := m.OwnerByID(ref); ok {
		return true
	}
	return slices.ContainsFunc(m.Owners, func(o Owner) bool { return o.has(ref) })
}

func (v *validator) environments() {
	names := idSet{v: v}
	for i, e := range v.m.Environments {
		p := fmt.Sprintf("environments[%d]", i)
		names.add(p+".name", e.Name)
		v.required(p+".tier", string(e.Tier))
		if v.required(p+".owner", e.Owner) {
			v.owner(p+".owner", e.Owner)
		}
		if len(e.Deployers) == 0 {
			v.probs.add(p+".deployers", ErrRequired, "environment %q names no one who may deploy", e.Name)
		}
		v.identities(p+".deployers", e.Deployers)
		v.identities(p+".approvers", e.Approvers)
		seen := map[string]bool{}
		for j, c := range e.Controls {
			f := fmt.Sprintf("%s.controls[%d]", p, j)
			if _, ok := v.m.Control(c); !ok {
				v.probs.add(f, ErrDanglingReference, "control %q is not in the map", c)
			} else if seen[c] {
				v.probs.add(f, ErrDuplicateID, "control %q listed twice", c)
			}
			seen[c] = true
		}
		switch from := e.Promotion.From; {
		case from == "" && e.Promotion.Soak != 0:
			v.probs.add(p+".promotion.from", ErrRequired, "a soak time needs an environment to soak in")
		case from == "":
		default:
			if _, ok := v.m.Environment(from); !ok {
				v.probs.add(p+".promotion.from", ErrDanglingReference, "environment %q is not declared", from)
			}
		}
	}
	v.promotionCycles()
}

// identities checks that each reference is a declared owner or one of
// their identities.
func (v *validator) identities(field string, refs []string) {
	for i, r := range refs {
		if !v.m.knownIdentity(r) {
			v.probs.add(fmt.Sprintf("%s[%d]", field, i), ErrUnknownIdentity, "%q is neither a declared owner nor a member or contact of one", r)
		}
	}
}

// promotionCycles reports each cycle in the promotion order once, at the
// promotion of the cycle's first environment in map order.
func (v *validator) promotionCycles() {
	index := map[string]int{}
	for i, e := range v.m.Environments {
		if _, dup := index[e.Name]; !dup {
			index[e.Name] = i
		}
	}
	reported := map[int]bool{}
	for start := range v.m.Environments {
		// Walk the chain from start; at most len steps before a repeat.
		path := []int{}
		onPath := map[int]int{}
		for i, ok := start, true; ok; {
			if at, seen := onPath[i]; seen {
				cycle := path[at:]
				first := slices.Min(cycle)
				if !reported[first] {
					for _, c := range cycle {
						reported[c] = true
					}
					names := make([]string, 0, len(cycle)+1)
					for _, c := range cycle {
						names = append(names, v.m.Environments[c].Name)
					}
					names = append(names, v.m.Environments[cycle[0]].Name)
					v.probs.add(fmt.Sprintf("environments[%d].promotion.from", first), ErrPromotionCycle, "%s", strings.Join(names, " -> "))
				}
				break
			}
			if reported[i] {
				break
			}
			onPath[i] = len(path)
			path = append(path, i)
			i, ok = index[v.m.Environments[i].Promotion.From]
		}
	}
}
