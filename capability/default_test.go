package capability_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/capability"
)

func TestDefault(t *testing.T) {
	m := capability.Default()
	require.NoError(t, m.Validate())

	var areas []capability.AreaID
	for _, a := range m.Areas {
		areas = append(areas, a.ID)
		assert.NotEmpty(t, a.Capabilities, a.ID)
	}
	assert.Equal(t, capability.AreaIDs(), areas, "the eight areas in report order")

	s := m.Summarize()
	assert.GreaterOrEqual(t, s.Controls, 40)
	assert.Positive(t, s.Mandatory)
	assert.Positive(t, s.Advisory)

	stages := map[capability.Stage]int{}
	for l := range m.Controls() {
		assert.NotEmpty(t, l.Control.Mappings, "%s maps to no framework", l.Control.ID)
		assert.NotEmpty(t, l.OwnerID(), l.Control.ID)
		for _, st := range l.Control.Stages {
			stages[st]++
		}
	}
	for _, st := range capability.Stages() {
		assert.Positive(t, stages[st], "no control for stage %s", st)
	}

	sbom, ok := m.Control("DSO-BLD-04")
	require.True(t, ok)
	assert.Equal(t, "SBOM produced per artifact", sbom.Control.Title)
	assert.True(t, sbom.Control.AppliesTo(capability.Build))
	assert.False(t, sbom.Control.AppliesTo(capability.Operate))
}

func TestDefaultIsAFreshCopy(t *testing.T) {
	a := capability.Default()
	a.Areas[0].Title = "changed"
	assert.NotEqual(t, "changed", capability.Default().Areas[0].Title)
}

func TestDefaultDocumentLoads(t *testing.T) {
	doc := capability.DefaultDocument()
	m, err := capability.Load(bytes.NewReader(doc))
	require.NoError(t, err)
	assert.Equal(t, stripSource(capability.Default()), stripSource(m))
	doc[0] = '!'
	assert.NotEqual(t, byte('!'), capability.DefaultDocument()[0], "the caller owns its copy")
}

// BenchmarkLoadDefault loads and validates the default map. Beside it, the
// baseline: yaml.v3 decoding the same document straight into the same types,
// with no positions, no strictness and no validation.
func BenchmarkLoadDefault(b *testing.B) {
	doc := capability.DefaultDocument()
	b.Run("paved", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := capability.Load(bytes.NewReader(doc)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("yaml.v3-unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			var m capability.Map
			if err := yaml.Unmarshal(doc, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
