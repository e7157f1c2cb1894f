package capability_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
)

// validMap returns a small map that passes validation at now.
func validMap() *capability.Map {
	return &capability.Map{
		Name:  "Acme",
		Owner: "ciso",
		Owners: []capability.Owner{
			{ID: "ciso", Kind: capability.Person, Name: "CISO", Contact: "ciso@acme.example"},
			{ID: "appsec", Kind: capability.Team, Name: "AppSec", Contact: "#appsec", Members: []string{"alice@acme.example"}},
			{ID: "payments", Kind: capability.Team, Name: "Payments", Members: []string{"carol@acme.example"}},
		},
		Areas: []capability.Area{{
			ID: capability.SupplyChain, Title: "Supply chain", Owner: "appsec",
			Capabilities: []capability.Capability{{
				ID: "sbom", Title: "SBOM",
				Controls: []capability.Control{
					{
						ID: "C-1", Title: "SBOM per artifact", Stages: []capability.Stage{capability.Build},
						Enforcement: capability.Mandatory,
						Evidence:    []capability.EvidenceRequirement{{PredicateType: "https://cyclonedx.org/bom"}},
						Policy:      "data.paved.build",
						Mappings:    map[string][]string{capability.SSDF: {"PS.3.2"}, capability.Scorecard: {"SBOM"}},
					},
					{ID: "C-2", Title: "Quarterly review", Enforcement: capability.Advisory, Manual: true},
				},
			}},
		}},
		Exceptions: []capability.Exception{{
			ID: "E-1", Control: "C-1", Reason: "legacy build", RequestedBy: "carol@acme.example",
			ApprovedBy: "alice@acme.example", Granted: now.Add(-24 * time.Hour), Expires: now.Add(30 * 24 * time.Hour),
		}},
		Environments: []capability.Environment{
			{Name: "staging", Tier: capability.TierStaging, Owner: "payments", Deployers: []string{"payments"}},
			{Name: "prod", Tier: capability.TierProd, Owner: "appsec", Deployers: []string{"carol@acme.example"},
				Approvers: []string{"appsec", "ciso"}, Controls: []string{"C-1"},
				Promotion: capability.Promotion{From: "staging", Soak: capability.Duration(24 * time.Hour)}},
		},
	}
}

func control(m *capability.Map, i int) *capability.Control {
	return &m.Areas[0].Capabilities[0].Controls[i]
}

