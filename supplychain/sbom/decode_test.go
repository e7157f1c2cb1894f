package sbom_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/sbom"
)

func decodeFile(t *testing.T, name string) *sbom.SBOM {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	s, err := sbom.Decode(f)
	require.NoError(t, err)
	return s
}

func TestDecodeCycloneDXJSON(t *testing.T) {
	s := decodeFile(t, "app.cdx.json")
	assert.Equal(t, sbom.CycloneDXJSON, s.Format)
	assert.Equal(t, "1.5", s.SpecVersion)
	assert.Equal(t, "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", s.SerialNumber)
	assert.Equal(t, "shop", s.Name)
	assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), s.Created)
	assert.Equal(t, []string{"Build Team", "tool: shopbuild 2.1.0"}, s.Authors)
	assert.Equal(t, "app", s.Root)
	require.Len(t, s.Components, 4)
	assert.Equal(t, sbom.Component{
		Ref: "text", Type: "library", Name: "golang.org/x/text", Version: "v0.3.7",
		PURL:     "pkg:golang/golang.org/x/text@v0.3.7",
		Hashes:   []sbom.Hash{{Algorithm: sbom.SHA256, Value: "2a2a8d3f4e7f9b5ab1ae7c8ecbd3e1df4c1a0a8a8b1b0e0f4f5b1b0e0f4f5b1b"}},
		Licenses: []string{"BSD-3-Clause"},
		Supplier: "The Go Authors",
	}, s.Components[1])
	api, ok := s.Component("log4j-api")
	require.True(t, ok, "nested component flattened")
	assert.Equal(t, "org.apache.logging.log4j", api.Group)
	assert.Equal(t, []string{"Apache License 2.0"}, api.Licenses)
	log4j, _ := s.Component("log4j")
	assert.Equal(t, []string{"Apache-2.0"}, log4j.Licenses)
	assert.Equal(t, []sbom.Dependency{
		{Ref: "app", DependsOn: []string{"log4j", "text"}},
		{Ref: "log4j", DependsOn: []string{"log4j-api"}},
	}, s.Dependencies)
	assert.Equal(t, []string{"log4j", "text"}, s.DependsOn("app"))
	assert.Nil(t, s.DependsOn("text"))
}

func TestDecodeCycloneDXXML(t *testing.T) {
	s := decodeFile(t, "app.cdx.xml")
	assert.Equal(t, sbom.CycloneDXXML, s.Format)
	assert.Equal(t, "1.4", s.SpecVersion)
	assert.Equal(t, "app", s.Root)
	text, ok := s.Component("text")
	require.True(t, ok)
	assert.Equal(t, "pkg:golang/golang.org/x/text@v0.3.7", text.PURL)
	assert.Equal(t, "The Go Authors", text.Supplier)
	assert.Equal(t, []string{"BSD-3-Clause"}, text.Licenses)
	assert.Equal(t, []sbom.Hash{{Algorithm: sbom.SHA256, Value: "2a2a8d3f4e7f9b5ab1ae7c8ecbd3e1df4c1a0a8a8b1b0e0f4f5b1b0e0f4f5b1b"}}, text.Hashes)
	assert.Equal(t, []sbom.Dependency{{Ref: "app", DependsOn: []string{"text"}}}, s.Dependencies)
}

func TestDecodeSPDX(t *testing.T) {
	s := decodeFile(t, "app.spdx.json")
	assert.Equal(t, sbom.SPDXJSON, s.Format)
	assert.Equal(t, "SPDX-2.3", s.SpecVersion)
	assert.Equal(t, "https://example.com/spdx/shop-1.4.0", s.SerialNumber)
	assert.Equal(t, "shop-1.4.0", s.Name)
	assert.Equal(t, []string{"Tool: shopbuild-2.1.0", "Organization: Example Inc."}, s.Authors)
	assert.Equal(t, "SPDXRef-app", s.Root)
	require.Len(t, s.Components, 3, "files are not components")
	app := s.Components[0]
	assert.Equal(t, "application", app.Type)
	assert.Equal(t, []string{"MIT"}, app.Licenses, "declared license when the concluded one is NOASSERTION")
	assert.Equal(t, "Example Inc.", app.Supplier)
	assert.Equal(t, "pkg:golang/example.com/shop@v1.4.0", app.PURL)
	text := s.Components[1]
	assert.Equal(t, []sbom.Hash{{Algorithm: sbom.SHA256, Value: "2a2a8d3f4e7f9b5ab1ae7c8ecbd3e1df4c1a0a8a8b1b0e0f4f5b1b0e0f4f5b1b"}}, text.Hashes)
	assert.Equal(t, []string{"BSD-3-Clause"}, text.Licenses)
	assert.Empty(t, s.Components[2].Supplier, "NOASSERTION is no supplier")
	assert.Equal(t, []sbom.Dependency{{Ref: "SPDXRef-app", DependsOn: []string{"SPDXRef-log4j", "SPDXRef-text"}}}, s.Dependencies)
}

