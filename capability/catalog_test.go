package capability_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
)

func TestCatalogs(t *testing.T) {
	cs, err := capability.Catalogs()
	require.NoError(t, err)
	byID := map[string]capability.Catalog{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	for _, fw := range []string{capability.SSDF, capability.SLSA, capability.Scorecard, capability.NIST80053, capability.SOC2, capability.CISSSC} {
		c, ok := byID[fw]
		require.True(t, ok, "built-in catalog %s", fw)
		assert.NotEmpty(t, c.Title, fw)
		assert.NotEmpty(t, c.Version, fw)
		assert.NotEmpty(t, c.Reference, fw)
		assert.NotEmpty(t, c.Entries, fw)
		seen := map[string]bool{}
		for _, e := range c.Entries {
			assert.NotEmpty(t, e.ID, fw)
			assert.NotEmpty(t, e.Title, "%s %s", fw, e.ID)
			assert.False(t, seen[e.ID], "%s lists %s twice", fw, e.ID)
			seen[e.ID] = true
		}
	}
	assert.Len(t, cs, 6)

	// A few IDs each framework certainly has, and ones it does not.
	has := func(fw, id string) bool {
		c := byID[fw]
		_, ok := c.Entry(id)
		return ok
	}
	assert.True(t, has(capability.SSDF, "PS.3.2"))
	assert.False(t, has(capability.SSDF, "PW.3.1"), "PW.3 moved into PW.4 in SSDF 1.1")
	assert.True(t, has(capability.SLSA, "build-l3"))
	assert.True(t, has(capability.Scorecard, "Signed-Releases"))
	assert.True(t, has(capability.NIST80053, "SA-11(1)"))
	assert.False(t, has(capability.NIST80053, "SA-12"), "SA-12 was withdrawn in rev5")
	assert.True(t, has(capability.SOC2, "CC8.1"))
	assert.True(t, has(capability.CISSSC, "2.4.5"))
}

func TestCatalogsReturnsACopy(t *testing.T) {
	cs, err := capability.Catalogs()
	require.NoError(t, err)
	cs[0].Entries[0].ID = "tampered"
	again, err := capability.Catalogs()
	require.NoError(t, err)
	assert.NotEqual(t, "tampered", again[0].Entries[0].ID)
}

// TestDefaultMappingsExist checks every framework ID the default map uses
// against its catalog, independently of validation.
func TestDefaultMappingsExist(t *testing.T) {
	cs, err := capability.Catalogs()
	require.NoError(t, err)
	byID := map[string]*capability.Catalog{}
	for i := range cs {
		byID[cs[i].ID] = &cs[i]
	}
	used := map[string]int{}
	for l := range capability.Default().Controls() {
		for fw, ids := range l.Control.Mappings {
			c, ok := byID[fw]
			require.True(t, ok, "%s maps to unknown framework %s", l.Control.ID, fw)
			for _, id := range ids {
				_, ok := c.Entry(id)
				assert.True(t, ok, "%s maps to %s %s, which is not in the catalog", l.Control.ID, fw, id)
				used[fw]++
			}
		}
	}
	assert.Len(t, used, 6, "the default map uses every built-in framework")
}
