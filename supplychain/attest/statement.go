package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	ita "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

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
// and stored; a Statement is never re-serialized.
//
// A Statement is immutable and safe for concurrent use.
type Statement struct {
	pb       *ita.Statement
	raw      []byte
	subjects []supplychain.Subject
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

// Build makes a statement about subjects with the given predicate: it
// validates the predicate and the subjects, builds the in-toto protobuf
// statement and encodes it with protojson (compacted, so equal statements
// encode to equal bytes).
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
	pred := &structpb.Struct{}
	if err := protojson.Unmarshal(body, pred); err != nil {
		return nil, fmt.Errorf("%w: %s is not a JSON object: %v", ErrInvalidPredicate, p.PredicateType(), err)
	}
	pb := &ita.Statement{Type: StatementType, PredicateType: p.PredicateType(), Predicate: pred}
	for i, s := range subjects {
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("%w: subject %d: %w", ErrInvalidStatement, i, err)
		}
		rd := &ita.ResourceDescriptor{Name: s.Name, Uri: s.URI, Digest: maps.Clone(s.Digest)}
		if s.PURL != "" {
			rd.Annotations = &structpb.Struct{Fields: map[string]*structpb.Value{purlAnnotation: structpb.NewStringValue(s.PURL)}}
		}
		pb.Subject = append(pb.Subject, rd)
	}
	if err := pb.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidStatement, err)
	}
	enc, err := protojson.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %v", ErrInvalidStatement, err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, enc); err != nil {
		return nil, fmt.Errorf("%w: encode: %v", ErrInvalidStatement, err)
	}
	return &Statement{pb: pb, raw: compact.Bytes(), subjects: slicesClone(subjects)}, nil
}

// purlAnnotation is the subject annotation that carries a package URL.
const purlAnnotation = "purl"

// Parse parses and validates an in-toto Statement v1 (or the legacy v0.1
// type) and keeps data as its exact bytes. Unknown fields are ignored, as
// the in-toto specification asks of consumers; duplicate fields, missing
// subjects or digests, an empty predicate type and inputs larger than
// MaxStatementSize are errors.
func Parse(data []byte) (*Statement, error) {
	if len(data) > MaxStatementSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), MaxStatementSize)
	}
	pb := &ita.Statement{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, pb); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidStatement, err)
	}
	if err := pb.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidStatement, err)
	}
	subjects := make([]supplychain.Subject, len(pb.GetSubject()))
	for i, rd := range pb.GetSubject() {
		subjects[i] = supplychain.Subject{Name: rd.GetName(), URI: rd.GetUri(), Digest: maps.Clone(rd.GetDigest())}
		if v, ok := rd.GetAnnotations().GetFields()[purlAnnotation]; ok {
			subjects[i].PURL = v.GetStringValue()
		}
	}
	return &Statement{pb: pb, raw: bytes.Clone(data), subjects: subjects}, nil
}

// Bytes returns the statement's exact encoding. The caller must not modify
// it.
func (s *Statement) Bytes() []byte { return s.raw }

// PredicateType returns the predicate's type URI.
func (s *Statement) PredicateType() string { return s.pb.GetPredicateType() }

// Subjects returns the statement's subjects. The caller owns the slice.
func (s *Statement) Subjects() []supplychain.Subject { return slicesClone(s.subjects) }

// Proto returns the underlying in-toto protobuf statement. The caller must
// not modify it.
func (s *Statement) Proto() *ita.Statement { return s.pb }

// PredicateJSON returns the predicate as JSON.
func (s *Statement) PredicateJSON() ([]byte, error) {
	b, err := protojson.Marshal(s.pb.GetPredicate())
	if err != nil {
		return nil, fmt.Errorf("%w: encode predicate: %v", ErrInvalidPredicate, err)
	}
	return b, nil
}

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
	body, err := s.PredicateJSON()
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
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
