package sbom_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/paved-dev/paved/supplychain/sbom"
)

// checkDecoded fails unless err is typed, or s passes its own checks.
func checkDecoded(t *testing.T, s *sbom.SBOM, err error) {
	if err != nil {
		if !errors.Is(err, sbom.ErrInvalidSBOM) && !errors.Is(err, sbom.ErrTooLarge) {
			t.Fatalf("untyped error: %v", err)
		}
		return
	}
	if err := s.Check(); err != nil {
		t.Fatalf("accepted SBOM fails its checks: %v", err)
	}
}

func addSeeds(f *testing.F, files ...string) {
	for _, name := range files {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzDecodeCycloneDX: decoding CycloneDX JSON or XML never panics, every
// error is typed, and what is accepted holds together.
func FuzzDecodeCycloneDX(f *testing.F) {
	addSeeds(f, "app.cdx.json", "app.cdx.xml")
	f.Add([]byte(`{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library", "name": "a", "bom-ref": "a", "components": [{"type": "library", "name": "b"}]}], "dependencies": [{"ref": "a", "dependsOn": ["a"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		f := sbom.CycloneDXJSON
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
			f = sbom.CycloneDXXML
		}
		s, err := sbom.DecodeFormat(bytes.NewReader(data), f, sbom.WithMaxSize(1<<20))
		checkDecoded(t, s, err)
	})
}

// FuzzDecodeSPDX: decoding SPDX JSON never panics, every error is typed,
// and what is accepted holds together.
func FuzzDecodeSPDX(f *testing.F) {
	addSeeds(f, "app.spdx.json")
	f.Add([]byte(`{"spdxVersion": "SPDX-2.2", "SPDXID": "SPDXRef-DOCUMENT", "packages": [{"SPDXID": "SPDXRef-a", "name": "a"}], "relationships": [{"spdxElementId": "SPDXRef-a", "relationshipType": "DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-a"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := sbom.DecodeFormat(bytes.NewReader(data), sbom.SPDXJSON, sbom.WithMaxSize(1<<20))
		checkDecoded(t, s, err)
	})
}