// TestValidateRules gives each validation rule a case that breaks it and a
// case that satisfies it in a way the base map does not already show.
func TestValidateRules(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(m *capability.Map)
		sentinel error // nil: the map must validate
		field    string
	}{
		{"valid map", func(*capability.Map) {}, nil, ""},

		{"map name required", func(m *capability.Map) { m.Name = "" }, capability.ErrRequired, "name"},
		{"programme owner required", func(m *capability.Map) { m.Owner = "" }, capability.ErrRequired, "owner"},
		{"programme owner must be declared", func(m *capability.Map) { m.Owner = "ceo" }, capability.ErrDanglingReference, "owner"},
		{"programme owner may be a team", func(m *capability.Map) { m.Owner = "appsec" }, nil, ""},

		{"owner id required", func(m *capability.Map) { m.Owners[1].ID = "" }, capability.ErrRequired, "owners[1].id"},
		{"owner ids unique", func(m *capability.Map) { m.Owners[2].ID = "appsec" }, capability.ErrDuplicateID, "owners[2].id"},
		{"owner kind required", func(m *capability.Map) { m.Owners[0].Kind = "" }, capability.ErrRequired, "owners[0].kind"},
		{"person needs a contact", func(m *capability.Map) { m.Owners[0].Contact = "" }, capability.ErrRequired, "owners[0].contact"},
		{"team needs a contact or members", func(m *capability.Map) { m.Owners[2].Members = nil }, capability.ErrRequired, "owners[2].contact"},
		{"team with a contact and no members", func(m *capability.Map) { m.Owners[1].Members = nil }, nil, ""},

		{"area ids unique", func(m *capability.Map) {
			m.Areas = append(m.Areas, capability.Area{ID: capability.SupplyChain, Title: "Again"})
		}, capability.ErrDuplicateID, "areas[1].id"},
		{"area title required", func(m *capability.Map) { m.Areas[0].Title = "" }, capability.ErrRequired, "areas[0].title"},
		{"area owner must be declared", func(m *capability.Map) { m.Areas[0].Owner = "sec" }, capability.ErrDanglingReference, "areas[0].owner"},
		{"second area without capabilities", func(m *capability.Map) {
			m.Areas = append(m.Areas, capability.Area{ID: capability.Reliability, Title: "Reliability"})
		}, nil, ""},

		{"capability ids unique across areas", func(m *capability.Map) {
			m.Areas = append(m.Areas, capability.Area{ID: capability.Reliability, Title: "R", Owner: "ciso",
				Capabilities: []capability.Capability{{ID: "sbom", Title: "Again"}}})
		}, capability.ErrDuplicateID, "areas[1].capabilities[0].id"},
		{"capability owner must be declared", func(m *capability.Map) { m.Areas[0].Capabilities[0].Owner = "x" }, capability.ErrDanglingReference, "areas[0].capabilities[0].owner"},

		{"control ids unique across the map", func(m *capability.Map) { control(m, 1).ID = "C-1" }, capability.ErrDuplicateID, "areas[0].capabilities[0].controls[1].id"},
		{"control title required", func(m *capability.Map) { control(m, 0).Title = "" }, capability.ErrRequired, "areas[0].capabilities[0].controls[0].title"},
		{"control enforcement required", func(m *capability.Map) { control(m, 1).Enforcement = "" }, capability.ErrRequired, "areas[0].capabilities[0].controls[1].enforcement"},
		{"control owner must be declared", func(m *capability.Map) { control(m, 0).Owner = "x" }, capability.ErrDanglingReference, "areas[0].capabilities[0].controls[0].owner"},
		{"control needs an owner", func(m *capability.Map) { m.Areas[0].Owner = "" }, capability.ErrNoOwner, "areas[0].capabilities[0].controls[0].owner"},
		{"control owner of its own, area without one", func(m *capability.Map) {
			m.Areas[0].Owner = ""
			control(m, 0).Owner = "appsec"
			m.Areas[0].Capabilities[0].Owner = "payments"
		}, nil, ""},
		{"stages listed once", func(m *capability.Map) { control(m, 0).Stages = []capability.Stage{capability.Build, capability.Build} }, capability.ErrDuplicateID, "areas[0].capabilities[0].controls[0].stages[1]"},
		{"evidence names a predicate type", func(m *capability.Map) { control(m, 0).Evidence[0].PredicateType = "" }, capability.ErrRequired, "areas[0].capabilities[0].controls[0].evidence[0].predicate_type"},

		{"mandatory control must be enforceable", func(m *capability.Map) {
			c := control(m, 0)
			c.Evidence, c.Policy = nil, ""
		}, capability.ErrUnenforceable, "areas[0].capabilities[0].controls[0]"},
		{"mandatory control checked by policy alone", func(m *capability.Map) { control(m, 0).Evidence = nil }, nil, ""},
		{"mandatory control checked by evidence alone", func(m *capability.Map) { control(m, 0).Policy = "" }, nil, ""},
		{"mandatory control explicitly manual", func(m *capability.Map) { control(m, 1).Enforcement = capability.Mandatory }, nil, ""},
		{"advisory control with nothing to check it", func(m *capability.Map) { control(m, 1).Manual = false }, nil, ""},
		{"manual control must not name a policy", func(m *capability.Map) { control(m, 1).Policy = "data.paved.review" }, capability.ErrUnenforceable, "areas[0].capabilities[0].controls[1].manual"},
		{"policy is a data reference", func(m *capability.Map) { control(m, 0).Policy = "paved.build; rm -rf" }, capability.ErrInvalidValue, "areas[0].capabilities[0].controls[0].policy"},

		{"mapping to an unknown framework", func(m *capability.Map) { control(m, 0).Mappings["iso27001"] = []string{"A.8.28"} }, capability.ErrDanglingReference, "areas[0].capabilities[0].controls[0].mappings.iso27001"},
		{"mapping to an unknown entry", func(m *capability.Map) { control(m, 0).Mappings[capability.SSDF] = []string{"PS.3.2", "PS.9.9"} }, capability.ErrDanglingReference, "areas[0].capabilities[0].controls[0].mappings.ssdf[1]"},
		{"mapping to a framework the map declares", func(m *capability.Map) {
			m.Catalogs = []capability.Catalog{{ID: "iso27001", Version: "2022", Entries: []capability.CatalogEntry{{ID: "A.8.28"}}}}
			control(m, 0).Mappings["iso27001"] = []string{"A.8.28"}
		}, nil, ""},
		{"map catalog must not shadow a built-in", func(m *capability.Map) {
			m.Catalogs = []capability.Catalog{{ID: capability.SSDF, Version: "9"}}
		}, capability.ErrDuplicateID, "catalogs[0].id"},
		{"map catalog entries unique", func(m *capability.Map) {
			m.Catalogs = []capability.Catalog{{ID: "x", Version: "1", Entries: []capability.CatalogEntry{{ID: "a"}, {ID: "a"}}}}
		}, capability.ErrDuplicateID, "catalogs[0].entries[1].id"},
		{"map catalog version required", func(m *capability.Map) { m.Catalogs = []capability.Catalog{{ID: "x"}} }, capability.ErrRequired, "catalogs[0].version"},

		{"exception id required", func(m *capability.Map) { m.Exceptions[0].ID = "" }, capability.ErrRequired, "exceptions[0].id"},
		{"exception ids unique", func(m *capability.Map) { m.Exceptions = append(m.Exceptions, m.Exceptions[0]) }, capability.ErrDuplicateID, "exceptions[1].id"},
		{"exception names an existing control", func(m *capability.Map) { m.Exceptions[0].Control = "C-404" }, capability.ErrDanglingReference, "exceptions[0].control"},
		{"exception has a reason", func(m *capability.Map) { m.Exceptions[0].Reason = "  " }, capability.ErrRequired, "exceptions[0].reason"},
		{"exception has a requester", func(m *capability.Map) { m.Exceptions[0].RequestedBy = "" }, capability.ErrRequired, "exceptions[0].requested_by"},
		{"exception has an approver", func(m *capability.Map) { m.Exceptions[0].ApprovedBy = "" }, capability.ErrRequired, "exceptions[0].approved_by"},
		{"exception approved by its requester", func(m *capability.Map) { m.Exceptions[0].ApprovedBy = m.Exceptions[0].RequestedBy }, capability.ErrSelfApproval, "exceptions[0].approved_by"},
		{"approver outside the policy's approvers", func(m *capability.Map) { m.ExceptionPolicy.Approvers = []string{"ciso"} }, capability.ErrUnauthorizedApprover, "exceptions[0].approved_by"},
		{"approver is the person the policy names", func(m *capability.Map) {
			m.ExceptionPolicy.Approvers = []string{"ciso"}
			m.Exceptions[0].ApprovedBy = "ciso@acme.example"
		}, nil, ""},
		{"approver in a team the policy names", func(m *capability.Map) { m.ExceptionPolicy.Approvers = []string{"ciso", "appsec"} }, nil, ""},
		{"policy approvers must be declared", func(m *capability.Map) { m.ExceptionPolicy.Approvers = []string{"board"} }, capability.ErrDanglingReference, "exception_policy.approvers[0]"},
		{"exception has an expiry", func(m *capability.Map) { m.Exceptions[0].Expires = time.Time{} }, capability.ErrRequired, "exceptions[0].expires"},
		{"expiry in the past", func(m *capability.Map) { m.Exceptions[0].Expires = now.Add(-time.Minute) }, capability.ErrExpired, "exceptions[0].expires"},
		{"expiry exactly now has passed", func(m *capability.Map) { m.Exceptions[0].Expires = now }, capability.ErrExpired, "exceptions[0].expires"},
		{"expiry beyond the default maximum", func(m *capability.Map) { m.Exceptions[0].Expires = m.Exceptions[0].Granted.Add(91 * 24 * time.Hour) }, capability.ErrExpiryTooLong, "exceptions[0].expires"},
		{"expiry at the default maximum", func(m *capability.Map) { m.Exceptions[0].Expires = m.Exceptions[0].Granted.Add(90 * 24 * time.Hour) }, nil, ""},
		{"expiry beyond the map's maximum", func(m *capability.Map) { m.ExceptionPolicy.MaxDuration = capability.Days(14) }, capability.ErrExpiryTooLong, "exceptions[0].expires"},
		{"maximum counted from now without a grant time", func(m *capability.Map) {
			m.Exceptions[0].Granted = time.Time{}
			m.Exceptions[0].Expires = now.Add(91 * 24 * time.Hour)
		}, capability.ErrExpiryTooLong, "exceptions[0].expires"},
		{"expiry before grant", func(m *capability.Map) { m.Exceptions[0].Granted = now.Add(40 * 24 * time.Hour) }, capability.ErrInvalidValue, "exceptions[0].expires"},

		{"environment name required", func(m *capability.Map) { m.Environments[0].Name = "" }, capability.ErrRequired, "environments[0].name"},
		{"environment names unique", func(m *capability.Map) { m.Environments[1].Name = "staging" }, capability.ErrDuplicateID, "environments[1].name"},
		{"environment tier required", func(m *capability.Map) { m.Environments[0].Tier = "" }, capability.ErrRequired, "environments[0].tier"},
		{"environment owner required", func(m *capability.Map) { m.Environments[0].Owner = "" }, capability.ErrRequired, "environments[0].owner"},
		{"environment owner must be declared", func(m *capability.Map) { m.Environments[0].Owner = "ops" }, capability.ErrDanglingReference, "environments[0].owner"},
		{"environment needs a deployer", func(m *capability.Map) { m.Environments[0].Deployers = nil }, capability.ErrRequired, "environments[0].deployers"},
		{"deployer unknown to the map", func(m *capability.Map) {
			m.Environments[1].Deployers = append(m.Environments[1].Deployers, "mallory@evil.example")
		}, capability.ErrUnknownIdentity, "environments[1].deployers[1]"},
		{"approver unknown to the map", func(m *capability.Map) { m.Environments[1].Approvers[1] = "board" }, capability.ErrUnknownIdentity, "environments[1].approvers[1]"},
		{"deployer is a person's contact and approver a team member", func(m *capability.Map) {
			m.Environments[1].Deployers = []string{"ciso@acme.example"}
			m.Environments[1].Approvers = []string{"alice@acme.example"}
		}, nil, ""},
		{"required control not in the map", func(m *capability.Map) { m.Environments[1].Controls = []string{"C-1", "C-404"} }, capability.ErrDanglingReference, "environments[1].controls[1]"},
		{"required control listed twice", func(m *capability.Map) { m.Environments[1].Controls = []string{"C-1", "C-1"} }, capability.ErrDuplicateID, "environments[1].controls[1]"},
		{"several required controls", func(m *capability.Map) { m.Environments[1].Controls = []string{"C-1", "C-2"} }, nil, ""},
		{"promotion from an undeclared environment", func(m *capability.Map) { m.Environments[1].Promotion.From = "qa" }, capability.ErrDanglingReference, "environments[1].promotion.from"},
		{"a soak needs an environment to soak in", func(m *capability.Map) { m.Environments[1].Promotion.From = "" }, capability.ErrRequired, "environments[1].promotion.from"},
		{"first in the promotion order", func(m *capability.Map) { m.Environments[1].Promotion = capability.Promotion{} }, nil, ""},
		{"promotion cycle of two", func(m *capability.Map) {
			m.Environments[0].Promotion = capability.Promotion{From: "prod"}
		}, capability.ErrPromotionCycle, "environments[0].promotion.from"},
		{"promotion from itself", func(m *capability.Map) { m.Environments[1].Promotion.From = "prod" }, capability.ErrPromotionCycle, "environments[1].promotion.from"},
		{"promotion chain of three without a soak", func(m *capability.Map) {
			m.Environments = append(m.Environments, capability.Environment{Name: "dev", Tier: capability.TierDev, Owner: "payments", Deployers: []string{"payments"}})
			m.Environments[0].Promotion = capability.Promotion{From: "dev"}
		}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validMap()
			tt.mutate(m)
			err := m.ValidateAt(now)
			if tt.sentinel == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.sentinel)
			var fields []string
			for _, fe := range fieldErrors(t, err) {
				if errors.Is(fe, tt.sentinel) {
					fields = append(fields, fe.Field)
				}
			}
			assert.Contains(t, fields, tt.field)
		})
	}
}

func TestValidateUsesTheClock(t *testing.T) {
	m := validMap()
	require.NoError(t, m.ValidateAt(now))
	assert.ErrorIs(t, m.ValidateAt(m.Exceptions[0].Expires.Add(time.Second)), capability.ErrExpired)
}

func TestLoadValidatesWithTheInjectedClock(t *testing.T) {
	later := func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }
	_, err := capability.LoadFile("testdata/valid.yaml", capability.WithClock(later))
	require.ErrorIs(t, err, capability.ErrExpired)
	// The error points at the expiry in the file.
	assert.Contains(t, err.Error(), "testdata/valid.yaml:63:14: exceptions[0].expires: exception expired")
}
