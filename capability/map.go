package capability

import (
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Map is a DevSecOps capability map: the programme, its owners, the eight
// areas with their capabilities and controls, the exceptions granted against
// those controls, the policy that governs exceptions, and the environments
// the programme deploys to.
//
// A Map is a plain value. Reading it from several goroutines is safe; changing
// it while others read it is not.
type Map struct {
	// Name names the programme, for example "Acme DevSecOps".
	Name string `yaml:"name"`
	// Owner is the ID of the owner accountable for the whole programme.
	Owner string `yaml:"owner"`
	// Owners lists every team and person that owns something in the map.
	Owners []Owner `yaml:"owners"`
	// Areas holds the areas of the map, each at most once.
	Areas []Area `yaml:"areas"`
	// ExceptionPolicy governs who may approve exceptions and for how long.
	ExceptionPolicy ExceptionPolicy `yaml:"exception_policy"`
	// Exceptions lists the exceptions (waivers) granted against controls.
	Exceptions []Exception `yaml:"exceptions"`
	// Catalogs declares framework catalogs beyond the built-in ones, so that
	// controls can be mapped to a framework paved does not ship.
	Catalogs []Catalog `yaml:"catalogs"`
	// Environments declares where the programme deploys, each with its
	// identity boundary, required controls and place in the promotion
	// order.
	Environments []Environment `yaml:"environments"`

	// src records where each field was read from, when the map was loaded.
	src *source
}

// Owner is a team or a person that owns an area, a capability or a control.
type Owner struct {
	// ID is how the rest of the map refers to this owner.
	ID string `yaml:"id"`
	// Kind says whether the owner is a team or a person.
	Kind OwnerKind `yaml:"kind"`
	// Name is the display name.
	Name string `yaml:"name"`
	// Contact is where to reach the owner: an e-mail address, a chat channel
	// or a URL.
	Contact string `yaml:"contact"`
	// Members lists the identities (for example e-mail addresses) that act
	// for a team. A person's identity is their Contact.
	Members []string `yaml:"members"`
}

// OwnerKind says whether an Owner is a team or a person.
type OwnerKind string

// The kinds of owner.
const (
	Team   OwnerKind = "team"
	Person OwnerKind = "person"
)

// UnmarshalText accepts "team" or "person".
func (k *OwnerKind) UnmarshalText(b []byte) error {
	return parseEnum(k, string(b), Team, Person)
}

// has reports whether identity acts for the owner: it is one of a team's
// members or a person's contact.
func (o Owner) has(identity string) bool {
	if o.Kind == Person && o.Contact == identity {
		return true
	}
	return slices.Contains(o.Members, identity)
}

// AreaID identifies one of the eight areas of a DevSecOps capability.
type AreaID string

// The eight areas, in the order reports show them.
const (
	Governance   AreaID = "governance"
	Platform     AreaID = "platform"
	Pipeline     AreaID = "pipeline"
	SupplyChain  AreaID = "supply-chain"
	Foundation   AreaID = "foundation"
	Compliance   AreaID = "compliance"
	CrossCutting AreaID = "cross-cutting"
	Reliability  AreaID = "reliability"
)

// AreaIDs returns the eight areas in report order.
func AreaIDs() []AreaID {
	return []AreaID{Governance, Platform, Pipeline, SupplyChain, Foundation, Compliance, CrossCutting, Reliability}
}

// UnmarshalText accepts one of the eight area IDs.
func (a *AreaID) UnmarshalText(b []byte) error {
	return parseEnum(a, string(b), AreaIDs()...)
}

// Work classifies the kind of work that closes a gap in an area: platform
// areas are closed by platform engineering, governance and supply chain by
// security, pipeline and reliability by delivery teams.
func (a AreaID) Work() WorkKind {
	switch a {
	case Platform, Foundation, CrossCutting:
		return PlatformWork
	case Pipeline, Reliability:
		return DeliveryWork
	default:
		return SecurityWork
	}
}

// Area is one of the eight areas of the map, with its capabilities.
type Area struct {
	// ID is one of the eight area IDs.
	ID AreaID `yaml:"id"`
	// Title is the display name.
	Title string `yaml:"title"`
	// Description says what the area covers.
	Description string `yaml:"description"`
	// Owner is the ID of the area's owner; controls without an owner of
	// their own inherit it.
	Owner string `yaml:"owner"`
	// Capabilities lists what the area provides.
	Capabilities []Capability `yaml:"capabilities"`
}

// Capability is something an area provides, such as "software bill of
// materials", checked by one or more controls.
type Capability struct {
	// ID is unique across the map.
	ID string `yaml:"id"`
	// Title is the display name.
	Title string `yaml:"title"`
	// Description says what the capability does.
	Description string `yaml:"description"`
	// Owner optionally overrides the area's owner for the capability's
	// controls.
	Owner string `yaml:"owner"`
	// Controls lists the controls that check the capability.
	Controls []Control `yaml:"controls"`
}

// Control is a single check of the programme, for example DSO-BLD-04 "SBOM
// produced per artifact".
type Control struct {
	// ID is unique across the map.
	ID string `yaml:"id"`
	// Title is a short statement of what must hold.
	Title string `yaml:"title"`
	// Description explains the control.
	Description string `yaml:"description"`
	// Stages lists the pipeline stages the control applies to; empty means
	// every stage.
	Stages []Stage `yaml:"stages"`
	// Enforcement says whether a failure blocks (mandatory) or warns
	// (advisory).
	Enforcement Enforcement `yaml:"enforcement"`
	// Owner is the ID of the control's owner; empty inherits the
	// capability's, then the area's.
	Owner string `yaml:"owner"`
	// Evidence lists the attestations the control needs.
	Evidence []EvidenceRequirement `yaml:"evidence"`
	// Policy is the Rego query that checks the control, for example
	// "data.paved.build". Empty means the control is not checked by policy.
	Policy string `yaml:"policy"`
	// Manual marks a control that a person checks. A mandatory control must
	// name evidence or a policy, or be manual.
	Manual bool `yaml:"manual"`
	// Work overrides the area's classification of the work that closes a
	// gap in this control.
	Work WorkKind `yaml:"work"`
	// Mappings maps a framework ID (a catalog's ID, such as "ssdf") to the
	// framework entries the control helps satisfy.
	Mappings map[string][]string `yaml:"mappings"`
}

// AppliesTo reports whether the control applies at stage s.
func (c *Control) AppliesTo(s Stage) bool {
	return len(c.Stages) == 0 || slices.Contains(c.Stages, s)
}

// EvidenceRequirement names an attestation a control needs.
type EvidenceRequirement struct {
	// PredicateType is the in-toto predicate type URI, for example
	// "https://slsa.dev/provenance/v1".
	PredicateType string `yaml:"predicate_type"`
	// MaxAge is how old the newest such attestation may be; zero means any
	// age.
	MaxAge Duration `yaml:"max_age"`
}

// Stage is one of the five delivery pipeline stages.
type Stage string

// The five stages, in pipeline order.
const (
	Plan    Stage = "plan"
	Build   Stage = "build"
	Test    Stage = "test"
	Release Stage = "release"
	Operate Stage = "operate"
)

// Stages returns the five stages in pipeline order.
func Stages() []Stage { return []Stage{Plan, Build, Test, Release, Operate} }

// UnmarshalText accepts one of the five stage names.
func (s *Stage) UnmarshalText(b []byte) error {
	return parseEnum(s, string(b), Stages()...)
}

// Enforcement says what a failing control does to a pipeline.
type Enforcement string

// The enforcements.
const (
	// Mandatory controls are guardrails: a failure stops the pipeline unless
	// an exception covers it.
	Mandatory Enforcement = "mandatory"
	// Advisory controls warn and never stop a pipeline.
	Advisory Enforcement = "advisory"
)

// UnmarshalText accepts "mandatory" or "advisory".
func (e *Enforcement) UnmarshalText(b []byte) error {
	return parseEnum(e, string(b), Mandatory, Advisory)
}

// WorkKind classifies the work that closes a gap.
type WorkKind string

// The kinds of work.
const (
	PlatformWork WorkKind = "platform"
	SecurityWork WorkKind = "security"
	DeliveryWork WorkKind = "delivery"
)

// UnmarshalText accepts "platform", "security" or "delivery".
func (w *WorkKind) UnmarshalText(b []byte) error {
	return parseEnum(w, string(b), PlatformWork, SecurityWork, DeliveryWork)
}

// parseEnum sets *dst to the value among allowed that equals s.
func parseEnum[T ~string](dst *T, s string, allowed ...T) error {
	for _, a := range allowed {
		if string(a) == s {
			*dst = a
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = strconv.Quote(string(a))
	}
	return fmt.Errorf("%q is not one of %s", s, strings.Join(names, ", "))
}

// Duration is a time.Duration that reads and writes days ("90d") and weeks
// ("2w") as well as Go durations ("36h").
type Duration time.Duration

// Days returns a Duration of n days.
func Days(n int) Duration { return Duration(time.Duration(n) * 24 * time.Hour) }

// UnmarshalText parses "90d", "2w" or any time.ParseDuration string.
// Negative durations are rejected.
func (d *Duration) UnmarshalText(b []byte) error {
	s := string(b)
	var v time.Duration
	if n, unit, ok := cutUnit(s); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 100*365 {
			return fmt.Errorf("%q is not a duration such as 90d, 2w or 36h", s)
		}
		v = time.Duration(days) * unit
	} else {
		var err error
		if v, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("%q is not a duration such as 90d, 2w or 36h", s)
		}
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	*d = Duration(v)
	return nil
}

func cutUnit(s string) (string, time.Duration, bool) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		return n, 24 * time.Hour, true
	}
	if n, ok := strings.CutSuffix(s, "w"); ok {
		return n, 7 * 24 * time.Hour, true
	}
	return "", 0, false
}

