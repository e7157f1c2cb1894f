package capability

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Validate checks the map against the time now, as ValidateAt does.
func (m *Map) Validate() error { return m.ValidateAt(time.Now()) }

// ValidateAt checks the map and reports every problem at once, as an
// errors.Join of *FieldError values (located in the document when the map
// was loaded). The rules:
//
//   - the map has a name and a programme owner;
//   - owner, area, capability, control, exception and catalog IDs are
//     present and unique (area IDs are the eight known ones);
//   - every reference resolves: owners, approvers, the controls exceptions
//     name, the frameworks and framework entries controls map to;
//   - every control has an owner, its own or its capability's or its area's;
//   - a mandatory control names evidence or a policy, or is marked manual,
//     and a manual control names no policy;
//   - an exception has a reason, a requester and a different approver
//     allowed by the exception policy, and an expiry after now and no later
//     than the policy's maximum after its grant (or after now, when it
//     names no grant time);
//   - environment names are present and unique, each has a tier, a declared
//     owner and at least one deployer; deployers and approvers are declared
//     owners or identities one of them has (a team member, a person's
//     contact); required controls exist in the map; a promotion names a
//     declared environment, and the promotion order has no cycle.
func (m *Map) ValidateAt(now time.Time) error {
	builtin, err := builtinCatalogs()
	if err != nil {
		return err
	}
	v := validator{m: m, now: now, probs: problems{src: m.src}, builtin: builtin}
	v.programme()
	v.owners()
	v.catalogs()
	v.areas()
	v.exceptions()
	v.environments()
	return v.probs.err()
}

type validator struct {
	m       *Map
	now     time.Time
	probs   problems
	builtin *catalogSet
}

// policyQuery is a Rego reference into the data document, such as
// "data.paved.build".
var policyQuery = regexp.MustCompile(`^data(\.[A-Za-z_][A-Za-z0-9_]*)+$`)

func (v *validator) programme() {
	v.required("name", v.m.Name)
	if v.required("owner", v.m.Owner) {
		v.owner("owner", v.m.Owner)
	}
}

func (v *validator) owners() {
	ids := idSet{v: v}
	for i, o := range v.m.Owners {
		p := fmt.Sprintf("owners[%d]", i)
		ids.add(p+".id", o.ID)
		if v.required(p+".kind", string(o.Kind)) && o.Kind == Team && len(o.Members) == 0 && o.Contact == "" {
			v.probs.add(p+".contact", ErrRequired, "team %q needs a contact or members", o.ID)
		}
		if o.Kind == Person {
			v.required(p+".contact", o.Contact)
		}
	}
}

func (v *validator) catalogs() {
	ids := idSet{v: v}
	for i, c := range v.m.Catalogs {
		p := fmt.Sprintf("catalogs[%d]", i)
		if ids.add(p+".id", c.ID) {
			if _, ok := v.builtin.ids[c.ID]; ok {
				v.probs.add(p+".id", ErrDuplicateID, "%q is a built-in catalog", c.ID)
			}
		}
		v.required(p+".version", c.Version)
		entries := idSet{v: v}
		for j, e := range c.Entries {
			entries.add(fmt.Sprintf("%s.entries[%d].id", p, j), e.ID)
		}
	}
}

func (v *validator) areas() {
	areas := idSet{v: v}
	capabilities := idSet{v: v}
	controls := idSet{v: v}
	for ai, a := range v.m.Areas {
		ap := fmt.Sprintf("areas[%d]", ai)
		areas.add(ap+".id", string(a.ID))
		v.required(ap+".title", a.Title)
		v.owner(ap+".owner", a.Owner)
		for ci, c := range a.Capabilities {
			cp := fmt.Sprintf("%s.capabilities[%d]", ap, ci)
			capabilities.add(cp+".id", c.ID)
			v.required(cp+".title", c.Title)
			v.owner(cp+".owner", c.Owner)
			for ki := range c.Controls {
				kp := fmt.Sprintf("%s.controls[%d]", cp, ki)
				k := &c.Controls[ki]
				controls.add(kp+".id", k.ID)
				v.control(kp, Located{Area: &v.m.Areas[ai], Capability: &v.m.Areas[ai].Capabilities[ci], Control: k})
			}
		}
	}
}

