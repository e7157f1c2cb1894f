package sbom

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ErrSchema: a CycloneDX document that its version's official JSON schema
// rejects.
var ErrSchema = errors.New("sbom: schema violation")

//go:embed schema/*.json
var schemaFS embed.FS

const schemaBase = "http://cyclonedx.org/schema/"

// Validator checks CycloneDX JSON documents against the official CycloneDX
// JSON schemas, 1.2 to 1.6, embedded in paved (see schema/README.md).
// Make one with NewValidator and reuse it: it is safe for concurrent use.
type Validator struct {
	schemas map[string]*jsonschema.Schema // by spec version
}

// NewValidator compiles the embedded schemas.
func NewValidator() (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	entries, err := schemaFS.ReadDir("schema")
	if err != nil {
		return nil, fmt.Errorf("sbom: schemas: %w", err)
	}
	for _, e := range entries {
		data, err := schemaFS.ReadFile("schema/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("sbom: schema %s: %w", e.Name(), err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("sbom: schema %s: %w", e.Name(), err)
		}
		if err := c.AddResource(schemaBase+e.Name(), doc); err != nil {
			return nil, fmt.Errorf("sbom: schema %s: %w", e.Name(), err)
		}
	}
	v := &Validator{schemas: map[string]*jsonschema.Schema{}}
	for _, version := range []string{"1.2", "1.3", "1.4", "1.5", "1.6"} {
		s, err := c.Compile(schemaBase + "bom-" + version + ".schema.json")
		if err != nil {
			return nil, fmt.Errorf("sbom: compile the CycloneDX %s schema: %w", version, err)
		}
		v.schemas[version] = s
	}
	return v, nil
}

// Validate checks a CycloneDX JSON document against the schema of the
// specVersion it declares. Each violation is an *Error wrapping ErrSchema
// whose Field is the JSON pointer of the offending value; all of them are
// joined. A document that is not JSON, or declares no version paved has a
// schema for, yields an *Error wrapping ErrInvalidSBOM or ErrUnsupported.
func (v *Validator) Validate(data []byte) error {
	var head struct {
		SpecVersion string `json:"specVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return jsonError(CycloneDXJSON, data, err)
	}
	s, ok := v.schemas[head.SpecVersion]
	if !ok {
		return &Error{Format: CycloneDXJSON, Field: "specVersion", Err: fmt.Errorf("%w: no schema for CycloneDX %q (paved has 1.2 to 1.6)", ErrUnsupported, head.SpecVersion)}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return jsonError(CycloneDXJSON, data, err)
	}
	err = s.Validate(inst)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var errs []error
	seen := map[string]bool{}
	for _, leaf := range leaves(ve, nil) {
		field := "/" + strings.Join(leaf.InstanceLocation, "/")
		// A leaf prints as "at '<pointer>': <message>".
		msg := leaf.Error()
		if _, m, ok := strings.Cut(msg, "': "); ok && strings.HasPrefix(msg, "at '") {
			msg = m
		}
		if seen[field+msg] {
			continue
		}
		seen[field+msg] = true
		errs = append(errs, &Error{Format: CycloneDXJSON, Field: field, Err: fmt.Errorf("%w: %s", ErrSchema, msg)})
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].(*Error).Field < errs[j].(*Error).Field })
	return errors.Join(errs...)
}

// leaves appends the innermost causes of e.
func leaves(e *jsonschema.ValidationError, out []*jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return append(out, e)
	}
	for _, c := range e.Causes {
		out = leaves(c, out)
	}
	return out
}

// noLoader refuses to load any schema that is not embedded, so that a
// schema reference never reaches the file system or the network.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("sbom: schema %s is not embedded", url)
}