func TestDecodeSameModelFromEveryFormat(t *testing.T) {
	cdxJSON := decodeFile(t, "app.cdx.json")
	spdx := decodeFile(t, "app.spdx.json")
	purls := func(s *sbom.SBOM) map[string]bool {
		m := map[string]bool{}
		for _, c := range s.Components {
			if strings.Contains(c.PURL, "golang") {
				m[c.PURL] = true
			}
		}
		return m
	}
	assert.Equal(t, purls(cdxJSON), purls(spdx))
}

func TestDecodeRejects(t *testing.T) {
	for _, tc := range []struct {
		name, doc   string
		unsupported bool
		line, col   int
		field       string
	}{
		{name: "empty", doc: "  "},
		{name: "not json or xml", doc: "hello", unsupported: true, line: 1, col: 1},
		{name: "neither format", doc: `{"a":1}`, unsupported: true},
		{name: "syntax error", doc: "{\"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.6\",\n  \"version\": 1,,\n}", line: 3, col: 16},
		{name: "type error", doc: "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\",\n \"components\": [{\"name\": 5}]}", line: 2, col: 26, field: "components.name"},
		{name: "old cyclonedx", doc: `{"bomFormat": "CycloneDX", "specVersion": "1.1", "version": 1}`, unsupported: true, field: "specVersion"},
		{name: "unknown cyclonedx", doc: `{"bomFormat": "CycloneDX", "specVersion": "9.9", "version": 1}`, unsupported: true, field: "specVersion"},
		{name: "component without name", doc: `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library"}]}`, field: "components[0].name"},
		{name: "duplicate ref", doc: `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library", "name": "a", "bom-ref": "x"}, {"type": "library", "name": "b", "bom-ref": "x"}]}`, field: "components[1].ref"},
		{name: "dangling dependency", doc: `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library", "name": "a", "bom-ref": "x"}], "dependencies": [{"ref": "x", "dependsOn": ["y"]}]}`, field: "dependencies[0].dependsOn[0]"},
		{name: "bad timestamp", doc: `{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"timestamp": "yesterday"}}`, field: "metadata.timestamp"},
		{name: "old spdx", doc: `{"spdxVersion": "SPDX-2.1", "SPDXID": "SPDXRef-DOCUMENT"}`, unsupported: true, field: "spdxVersion"},
		{name: "spdx dangling relationship", doc: `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": [{"SPDXID": "SPDXRef-a", "name": "a"}], "relationships": [{"spdxElementId": "SPDXRef-a", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-b"}]}`, field: "relationships[0].relatedSpdxElement"},
		{name: "xml namespace", doc: `<bom xmlns="http://cyclonedx.org/schema/bom/1.1" version="1"></bom>`, unsupported: true, field: "bom.xmlns"},
		{name: "xml syntax", doc: "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\">\n<components>\n</bom>", line: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sbom.Decode(strings.NewReader(tc.doc))
			require.Error(t, err)
			assert.ErrorIs(t, err, sbom.ErrInvalidSBOM)
			assert.Equal(t, tc.unsupported, errors.Is(err, sbom.ErrUnsupported), "ErrUnsupported: %v", err)
			var e *sbom.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.line, e.Line, "line: %v", err)
			if tc.col != 0 {
				assert.Equal(t, tc.col, e.Column, "column: %v", err)
			}
			assert.Equal(t, tc.field, e.Field, "field: %v", err)
		})
	}
}

func TestDecodeTooLarge(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`{"bomFormat":"CycloneDX","x":"`), zeros{})
	_, err := sbom.Decode(r, sbom.WithMaxSize(1<<20))
	assert.ErrorIs(t, err, sbom.ErrTooLarge)
	_, err = sbom.Decode(strings.NewReader("{}"), sbom.WithMaxSize(0))
	assert.ErrorContains(t, err, "WithMaxSize")
}

// zeros is an endless reader of '0' bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	copy(p, bytes.Repeat([]byte{'0'}, len(p)))
	return len(p), nil
}

func TestDecodeKeepsDependencyCycles(t *testing.T) {
	doc := `{"bomFormat": "CycloneDX", "specVersion": "1.6",
	  "components": [{"type": "library", "name": "a", "bom-ref": "a"}, {"type": "library", "name": "b", "bom-ref": "b"}, {"type": "library", "name": "c", "bom-ref": "c"}],
	  "dependencies": [{"ref": "a", "dependsOn": ["b"]}, {"ref": "b", "dependsOn": ["c"]}, {"ref": "c", "dependsOn": ["a", "c"]}]}`
	s, err := sbom.Decode(strings.NewReader(doc))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "c"}, s.DependsOn("c"), "a cycle, and a self-edge, are kept as the document states them")
	assert.True(t, sbom.Diff(s, s).Empty())
}
