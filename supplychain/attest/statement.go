package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"

	ita "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/paved-dev/paved/supplychain"
)

// StatementType is the in-toto Statement v1 type URI.
const StatementType = ita.StatementTypeUri

// PayloadType is the DSSE payload type of an in-toto statement.
const PayloadType = "application/vnd.in-toto+json"

// MaxStatementSize caps the statements Parse reads: 64 MiB, room for the
// SBOM of a very large build while bounding memory for hostile input.
const MaxStatementSize = 64 << 20

// Sentinel errors; check with errors.Is.
var (
	// ErrInvalidStatement: bytes that are not a valid in-toto Statement v1.
	ErrInvalidStatement = errors.New("attest: invalid statement")
	// ErrInvalidPredicate: a predicate that fails its type's validation.
	ErrInvalidPredicate = errors.New("attest: invalid predicate")
	// ErrPredicateType: decoding a predicate into a type other than the
	// statement's.
	ErrPredicateType = errors.New("attest: predicate type mismatch")
	// ErrTooLarge: a statement larger than MaxStatementSize.
	ErrTooLarge = errors.New("attest: statement too large")
)

// Statement is a validated in-toto Statement v1 together with the exact
// bytes it was encoded to or parsed from. Those bytes are what gets signed
// and stored; a Statement is never re-serialized. The predicate stays in its
// JSON form until Decode or Proto asks for it, so parsing a statement with
// a large predicate (an SBOM) costs one pass over its bytes.
//
// A Statement is immutable and safe for concurrent use.
type Statement struct {
	raw           []byte
	predicateType string
	predicate     []byte // a subslice of raw
	subjects      []supplychain.Subject
	proto         func() (*ita.Statement, error)
}

// Predicate is a typed predicate: it knows its type URI, validates itself
// and encodes to JSON (encoding/json; protobuf-based predicates implement
// json.Marshaler and json.Unmarshaler with protojson).
type Predicate interface {
	// PredicateType returns the type URI. It must not depend on the value,
	// so that the zero value of the type reports it too.
	PredicateType() string
	// Validate reports every problem with the predicate.
	Validate() error
}

// wireStatement is the JSON form of a statement that Build writes.
type wireStatement struct {
	Type          string           `json:"_type"`
	Subject       []wireDescriptor `json:"subject"`
	PredicateType string           `json:"predicateType"`
	Predicate     json.RawMessage  `json:"predicate"`
}

// wireDescriptor is the JSON form of a subject's resource descriptor; the
// fields paved does not use are kept only to be ignored.
type wireDescriptor struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
}

// purlAnnotation is the subject annotation that carries a package URL.
const purlAnnotation = "purl"

// Build makes a statement about subjects with the given predicate: it
// validates the predicate and the subjects and encodes the statement as
// compact JSON with sorted digest and annotation keys, so that equal
// statements encode to equal bytes. The result is what Parse would make of
// those bytes, and protojson reads them into the in-toto protobuf (Proto).
func Build(p Predicate, subjects ...supplychain.Subject) (*Statement, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: nil predicate", ErrInvalidPredicate)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(subjects) == 0 {
		return nil, fmt.Errorf("%w: no subject", ErrInvalidStatement)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("%w: encode %s: %v", ErrInvalidPredicate, p.PredicateType(), err)
	}
	w := wireStatement{Type: StatementType, PredicateType: p.PredicateType(), Predicate: body}
	for i, s := range subjects {
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("%w: subject %d: %w", ErrInvalidStatement, i, err)
		}
		d := wireDescriptor{Name: s.Name, URI: s.URI, Digest: s.Digest}
		if s.PURL != "" {
			d.Annotations = map[string]any{purlAnnotation: s.PURL}
		}
		w.Subject = append(w.Subject, d)
	}
	raw, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %v", ErrInvalidStatement, err)
	}
	return Parse(raw)
}

