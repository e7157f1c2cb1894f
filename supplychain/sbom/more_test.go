package sbom_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sbom"
)

func TestNTIA(t *testing.T) {
	s := decodeFile(t, "app.cdx.json")
	assert.Equal(t, []sbom.Gap{
		{Ref: "app", Element: sbom.ElementSupplier},
		{Ref: "log4j", Element: sbom.ElementSupplier},
		{Ref: "log4j-api", Element: sbom.ElementSupplier},
	}, sbom.NTIA(s))

	bare := &sbom.SBOM{Components: []sbom.Component{{Ref: "a", Name: "a"}, {Ref: "b", Name: "b", Supplier: "B", Version: "1", PURL: "pkg:npm/b@1"}}}
	assert.Equal(t, []sbom.Gap{
		{Element: sbom.ElementAuthor},
		{Element: sbom.ElementTimestamp},
		{Element: sbom.ElementDependencies},
		{Ref: "a", Element: sbom.ElementSupplier},
		{Ref: "a", Element: sbom.ElementVersion},
		{Ref: "a", Element: sbom.ElementIdentifier},
	}, sbom.NTIA(bare))
	assert.Equal(t, "sbom: component a: missing version of the component", sbom.NTIA(bare)[4].String())
}

func TestDiff(t *testing.T) {
	old := &sbom.SBOM{Components: []sbom.Component{
		{Ref: "1", Name: "log4j-core", Version: "2.14.1", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		{Ref: "2", Name: "golang.org/x/text", Version: "v0.3.7", PURL: "pkg:golang/golang.org/x/text@v0.3.7"},
		{Ref: "3", Name: "lodash", Version: "4.17.20", PURL: "pkg:npm/lodash@4.17.20"},
		{Ref: "4", Name: "left-pad", Version: "1.0.0"},
	}}
	new := &sbom.SBOM{Components: []sbom.Component{
		{Ref: "a", Name: "log4j-core", Version: "2.17.1", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1?type=jar"},
		{Ref: "b", Name: "golang.org/x/text", Version: "v0.3.7", PURL: "pkg:golang/golang.org/x/text@v0.3.7"},
		{Ref: "c", Name: "express", Version: "4.18.0", PURL: "pkg:npm/express@4.18.0"},
		{Ref: "d", Name: "left-pad", Version: "1.0.0"},
	}}
	ch := sbom.Diff(old, new)
	require.Len(t, ch.Changed, 1)
	assert.Equal(t, "2.14.1", ch.Changed[0].Old.Version)
	assert.Equal(t, "2.17.1", ch.Changed[0].New.Version)
	require.Len(t, ch.Added, 1)
	assert.Equal(t, "express", ch.Added[0].Name)
	require.Len(t, ch.Removed, 1)
	assert.Equal(t, "lodash", ch.Removed[0].Name)
	assert.False(t, ch.Empty())
	assert.True(t, sbom.Diff(new, new).Empty())
}

func TestPredicate(t *testing.T) {
	for _, tc := range []struct{ file, typ string }{
		{"app.cdx.json", sbom.PredicateCycloneDX},
		{"app.spdx.json", sbom.PredicateSPDX},
	} {
		doc, err := os.ReadFile("testdata/" + tc.file)
		require.NoError(t, err)
		p, err := sbom.Predicate(doc)
		require.NoError(t, err)
		subject := supplychain.Subject{Name: "shop", Digest: supplychain.DigestSet{"sha256": "2a2a8d3f4e7f9b5ab1ae7c8ecbd3e1df4c1a0a8a8b1b0e0f4f5b1b0e0f4f5b1b"}}
		st, err := attest.Build(p, subject)
		require.NoError(t, err)
		assert.Equal(t, tc.typ, st.PredicateType())
		var back attest.Generic
		require.NoError(t, st.Decode(&back))
		s, err := sbom.Decode(bytes.NewReader(back.JSON))
		require.NoError(t, err)
		assert.Len(t, s.Components, map[string]int{"app.cdx.json": 4, "app.spdx.json": 3}[tc.file])
	}
	xml, err := os.ReadFile("testdata/app.cdx.xml")
	require.NoError(t, err)
	_, err = sbom.Predicate(xml)
	assert.ErrorIs(t, err, sbom.ErrUnsupported)
	_, err = sbom.Predicate([]byte(`{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{}]}`))
	assert.ErrorIs(t, err, sbom.ErrInvalidSBOM)
}
