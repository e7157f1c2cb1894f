package capability_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
)

// now is the fixed clock of the tests.
var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func TestLoadFileYAMLAndJSONAgree(t *testing.T) {
	fromYAML, err := capability.LoadFile("testdata/valid.yaml", capability.WithClock(clock))
	require.NoError(t, err)
	fromJSON, err := capability.LoadFile("testdata/valid.json", capability.WithClock(clock))
	require.NoError(t, err)

	// Loaded maps remember different sources; compare their content.
	assert.Equal(t, stripSource(fromYAML), stripSource(fromJSON))

	assert.Equal(t, "Acme DevSecOps", fromYAML.Name)
	l, ok := fromYAML.Control("ACME-SBOM-1")
	require.True(t, ok)
	assert.Equal(t, capability.SupplyChain, l.Area.ID)
	assert.Equal(t, "sbom", l.Capability.ID)
	assert.Equal(t, "appsec", l.OwnerID())
	assert.Equal(t, capability.Mandatory, l.Control.Enforcement)
	assert.Equal(t, []capability.Stage{capability.Build}, l.Control.Stages)
	assert.Equal(t, capability.Days(14), l.Control.Evidence[0].MaxAge)
	assert.Equal(t, map[string][]string{"ssdf": {"PS.3.2"}, "iso27001": {"A.8.28"}}, l.Control.Mappings)
	assert.Equal(t, capability.Days(30), fromYAML.ExceptionPolicy.MaxDuration)

	ex := fromYAML.Exceptions[0]
	assert.Equal(t, time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), ex.Expires)
	assert.Equal(t, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), ex.Granted)
	assert.Equal(t, []string{"legacy-billing"}, ex.Scope.Services)

	manual, ok := fromYAML.Control("ACME-SBOM-2")
	require.True(t, ok)
	assert.True(t, manual.Control.Manual)
	assert.Equal(t, capability.DeliveryWork, manual.Work())
	assert.Equal(t, "payments", manual.OwnerID())

	prod, ok := fromYAML.Environment("prod")
	require.True(t, ok)
	assert.Equal(t, capability.Promotion{From: "staging", Soak: capability.Days(2)}, prod.Promotion)
	assert.Equal(t, []string{"ACME-SBOM-1"}, prod.Controls)
}

// stripSource returns a copy of m without its record of field positions.
func stripSource(m *capability.Map) capability.Map {
	return capability.Map{
		Name: m.Name, Owner: m.Owner, Owners: m.Owners, Areas: m.Areas,
		ExceptionPolicy: m.ExceptionPolicy, Exceptions: m.Exceptions, Catalogs: m.Catalogs, Environments: m.Environments,
	}
}

// fieldErrors unpacks a joined error into its *FieldError values, failing
// the test if any part is not one.
func fieldErrors(t *testing.T, err error) []*capability.FieldError {
	t.Helper()
	require.Error(t, err)
	var parts []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	} else {
		parts = []error{err}
	}
	out := make([]*capability.FieldError, 0, len(parts))
	for _, p := range parts {
		var fe *capability.FieldError
		require.True(t, errors.As(p, &fe), "not a *FieldError: %v", p)
		out = append(out, fe)
	}
	return out
}

// minimal is a valid map document that the decode cases below break.
const minimal = `name: m
owner: o
owners:
  - id: o
    kind: person
    contact: o@example.com
areas:
  - id: governance
    title: Governance
    owner: o
`

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name      string
		doc       string
		sentinel  error
		field     string
		line, col int
	}{
		{"malformed YAML", "name: [unterminated\n", capability.ErrSyntax, "", 1, 0},
		{"malformed JSON", "{\"name\": \"m\",\n \"owner\": }\n", capability.ErrSyntax, "", 2, 11},
		{"JSON with trailing comma", "{\"name\": \"m\",\n}", capability.ErrSyntax, "", 2, 1},
		{"JSON after a byte-order mark", "\ufeff{\"name\": \"m\",}", capability.ErrSyntax, "", 1, 14},
		{"empty document", "", capability.ErrSyntax, "", 0, 0},
		{"two documents", minimal + "---\nname: other\n", capability.ErrSyntax, "", 0, 0},
		{"unknown top-level field", minimal + "owner_email: x\n", capability.ErrUnknownField, "owner_email", 11, 1},
		{"unknown nested field", strings.Replace(minimal, "    owner: o\n", "    owner: o\n    ownr: o\n", 1), capability.ErrUnknownField, "areas[0].ownr", 11, 5},
		{"duplicate key", minimal + "name: again\n", capability.ErrDuplicateField, "name", 11, 1},
		{"list where a string belongs", strings.Replace(minimal, "name: m", "name: [m]", 1), capability.ErrInvalidValue, "name", 1, 7},
		{"object where a list belongs", strings.Replace(minimal, "owners:\n", "owners: {}\nx:\n", 1), capability.ErrInvalidValue, "owners", 3, 9},
		{"unknown area", strings.Replace(minimal, "id: governance", "id: marketing", 1), capability.ErrInvalidValue, "areas[0].id", 8, 9},
		{"unknown owner kind", strings.Replace(minimal, "kind: person", "kind: robot", 1), capability.ErrInvalidValue, "owners[0].kind", 5, 11},
		{"bad duration", minimal + "exception_policy:\n  max_duration: forever\n", capability.ErrInvalidValue, "exception_policy.max_duration", 12, 17},
		{"negative duration", minimal + "exception_policy:\n  max_duration: -3h\n", capability.ErrInvalidValue, "exception_policy.max_duration", 12, 17},
		{"bad time", minimal + "exceptions:\n  - expires: tomorrow\n", capability.ErrInvalidValue, "exceptions[0].expires", 12, 14},
		{"YAML alias", "name: &n m\nowner: *n\n", capability.ErrInvalidValue, "owner", 2, 8},
		{"duplicate list key", minimal + "areas:\n", capability.ErrDuplicateField, "areas", 11, 1},
		{"not true or false", strings.Replace(minimal, "    owner: o\n", "    owner: o\n    capabilities:\n      - id: c\n        title: C\n        controls:\n          - id: K\n            manual: yes\n", 1), capability.ErrInvalidValue, "areas[0].capabilities[0].controls[0].manual", 16, 21},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := capability.Load(strings.NewReader(tt.doc), capability.WithClock(clock), capability.WithFilename("map.yaml"))
			assert.ErrorIs(t, err, tt.sentinel)
			fes := fieldErrors(t, err)
			fe := fes[0]
			assert.Equal(t, "map.yaml", fe.File)
			assert.Equal(t, tt.field, fe.Field)
			assert.Equal(t, tt.line, fe.Line, "line")
			assert.Equal(t, tt.col, fe.Column, "column")
		})
	}
}