// MarshalText writes whole days as "Nd" and anything else as a Go duration.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.String()), nil
}

// String formats whole days as "Nd" and anything else as a Go duration.
func (d Duration) String() string {
	v := time.Duration(d)
	if v != 0 && v%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(v/(24*time.Hour)), 10) + "d"
	}
	return v.String()
}

// Located is a control in its place in the map: the area and capability that
// hold it.
type Located struct {
	// Area holds Capability, which holds Control.
	Area       *Area
	Capability *Capability
	Control    *Control
}

// Controls yields every control of the map in map order, with the area and
// capability that hold it. The pointers refer into m.
func (m *Map) Controls() iter.Seq[Located] {
	return func(yield func(Located) bool) {
		for ai := range m.Areas {
			a := &m.Areas[ai]
			for ci := range a.Capabilities {
				c := &a.Capabilities[ci]
				for ki := range c.Controls {
					if !yield(Located{Area: a, Capability: c, Control: &c.Controls[ki]}) {
						return
					}
				}
			}
		}
	}
}

// Control finds the control with the given ID.
func (m *Map) Control(id string) (Located, bool) {
	for l := range m.Controls() {
		if l.Control.ID == id {
			return l, true
		}
	}
	return Located{}, false
}

// OwnerByID returns the declared owner with the given ID.
func (m *Map) OwnerByID(id string) (Owner, bool) {
	for _, o := range m.Owners {
		if o.ID == id {
			return o, true
		}
	}
	return Owner{}, false
}

