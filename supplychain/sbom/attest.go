package sbom

import (
	"bytes"
	"fmt"

	"github.com/paved-dev/paved/supplychain/attest"
)

// The in-toto predicate types of SBOM attestations.
const (
	PredicateCycloneDX = "https://cyclonedx.org/bom"
	PredicateSPDX      = "https://spdx.dev/Document"
)

var errUnsupportedXMLPredicate = fmt.Errorf("%w: an in-toto predicate is JSON; encode the BOM as CycloneDX JSON", ErrUnsupported)

// Predicate wraps a CycloneDX or SPDX JSON document as an in-toto
// predicate of its format's type (PredicateCycloneDX, PredicateSPDX), for
// attest.Build. The document must decode (see Decode); XML is refused with
// ErrUnsupported, since a predicate is JSON. The document is kept
// byte for byte.
func Predicate(doc []byte) (attest.Generic, error) {
	f, err := Detect(doc)
	if err != nil {
		return attest.Generic{}, err
	}
	typ := PredicateSPDX
	switch f {
	case CycloneDXXML:
		return attest.Generic{}, &Error{Format: f, Err: errUnsupportedXMLPredicate}
	case CycloneDXJSON:
		typ = PredicateCycloneDX
	}
	if _, err := decode(doc, f); err != nil {
		return attest.Generic{}, err
	}
	return attest.Generic{Type: typ, JSON: bytes.Clone(doc)}, nil
}
