package sbom

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
)

// Decode reads a CycloneDX (JSON or XML) or SPDX JSON document, whichever
// r holds, into the normalized model. See DecodeFormat for what each
// format yields.
func Decode(r io.Reader, opts ...DecodeOption) (*SBOM, error) {
	data, err := readLimited(r, opts)
	if err != nil {
		return nil, err
	}
	f, err := Detect(data)
	if err != nil {
		return nil, err
	}
	return decode(data, f)
}

// DecodeFormat reads a document in the given format into the normalized
// model:
//   - CycloneDX 1.2 to 1.7, JSON or XML: the metadata component (the root)
//     and every component, nested ones flattened; the dependencies;
//     licenses from license IDs, expressions or names; the supplier's
//     name, or else the publisher;
//   - SPDX 2.2 and 2.3 JSON: every package (files and snippets are not
//     components); DEPENDS_ON and the *DEPENDENCY_OF relationships between
//     packages as edges; the package DESCRIBES names the root; the purl
//     from the package-manager external reference; licenses concluded,
//     else declared, unless NOASSERTION or NONE.
//
// Errors are *Error values wrapping ErrInvalidSBOM (and ErrUnsupported for
// other spec versions), with the line and column of syntax errors and the
// field of structural ones, all of them joined; input beyond the size
// limit (MaxSize unless WithMaxSize says otherwise) yields ErrTooLarge.
func DecodeFormat(r io.Reader, f Format, opts ...DecodeOption) (*SBOM, error) {
	data, err := readLimited(r, opts)
	if err != nil {
		return nil, err
	}
	return decode(data, f)
}

// Detect says which format data is in, looking at the first byte and, for
// JSON, the top-level bomFormat and spdxVersion keys.
func Detect(data []byte) (Format, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		return "", &Error{Err: errors.New("empty document")}
	}
	switch trimmed[0] {
	case '<':
		return CycloneDXXML, nil
	case '{':
	default:
		return "", &Error{Line: 1, Column: 1 + len(data) - len(trimmed), Err: fmt.Errorf("%w: neither JSON nor XML (starts with %q)", ErrUnsupported, trimmed[0])}
	}
	// Cheap path: only one of the two keys appears anywhere.
	hasBOM, hasSPDX := bytes.Contains(data, []byte(`"bomFormat"`)), bytes.Contains(data, []byte(`"spdxVersion"`))
	switch {
	case hasBOM && !hasSPDX:
		return CycloneDXJSON, nil
	case hasSPDX && !hasBOM:
		return SPDXJSON, nil
	}
	var head struct {
		BOMFormat   *string `json:"bomFormat"`
		SPDXVersion *string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return "", jsonError("", data, err)
	}
	switch {
	case head.BOMFormat != nil && head.SPDXVersion != nil:
		return "", &Error{Err: errors.New("document has both bomFormat and spdxVersion")}
	case head.BOMFormat != nil:
		return CycloneDXJSON, nil
	case head.SPDXVersion != nil:
		return SPDXJSON, nil
	}
	return "", &Error{Err: fmt.Errorf("%w: JSON document has neither bomFormat (CycloneDX) nor spdxVersion (SPDX)", ErrUnsupported)}
}

func decode(data []byte, f Format) (*SBOM, error) {
	switch f {
	case CycloneDXJSON, CycloneDXXML:
		return decodeCycloneDX(data, f)
	case SPDXJSON:
		return decodeSPDX(data)
	}
	return nil, &Error{Format: f, Err: fmt.Errorf("%w: format %q", ErrUnsupported, f)}
}

// DecodeOption configures one Decode or DecodeFormat call.
type DecodeOption interface{ applyDecode(*decodeConfig) error }

type decodeConfig struct{ maxSize int64 }

type maxSize int64

func (m maxSize) applyDecode(c *decodeConfig) error {
	if m <= 0 || m > MaxSize {
		return fmt.Errorf("sbom: WithMaxSize: %d is not between 1 and MaxSize (%d)", int64(m), int64(MaxSize))
	}
	c.maxSize = int64(m)
	return nil
}

// WithMaxSize caps the bytes read at n, between 1 and MaxSize (the
// default); larger input yields ErrTooLarge.
func WithMaxSize(n int64) DecodeOption { return maxSize(n) }

// readLimited reads r up to the configured size limit.
func readLimited(r io.Reader, opts []DecodeOption) ([]byte, error) {
	cfg := decodeConfig{maxSize: MaxSize}
	for _, o := range opts {
		if err := o.applyDecode(&cfg); err != nil {
			return nil, err
		}
	}
	data, err := io.ReadAll(io.LimitReader(r, cfg.maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("sbom: read: %w", err)
	}
	if int64(len(data)) > cfg.maxSize {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, cfg.maxSize)
	}
	return data, nil
}

