package sbom

import (
	"fmt"
	"io"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// Encode writes bom as CycloneDX 1.6 in JSON or XML (f is CycloneDXJSON
// or CycloneDXXML), indented.
func Encode(w io.Writer, bom *cdx.BOM, f Format) error {
	var enc cdx.BOMEncoder
	switch f {
	case CycloneDXJSON:
		enc = cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	case CycloneDXXML:
		enc = cdx.NewBOMEncoder(w, cdx.BOMFileFormatXML)
	default:
		return fmt.Errorf("sbom: encode %q: %w (paved writes CycloneDX JSON and XML)", f, ErrUnsupported)
	}
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("sbom: encode: %w", err)
	}
	return nil
}

// FromCycloneDX normalizes a CycloneDX BOM held in memory, such as one
// GenerateModule made, as DecodeFormat would after encoding it.
func FromCycloneDX(bom *cdx.BOM) (*SBOM, error) {
	return fromCycloneDX(bom, "")
}