// OwnerID returns the ID of the control's effective owner: its own, else its
// capability's, else its area's.
func (l Located) OwnerID() string {
	switch {
	case l.Control.Owner != "":
		return l.Control.Owner
	case l.Capability.Owner != "":
		return l.Capability.Owner
	default:
		return l.Area.Owner
	}
}

// Work returns the kind of work that closes a gap in the control: the
// control's own classification, else its area's.
func (l Located) Work() WorkKind {
	if l.Control.Work != "" {
		return l.Control.Work
	}
	return l.Area.ID.Work()
}

// Summary counts what a map holds.
type Summary struct {
	// Areas, Capabilities and Controls count what the map holds.
	Areas        int `json:"areas"`
	Capabilities int `json:"capabilities"`
	Controls     int `json:"controls"`
	// Mandatory and Advisory count controls by enforcement.
	Mandatory int `json:"mandatory"`
	Advisory  int `json:"advisory"`
	// Manual counts the controls that a person checks.
	Manual int `json:"manual"`
	// Owners counts the declared owners.
	Owners int `json:"owners"`
	// ControlsByArea counts controls by area.
	ControlsByArea map[AreaID]int `json:"controls_by_area"`
	// ControlsByOwner counts controls by their effective owner's ID.
	ControlsByOwner map[string]int `json:"controls_by_owner"`
}

// Summarize counts the map's areas, capabilities, controls (by enforcement,
// manual and by owner) and owners.
func (m *Map) Summarize() Summary {
	s := Summary{Areas: len(m.Areas), Owners: len(m.Owners), ControlsByArea: map[AreaID]int{}, ControlsByOwner: map[string]int{}}
	for _, a := range m.Areas {
		s.Capabilities += len(a.Capabilities)
	}
	for l := range m.Controls() {
		s.Controls++
		switch l.Control.Enforcement {
		case Mandatory:
			s.Mandatory++
		case Advisory:
			s.Advisory++
		}
		if l.Control.Manual {
			s.Manual++
		}
		s.ControlsByArea[l.Area.ID]++
		s.ControlsByOwner[l.OwnerID()]++
	}
	return s
}