// position turns the offset encoding/json reports (just past the byte in
// error) into the 1-based line and column of that byte.
func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset-1, 0), int64(len(data)))
	before := data[:offset]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = 1 + len(before) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}

// jsonError turns an encoding/json error into an *Error with the place it
// occurred.
func jsonError(f Format, data []byte, err error) error {
	e := &Error{Format: f, Err: err}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		e.Line, e.Column = position(data, syn.Offset)
	case errors.As(err, &typ):
		e.Line, e.Column = position(data, typ.Offset)
		e.Field = typ.Field
		e.Err = fmt.Errorf("%s value where %s was expected", typ.Value, typ.Type)
	}
	return e
}

func decodeCycloneDX(data []byte, f Format) (*SBOM, error) {
	var bom cdx.BOM
	if f == CycloneDXXML {
		if err := xml.Unmarshal(data, &bom); err != nil {
			e := &Error{Format: f, Err: err}
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				e.Line = syn.Line
			}
			return nil, e
		}
		bom.SpecVersion = 0
		for _, v := range cycloneDXVersions {
			if bom.XMLNS == "http://cyclonedx.org/schema/bom/"+v.String() {
				bom.SpecVersion = v
			}
		}
		if bom.SpecVersion == 0 {
			return nil, &Error{Format: f, Field: "bom.xmlns", Err: fmt.Errorf("%w: namespace %q is not a CycloneDX 1.2 to 1.7 namespace", ErrUnsupported, bom.XMLNS)}
		}
	} else {
		if err := json.Unmarshal(data, &bom); err != nil {
			if errors.Is(err, cdx.ErrInvalidSpecVersion) {
				return nil, &Error{Format: f, Field: "specVersion", Err: fmt.Errorf("%w: %v", ErrUnsupported, err)}
			}
			return nil, jsonError(f, data, err)
		}
		if bom.BOMFormat != cdx.BOMFormat {
			return nil, &Error{Format: f, Field: "bomFormat", Err: fmt.Errorf("%q, want %q", bom.BOMFormat, cdx.BOMFormat)}
		}
		if bom.SpecVersion < cdx.SpecVersion1_2 {
			return nil, &Error{Format: f, Field: "specVersion", Err: fmt.Errorf("%w: CycloneDX %s (paved reads 1.2 to 1.7)", ErrUnsupported, bom.SpecVersion)}
		}
	}
	return fromCycloneDX(&bom, f)
}

// cycloneDXVersions are the CycloneDX versions paved reads.
var cycloneDXVersions = []cdx.SpecVersion{cdx.SpecVersion1_2, cdx.SpecVersion1_3, cdx.SpecVersion1_4, cdx.SpecVersion1_5, cdx.SpecVersion1_6, cdx.SpecVersion1_7}