// Parse parses and validates an in-toto Statement v1 (or the legacy v0.1
// type) and keeps data as its exact bytes. The whole document must be valid
// JSON with no duplicate names in any object; unknown top-level fields are
// ignored, as the in-toto specification asks of consumers. A missing
// subject, a subject without a digest or with a malformed one, an empty
// predicate type, a predicate that is not an object, and inputs larger than
// MaxStatementSize are errors.
func Parse(data []byte) (*Statement, error) {
	if len(data) > MaxStatementSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), MaxStatementSize)
	}
	raw := bytes.Clone(data)
	members, err := scanTopLevel(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidStatement, err)
	}
	st := &Statement{raw: raw}
	var typ string
	var subjects []byte
	for _, m := range members {
		switch m.name {
		case "_type":
			typ, err = jsonString(m.value)
		case "predicateType":
			st.predicateType, err = jsonString(m.value)
		case "subject":
			subjects = m.value
		case "predicate":
			st.predicate = m.value
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidStatement, m.name, err)
		}
	}
	switch {
	case typ != StatementType && typ != legacyStatementType:
		return nil, fmt.Errorf("%w: _type %q is not %s", ErrInvalidStatement, typ, StatementType)
	case st.predicateType == "":
		return nil, fmt.Errorf("%w: %w", ErrInvalidStatement, ita.ErrPredicateTypeRequired)
	case len(st.predicate) == 0 || st.predicate[0] != '{':
		return nil, fmt.Errorf("%w: %w", ErrInvalidStatement, ita.ErrPredicateRequired)
	}
	if st.subjects, err = parseSubjects(subjects); err != nil {
		return nil, err
	}
	st.proto = sync.OnceValues(func() (*ita.Statement, error) {
		pb := &ita.Statement{}
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(st.raw, pb); err != nil {
			return nil, fmt.Errorf("%w: protojson: %v", ErrInvalidStatement, err)
		}
		return pb, nil
	})
	return st, nil
}

// legacyStatementType is the in-toto Statement v0.1 type URI, still read.
const legacyStatementType = "https://in-toto.io/Statement/v0.1"

// parseSubjects decodes and validates the subject list: at least one
// subject, each with a digest the in-toto library accepts.
func parseSubjects(data []byte) ([]supplychain.Subject, error) {
	var wire []wireDescriptor
	if len(data) == 0 || json.Unmarshal(data, &wire) != nil {
		return nil, fmt.Errorf("%w: subject is not a list of resource descriptors", ErrInvalidStatement)
	}
	if len(wire) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidStatement, ita.ErrSubjectRequired)
	}
	out := make([]supplychain.Subject, len(wire))
	for i, w := range wire {
		rd := ita.ResourceDescriptor{Name: w.Name, Uri: w.URI, Digest: w.Digest}
		if err := rd.Validate(); err != nil {
			return nil, fmt.Errorf("%w: subject %d: %w", ErrInvalidStatement, i, err)
		}
		if len(w.Digest) == 0 {
			return nil, fmt.Errorf("%w: subject %d: %w", ErrInvalidStatement, i, ita.ErrDigestRequired)
		}
		out[i] = supplychain.Subject{Name: w.Name, URI: w.URI, Digest: w.Digest}
		if purl, ok := w.Annotations[purlAnnotation].(string); ok {
			out[i].PURL = purl
		}
	}
	return out, nil
}

// jsonString decodes a JSON string value.
func jsonString(v []byte) (string, error) {
	if len(v) >= 2 && v[0] == '"' && bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", errors.New("not a string")
	}
	return s, nil
}

// Bytes returns the statement's exact encoding. The caller must not modify
// it.
func (s *Statement) Bytes() []byte { return s.raw }

// PredicateType returns the predicate's type URI.
func (s *Statement) PredicateType() string { return s.predicateType }

// Subjects returns the statement's subjects. The caller owns the slice.
func (s *Statement) Subjects() []supplychain.Subject { return slicesClone(s.subjects) }

// Proto returns the statement as the in-toto protobuf, read from its bytes
// with protojson on first use (slow for a large predicate). The caller must
// not modify it.
func (s *Statement) Proto() (*ita.Statement, error) { return s.proto() }

// PredicateJSON returns the predicate's exact JSON bytes. The caller must
// not modify them.
func (s *Statement) PredicateJSON() []byte { return s.predicate }

// About reports whether one of the statement's subjects is the artifact
// with the given digests (see supplychain.DigestSet.Matches).
func (s *Statement) About(digest supplychain.DigestSet) bool {
	for _, sub := range s.subjects {
		if sub.Digest.Matches(digest) {
			return true
		}
	}
	return false
}

// Decode decodes the statement's predicate into p, a pointer to a
// predicate type, and validates it. It fails with ErrPredicateType when p's
// type URI is not the statement's; a *Generic accepts any type.
func (s *Statement) Decode(p Predicate) error {
	if g, ok := p.(*Generic); ok {
		g.Type = s.PredicateType()
	} else if p.PredicateType() != s.PredicateType() {
		return fmt.Errorf("%w: statement has %q, not %q", ErrPredicateType, s.PredicateType(), p.PredicateType())
	}
	dec := json.NewDecoder(bytes.NewReader(s.predicate))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidPredicate, s.PredicateType(), err)
	}
	return p.Validate()
}

func slicesClone(in []supplychain.Subject) []supplychain.Subject {
	out := make([]supplychain.Subject, len(in))
	for i, s := range in {
		s.Digest = maps.Clone(s.Digest)
		out[i] = s
	}
	return out
}