func (v *validator) control(p string, l Located) {
	k := l.Control
	v.required(p+".title", k.Title)
	v.required(p+".enforcement", string(k.Enforcement))
	v.owner(p+".owner", k.Owner)
	if l.OwnerID() == "" {
		v.probs.add(p+".owner", ErrNoOwner, "control %q, capability %q and area %q name no owner", k.ID, l.Capability.ID, l.Area.ID)
	}
	seenStage := map[Stage]bool{}
	for i, s := range k.Stages {
		if seenStage[s] {
			v.probs.add(fmt.Sprintf("%s.stages[%d]", p, i), ErrDuplicateID, "stage %q listed twice", s)
		}
		seenStage[s] = true
	}
	for i, e := range k.Evidence {
		v.required(fmt.Sprintf("%s.evidence[%d].predicate_type", p, i), e.PredicateType)
	}
	switch {
	case k.Policy != "" && !policyQuery.MatchString(k.Policy):
		v.probs.add(p+".policy", ErrInvalidValue, "%q is not a Rego data reference such as data.paved.build", k.Policy)
	case k.Manual && k.Policy != "":
		v.probs.add(p+".manual", ErrUnenforceable, "control %q is manual but names policy %q", k.ID, k.Policy)
	case k.Enforcement == Mandatory && !k.Manual && k.Policy == "" && len(k.Evidence) == 0:
		v.probs.add(p, ErrUnenforceable, "mandatory control %q names no evidence and no policy and is not marked manual", k.ID)
	}
	for _, fw := range sortedKeys(k.Mappings) {
		if known, _ := v.m.lookupEntry(v.builtin, fw, ""); !known {
			v.probs.add(p+".mappings."+fw, ErrDanglingReference, "no catalog for framework %q", fw)
			continue
		}
		for i, id := range k.Mappings[fw] {
			if _, ok := v.m.lookupEntry(v.builtin, fw, id); !ok {
				v.probs.add(fmt.Sprintf("%s.mappings.%s[%d]", p, fw, i), ErrDanglingReference, "%q is not in the %s catalog", id, fw)
			}
		}
	}
}

func (v *validator) exceptions() {
	ids := idSet{v: v}
	maxDur := v.m.ExceptionPolicy.Max()
	for i, a := range v.m.ExceptionPolicy.Approvers {
		v.owner(fmt.Sprintf("exception_policy.approvers[%d]", i), a)
	}
	for i, e := range v.m.Exceptions {
		p := fmt.Sprintf("exceptions[%d]", i)
		ids.add(p+".id", e.ID)
		if v.required(p+".control", e.Control) {
			if _, ok := v.m.Control(e.Control); !ok {
				v.probs.add(p+".control", ErrDanglingReference, "control %q is not in the map", e.Control)
			}
		}
		v.required(p+".reason", strings.TrimSpace(e.Reason))
		v.required(p+".requested_by", e.RequestedBy)
		if v.required(p+".approved_by", e.ApprovedBy) {
			v.approver(p, e)
		}
		if e.Expires.IsZero() {
			v.probs.add(p+".expires", ErrRequired, "")
			continue
		}
		if !e.Expires.After(v.now) {
			v.probs.add(p+".expires", ErrExpired, "expired %s", e.Expires.Format(time.RFC3339))
		}
		start := e.Granted
		if start.IsZero() {
			start = v.now
		} else if !e.Expires.After(start) {
			v.probs.add(p+".expires", ErrInvalidValue, "expiry %s is not after grant %s", e.Expires.Format(time.RFC3339), start.Format(time.RFC3339))
		}
		if e.Expires.Sub(start) > maxDur {
			v.probs.add(p+".expires", ErrExpiryTooLong, "lasts %s, the maximum is %s", Duration(e.Expires.Sub(start).Round(time.Hour)), Duration(maxDur))
		}
	}
}

func (v *validator) approver(p string, e Exception) {
	if e.ApprovedBy == e.RequestedBy {
		v.probs.add(p+".approved_by", ErrSelfApproval, "%q requested and approved exception %q", e.ApprovedBy, e.ID)
		return
	}
	approvers := v.m.ExceptionPolicy.Approvers
	if len(approvers) == 0 {
		return
	}
	for _, id := range approvers {
		if o, ok := v.m.OwnerByID(id); ok && o.has(e.ApprovedBy) {
			return
		}
	}
	v.probs.add(p+".approved_by", ErrUnauthorizedApprover, "%q is not a member of %s", e.ApprovedBy, strings.Join(approvers, ", "))
}

// required reports whether value is set, recording a problem if not.
func (v *validator) required(field, value string) bool {
	if value == "" {
		v.probs.add(field, ErrRequired, "")
		return false
	}
	return true
}

// owner checks that a non-empty owner reference resolves.
func (v *validator) owner(field, id string) {
	if id == "" {
		return
	}
	if _, ok := v.m.OwnerByID(id); !ok {
		v.probs.add(field, ErrDanglingReference, "owner %q is not declared in owners", id)
	}
}

// idSet records IDs of one kind and reports missing and duplicate ones.
type idSet struct {
	v    *validator
	seen map[string]string
}

// add records id found at field and reports whether it is present and new.
func (s *idSet) add(field, id string) bool {
	if !s.v.required(field, id) {
		return false
	}
	if s.seen == nil {
		s.seen = map[string]string{}
	}
	if first, dup := s.seen[id]; dup {
		s.v.probs.add(field, ErrDuplicateID, "%q is already used at %s", id, first)
		return false
	}
	s.seen[id] = field
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