// fromCycloneDX normalizes a decoded CycloneDX BOM.
func fromCycloneDX(bom *cdx.BOM, f Format) (*SBOM, error) {
	s := &SBOM{Format: f, SpecVersion: bom.SpecVersion.String(), SerialNumber: bom.SerialNumber}
	var errs []error
	n := 0
	add := func(c *cdx.Component, field string) string {
		n++
		nc := Component{
			Ref:      c.BOMRef,
			Type:     string(c.Type),
			Group:    c.Group,
			Name:     c.Name,
			Version:  c.Version,
			PURL:     c.PackageURL,
			Supplier: c.Publisher,
		}
		if nc.Ref == "" {
			nc.Ref = "urn:paved:component:" + strconv.Itoa(n)
		}
		if c.Supplier != nil && c.Supplier.Name != "" {
			nc.Supplier = c.Supplier.Name
		}
		if c.Hashes != nil {
			for _, h := range *c.Hashes {
				nc.Hashes = append(nc.Hashes, Hash{Algorithm: normalizeAlgorithm(string(h.Algorithm)), Value: h.Value})
			}
		}
		nc.Licenses = cycloneDXLicenses(nc.Licenses, c.Licenses)
		if nc.Name == "" {
			errs = append(errs, &Error{Format: f, Field: field + ".name", Err: errors.New("required")})
		}
		s.Components = append(s.Components, nc)
		return nc.Ref
	}
	var walk func(cs *[]cdx.Component, field string)
	walk = func(cs *[]cdx.Component, field string) {
		if cs == nil {
			return
		}
		for i := range *cs {
			c := &(*cs)[i]
			path := fmt.Sprintf("%s[%d]", field, i)
			add(c, path)
			walk(c.Components, path+".components")
		}
	}
	if md := bom.Metadata; md != nil {
		if md.Timestamp != "" {
			t, err := time.Parse(time.RFC3339, md.Timestamp)
			if err != nil {
				errs = append(errs, &Error{Format: f, Field: "metadata.timestamp", Err: fmt.Errorf("%q is not an RFC 3339 time", md.Timestamp)})
			}
			s.Created = t
		}
		if md.Authors != nil {
			for _, a := range *md.Authors {
				s.Authors = appendUnique(s.Authors, a.Name)
			}
		}
		if md.Tools != nil {
			s.Authors = appendTools(s.Authors, md.Tools)
		}
		if md.Component != nil {
			s.Root = add(md.Component, "metadata.component")
			s.Name = md.Component.Name
			walk(md.Component.Components, "metadata.component.components")
		}
	}
	walk(bom.Components, "components")
	if bom.Dependencies != nil {
		for _, d := range *bom.Dependencies {
			dep := Dependency{Ref: d.Ref}
			if d.Dependencies != nil {
				dep.DependsOn = *d.Dependencies
			}
			s.Dependencies = append(s.Dependencies, dep)
		}
		s.Dependencies = sortDependencies(s.Dependencies)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := s.Check(); err != nil {
		return nil, withFormat(err, f)
	}
	return s, nil
}

// appendTools appends "tool: vendor name version" for each tool the
// metadata names, in either the legacy or the 1.5 component form.
func appendTools(authors []string, t *cdx.ToolsChoice) []string {
	tool := func(parts ...string) string {
		return "tool: " + strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
	}
	if t.Tools != nil {
		for _, x := range *t.Tools {
			authors = appendUnique(authors, tool(x.Vendor, x.Name, x.Version))
		}
	}
	if t.Components != nil {
		for _, x := range *t.Components {
			authors = appendUnique(authors, tool(x.Group, x.Name, x.Version))
		}
	}
	if t.Services != nil {
		for _, x := range *t.Services {
			authors = appendUnique(authors, tool(x.Group, x.Name, x.Version))
		}
	}
	return authors
}

// cycloneDXLicenses appends the IDs, expressions or names of ls.
func cycloneDXLicenses(out []string, ls *cdx.Licenses) []string {
	if ls == nil {
		return out
	}
	for _, l := range *ls {
		switch {
		case l.Expression != "":
			out = appendUnique(out, l.Expression)
		case l.License != nil && l.License.ID != "":
			out = appendUnique(out, l.License.ID)
		case l.License != nil:
			out = appendUnique(out, l.License.Name)
		}
	}
	return out
}

// withFormat sets the format of every *Error in a joined error.
func withFormat(err error, f Format) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var se *Error
		if errors.As(e, &se) {
			se.Format = f
		}
	}
	return err
}

// normalizeAlgorithm maps CycloneDX ("SHA-256") and SPDX ("SHA256") hash
// algorithm names to the model's ("sha256").
func normalizeAlgorithm(alg string) string {
	a := strings.ToLower(alg)
	if rest, ok := strings.CutPrefix(a, "sha-"); ok {
		return "sha" + rest
	}
	return a
}

func decodeSPDX(data []byte) (*SBOM, error) {
	var head struct {
		SPDXVersion string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(SPDXJSON, data, err)
	}
	if head.SPDXVersion != "SPDX-2.2" && head.SPDXVersion != "SPDX-2.3" {
		return nil, &Error{Format: SPDXJSON, Field: "spdxVersion", Err: fmt.Errorf("%w: %q (paved reads SPDX-2.2 and SPDX-2.3)", ErrUnsupported, head.SPDXVersion)}
	}
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		return nil, jsonError(SPDXJSON, data, err)
	}
	return fromSPDX(doc, head.SPDXVersion)
}

// spdxDependency lists the SPDX relationship types paved reads as
// dependency edges, each with whether the edge runs from RefA to RefB
// (DEPENDS_ON) or from RefB to RefA (the *DEPENDENCY_OF types).
var spdxDependency = map[string]bool{
	common.TypeRelationshipDependsOn:            true,
	common.TypeRelationshipDependencyOf:         false,
	common.TypeRelationshipBuildDependencyOf:    false,
	common.TypeRelationshipDevDependencyOf:      false,
	common.TypeRelationshipOptionalDependencyOf: false,
	common.TypeRelationshipProvidedDependencyOf: false,
	common.TypeRelationshipTestDependencyOf:     false,
	common.TypeRelationshipRuntimeDependencyOf:  false,
}