func TestLoadRejectsOversizedDocument(t *testing.T) {
	doc := minimal + "# " + strings.Repeat("x", capability.MaxDocumentSize) + "\n"
	_, err := capability.Load(strings.NewReader(doc))
	assert.ErrorIs(t, err, capability.ErrTooLarge)
}

func TestLoadReportsEveryProblemWithItsLocation(t *testing.T) {
	doc := `name: m
owner: nobody
owners:
  - id: o
    kind: person
    contact: o@example.com
  - id: o
    kind: team
    contact: t@example.com
areas:
  - id: pipeline
    title: Pipeline
    capabilities:
      - id: build
        title: Build
        controls:
          - id: C-1
            title: SBOM
            enforcment: mandatory
          - id: C-1
            title: Provenance
            enforcement: mandatory
exceptions:
  - id: E-1
    control: C-9
    reason: because
    requested_by: a@example.com
    approved_by: a@example.com
    expires: 2026-12-01
`
	// The unknown field stops decoding before validation; fix it to see the
	// validation problems, all at once.
	_, err := capability.Load(strings.NewReader(doc), capability.WithClock(clock), capability.WithFilename("map.yaml"))
	assert.ErrorIs(t, err, capability.ErrUnknownField)
	assert.Contains(t, err.Error(), "capability: map.yaml:19:13: areas[0].capabilities[0].controls[0].enforcment: unknown field")

	doc = strings.Replace(doc, "enforcment", "enforcement", 1)
	_, err = capability.Load(strings.NewReader(doc), capability.WithClock(clock), capability.WithFilename("map.yaml"))
	type found struct {
		sentinel error
		field    string
		line     int
	}
	var got []found
	sentinels := []error{capability.ErrDanglingReference, capability.ErrDuplicateID, capability.ErrNoOwner,
		capability.ErrUnenforceable, capability.ErrSelfApproval}
	for _, fe := range fieldErrors(t, err) {
		for _, s := range sentinels {
			if errors.Is(fe, s) {
				got = append(got, found{s, fe.Field, fe.Line})
			}
		}
	}
	assert.ElementsMatch(t, []found{
		{capability.ErrDanglingReference, "owner", 2},
		{capability.ErrDuplicateID, "owners[1].id", 7},
		{capability.ErrNoOwner, "areas[0].capabilities[0].controls[0].owner", 17},
		{capability.ErrUnenforceable, "areas[0].capabilities[0].controls[0]", 17},
		{capability.ErrNoOwner, "areas[0].capabilities[0].controls[1].owner", 20},
		{capability.ErrDuplicateID, "areas[0].capabilities[0].controls[1].id", 20},
		{capability.ErrUnenforceable, "areas[0].capabilities[0].controls[1]", 20},
		{capability.ErrDanglingReference, "exceptions[0].control", 25},
		{capability.ErrSelfApproval, "exceptions[0].approved_by", 28},
	}, got)
}

func TestLoadFileMissing(t *testing.T) {
	_, err := capability.LoadFile(filepath.Join(t.TempDir(), "absent.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestFieldErrorMessage(t *testing.T) {
	_, err := capability.Load(strings.NewReader(minimal+"extra: 1\n"), capability.WithFilename("devsecops.yaml"))
	assert.EqualError(t, err, `capability: devsecops.yaml:11:1: extra: unknown field: "extra" is not a field of map`)

	_, err = capability.Load(strings.NewReader(minimal + "extra: 1\n"))
	assert.EqualError(t, err, `capability: line:11:1: extra: unknown field: "extra" is not a field of map`)
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		str  string
	}{
		{"90d", 90 * 24 * time.Hour, "90d"},
		{"2w", 14 * 24 * time.Hour, "14d"},
		{"36h", 36 * time.Hour, "36h0m0s"},
		{"0", 0, "0s"},
	}
	for _, tt := range tests {
		var d capability.Duration
		require.NoError(t, d.UnmarshalText([]byte(tt.in)), tt.in)
		assert.Equal(t, tt.want, time.Duration(d), tt.in)
		assert.Equal(t, tt.str, d.String(), tt.in)
		text, err := d.MarshalText()
		require.NoError(t, err)
		var back capability.Duration
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, d, back)
	}
	for _, bad := range []string{"", "d", "-1d", "1.5d", "9999999d", "soon", "-5m"} {
		var d capability.Duration
		assert.Error(t, d.UnmarshalText([]byte(bad)), bad)
	}
}