// fromSPDX normalizes a decoded SPDX document.
func fromSPDX(doc *spdx.Document, version string) (*SBOM, error) {
	s := &SBOM{Format: SPDXJSON, SpecVersion: version, SerialNumber: doc.DocumentNamespace, Name: doc.DocumentName}
	var errs []error
	if ci := doc.CreationInfo; ci != nil {
		if ci.Created != "" {
			t, err := time.Parse(time.RFC3339, ci.Created)
			if err != nil {
				errs = append(errs, &Error{Format: SPDXJSON, Field: "creationInfo.created", Err: fmt.Errorf("%q is not an RFC 3339 time", ci.Created)})
			}
			s.Created = t
		}
		for _, c := range ci.Creators {
			s.Authors = appendUnique(s.Authors, c.CreatorType+": "+c.Creator)
		}
	}
	packages := make(map[common.ElementID]bool, len(doc.Packages))
	for i, p := range doc.Packages {
		if p == nil {
			errs = append(errs, &Error{Format: SPDXJSON, Field: fmt.Sprintf("packages[%d]", i), Err: errors.New("null package")})
			continue
		}
		c := Component{
			Ref:     string(p.PackageSPDXIdentifier),
			Type:    strings.ToLower(strings.ReplaceAll(p.PrimaryPackagePurpose, "_", "-")),
			Name:    p.PackageName,
			Version: p.PackageVersion,
		}
		if c.Ref != "" {
			c.Ref = "SPDXRef-" + c.Ref
		}
		if sp := p.PackageSupplier; sp != nil && sp.Supplier != "NOASSERTION" {
			c.Supplier = sp.Supplier
		}
		for _, h := range p.PackageChecksums {
			c.Hashes = append(c.Hashes, Hash{Algorithm: normalizeAlgorithm(string(h.Algorithm)), Value: h.Value})
		}
		for _, ref := range p.PackageExternalReferences {
			if ref != nil && ref.RefType == "purl" && c.PURL == "" {
				c.PURL = ref.Locator
			}
		}
		for _, l := range []string{p.PackageLicenseConcluded, p.PackageLicenseDeclared} {
			if l != "NOASSERTION" && l != "NONE" && len(c.Licenses) == 0 {
				c.Licenses = appendUnique(c.Licenses, l)
			}
		}
		packages[p.PackageSPDXIdentifier] = true
		s.Components = append(s.Components, c)
	}
	elements := maps.Clone(packages)
	elements[doc.SPDXIdentifier] = true
	for _, f := range doc.Files {
		if f != nil {
			elements[f.FileSPDXIdentifier] = true
		}
	}
	for _, sn := range doc.Snippets {
		elements[sn.SnippetSPDXIdentifier] = true
	}
	for i, r := range doc.Relationships {
		if r == nil {
			errs = append(errs, &Error{Format: SPDXJSON, Field: fmt.Sprintf("relationships[%d]", i), Err: errors.New("null relationship")})
			continue
		}
		forward, isDep := spdxDependency[r.Relationship]
		describes := r.Relationship == common.TypeRelationshipDescribe && r.RefA.ElementRefID == doc.SPDXIdentifier
		if !isDep && !describes {
			continue
		}
		// Edges to other documents, to NONE or NOASSERTION, or to files
		// are not package dependencies; edges to nothing are errors.
		if r.RefA.DocumentRefID != "" || r.RefB.DocumentRefID != "" || r.RefB.SpecialID != "" {
			continue
		}
		field := fmt.Sprintf("relationships[%d]", i)
		if !elements[r.RefA.ElementRefID] {
			errs = append(errs, &Error{Format: SPDXJSON, Field: field + ".spdxElementId", Err: fmt.Errorf("SPDXRef-%s names no element of the document", r.RefA.ElementRefID)})
			continue
		}
		if !elements[r.RefB.ElementRefID] {
			errs = append(errs, &Error{Format: SPDXJSON, Field: field + ".relatedSpdxElement", Err: fmt.Errorf("SPDXRef-%s names no element of the document", r.RefB.ElementRefID)})
			continue
		}
		if !packages[r.RefB.ElementRefID] {
			continue
		}
		to := "SPDXRef-" + string(r.RefB.ElementRefID)
		if describes {
			if s.Root == "" {
				s.Root = to
			}
			continue
		}
		if !packages[r.RefA.ElementRefID] {
			continue
		}
		from := "SPDXRef-" + string(r.RefA.ElementRefID)
		if !forward {
			from, to = to, from
		}
		s.Dependencies = append(s.Dependencies, Dependency{Ref: from, DependsOn: []string{to}})
	}
	s.Dependencies = sortDependencies(s.Dependencies)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := s.Check(); err != nil {
		return nil, withFormat(err, SPDXJSON)
	}
	return s, nil
}
