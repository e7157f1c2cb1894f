package attest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	linkv0 "github.com/in-toto/attestation/go/predicates/link/v0"
	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	releasev0 "github.com/in-toto/attestation/go/predicates/release/v0"
	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"
	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	vulnsv02 "github.com/in-toto/attestation/go/predicates/vulns/v02"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// The standard predicate types paved builds and parses.
const (
	PredicateSLSAProvenance = "https://slsa.dev/provenance/v1"
	PredicateTestResult     = "https://in-toto.io/attestation/test-result/v0.1"
	PredicateVulns          = "https://in-toto.io/attestation/vulns/v0.2"
	PredicateLink           = "https://in-toto.io/attestation/link/v0.3"
	PredicateRelease        = "https://in-toto.io/attestation/release/v0.1"
	PredicateVSA            = "https://slsa.dev/verification_summary/v1"
)

// PredicateError is one problem with a predicate: which type, which field.
type PredicateError struct {
	// Type is the predicate type URI.
	Type string
	// Field is the JSON path of the field, such as "deployment.environment".
	Field string
	// Err says what is wrong.
	Err error
}

// Error formats the problem as "attest: invalid predicate: type: field: cause".
func (e *PredicateError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%v: %s: %v", ErrInvalidPredicate, e.Type, e.Err)
	}
	return fmt.Sprintf("%v: %s: %s: %v", ErrInvalidPredicate, e.Type, e.Field, e.Err)
}

// Unwrap returns ErrInvalidPredicate and the cause.
func (e *PredicateError) Unwrap() []error { return []error{ErrInvalidPredicate, e.Err} }

// problems collects the PredicateErrors of one predicate.
type problems struct {
	typ  string
	errs []error
}

func (p *problems) add(field, format string, args ...any) {
	p.errs = append(p.errs, &PredicateError{Type: p.typ, Field: field, Err: fmt.Errorf(format, args...)})
}

// required records a problem if value is empty.
func (p *problems) required(field, value string) {
	if value == "" {
		p.add(field, "required")
	}
}

// oneOf records a problem if value is not among allowed.
func (p *problems) oneOf(field, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	p.add(field, "%q is not one of %v", value, allowed)
}

func (p *problems) err() error { return errors.Join(p.errs...) }

// protoPredicate holds an in-toto predicate protobuf message and encodes it
// with protojson.
type protoPredicate[M proto.Message] struct{ msg M }

// MarshalJSON encodes the message with protojson.
func (p protoPredicate[M]) MarshalJSON() ([]byte, error) {
	if p.isNil() {
		return nil, errors.New("nil message")
	}
	return protojson.Marshal(p.msg)
}

// UnmarshalJSON decodes the message with protojson, ignoring unknown fields.
func (p *protoPredicate[M]) UnmarshalJSON(b []byte) error {
	var zero M
	m := zero.ProtoReflect().Type().New().Interface().(M)
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, m); err != nil {
		return err
	}
	p.msg = m
	return nil
}

func (p protoPredicate[M]) isNil() bool {
	v := reflect.ValueOf(p.msg)
	return !v.IsValid() || v.IsNil()
}

// check runs the type's checks on a non-nil message.
func (p protoPredicate[M]) check(typ string, checks func(*problems)) error {
	probs := &problems{typ: typ}
	if p.isNil() {
		probs.add("", "no predicate message")
		return probs.err()
	}
	checks(probs)
	return probs.err()
}

// Provenance is a SLSA provenance v1 predicate.
type Provenance struct {
	protoPredicate[*slsa.Provenance]
}

// NewProvenance wraps a SLSA provenance v1 message.
func NewProvenance(m *slsa.Provenance) Provenance {
	return Provenance{protoPredicate[*slsa.Provenance]{m}}
}

// Message returns the wrapped protobuf message.
func (p Provenance) Message() *slsa.Provenance { return p.msg }

// PredicateType returns PredicateSLSAProvenance.
func (Provenance) PredicateType() string { return PredicateSLSAProvenance }

// Validate applies the attestation library's SLSA v1 checks: a build type,
// external parameters and a builder ID.
func (p Provenance) Validate() error {
	return p.check(PredicateSLSAProvenance, func(probs *problems) {
		if err := p.msg.Validate(); err != nil {
			probs.add("", "%v", err)
		}
	})
}

// TestResult is an in-toto test-result v0.1 predicate.
type TestResult struct {
	protoPredicate[*testresult.TestResult]
}

// NewTestResult wraps a test-result message.
func NewTestResult(m *testresult.TestResult) TestResult {
	return TestResult{protoPredicate[*testresult.TestResult]{m}}
}

// Message returns the wrapped protobuf message.
func (p TestResult) Message() *testresult.TestResult { return p.msg }

// PredicateType returns PredicateTestResult.
func (TestResult) PredicateType() string { return PredicateTestResult }

// Validate checks that the result is PASSED, WARNED or FAILED and that
// the configuration descriptors are valid.
func (p TestResult) Validate() error {
	return p.check(PredicateTestResult, func(probs *problems) {
		probs.oneOf("result", p.msg.GetResult(), "PASSED", "WARNED", "FAILED")
		for i, rd := range p.msg.GetConfiguration() {
			if err := rd.Validate(); err != nil {
				probs.add(fmt.Sprintf("configuration[%d]", i), "%v", err)
			}
		}
	})
}

// Vulns is an in-toto vulns v0.2 predicate: a scanner's findings.
type Vulns struct {
	protoPredicate[*vulnsv02.Vulns]
}

// NewVulns wraps a vulns message.
func NewVulns(m *vulnsv02.Vulns) Vulns { return Vulns{protoPredicate[*vulnsv02.Vulns]{m}} }

// Message returns the wrapped protobuf message.
func (p Vulns) Message() *vulnsv02.Vulns { return p.msg }

// PredicateType returns PredicateVulns.
func (Vulns) PredicateType() string { return PredicateVulns }

// Validate checks that the scanner is named and every finding has an ID.
func (p Vulns) Validate() error {
	return p.check(PredicateVulns, func(probs *problems) {
		probs.required("scanner.uri", p.msg.GetScanner().GetUri())
		for i, r := range p.msg.GetScanner().GetResult() {
			probs.required(fmt.Sprintf("scanner.result[%d].id", i), r.GetId())
		}
	})
}

// Link is an in-toto link v0.3 predicate: one step's materials, command
// and products.
type Link struct{ protoPredicate[*linkv0.Link] }

// NewLink wraps a link message.
func NewLink(m *linkv0.Link) Link { return Link{protoPredicate[*linkv0.Link]{m}} }

// Message returns the wrapped protobuf message.
func (p Link) Message() *linkv0.Link { return p.msg }

// PredicateType returns PredicateLink.
func (Link) PredicateType() string { return PredicateLink }

// Validate checks that the step is named and its materials and byproducts
// are valid resource descriptors.
func (p Link) Validate() error {
	return p.check(PredicateLink, func(probs *problems) {
		probs.required("name", p.msg.GetName())
		for i, rd := range p.msg.GetMaterials() {
			if err := rd.Validate(); err != nil {
				probs.add(fmt.Sprintf("materials[%d]", i), "%v", err)
			}
		}
	})
}

// Release is an in-toto release v0.1 predicate.
type Release struct {
	protoPredicate[*releasev0.Release]
}

// NewRelease wraps a release message.
func NewRelease(m *releasev0.Release) Release { return Release{protoPredicate[*releasev0.Release]{m}} }

// Message returns the wrapped protobuf message.
func (p Release) Message() *releasev0.Release { return p.msg }

// PredicateType returns PredicateRelease.
func (Release) PredicateType() string { return PredicateRelease }

// Validate checks that the release names its package URL.
func (p Release) Validate() error {
	return p.check(PredicateRelease, func(probs *problems) {
		probs.required("purl", p.msg.GetPurl())
	})
}

// VSA is a SLSA verification summary v1 predicate.
type VSA struct {
	protoPredicate[*vsav1.VerificationSummary]
}

// NewVSA wraps a verification summary message.
func NewVSA(m *vsav1.VerificationSummary) VSA {
	return VSA{protoPredicate[*vsav1.VerificationSummary]{m}}
}

// Message returns the wrapped protobuf message.
func (p VSA) Message() *vsav1.VerificationSummary { return p.msg }

// PredicateType returns PredicateVSA.
func (VSA) PredicateType() string { return PredicateVSA }

// Validate checks the fields SLSA requires of a VSA: the verifier, the
// time, the resource, the policy, a PASSED or FAILED result and the
// verified levels.
func (p VSA) Validate() error {
	return p.check(PredicateVSA, func(probs *problems) {
		probs.required("verifier.id", p.msg.GetVerifier().GetId())
		if p.msg.GetTimeVerified() == nil {
			probs.add("timeVerified", "required")
		}
		probs.required("resourceUri", p.msg.GetResourceUri())
		probs.required("policy.uri", p.msg.GetPolicy().GetUri())
		probs.oneOf("verificationResult", p.msg.GetVerificationResult(), "PASSED", "FAILED")
		if len(p.msg.GetVerifiedLevels()) == 0 {
			probs.add("verifiedLevels", "required")
		}
	})
}

// Generic is any predicate, kept as its type URI and raw JSON, so that
// foreign attestations can be stored and evaluated.
type Generic struct {
	// Type is the predicate type URI.
	Type string
	// JSON is the predicate, a JSON object.
	JSON json.RawMessage
}

// PredicateType returns g.Type.
func (g Generic) PredicateType() string { return g.Type }

// Validate checks that the type is set and the predicate is a JSON object.
func (g Generic) Validate() error {
	probs := &problems{typ: g.Type}
	probs.required("predicateType", g.Type)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(g.JSON, &obj); err != nil || obj == nil {
		probs.add("predicate", "not a JSON object")
	}
	return probs.err()
}

// MarshalJSON returns the raw predicate.
func (g Generic) MarshalJSON() ([]byte, error) { return g.JSON, nil }

// UnmarshalJSON keeps a copy of the raw predicate.
func (g *Generic) UnmarshalJSON(b []byte) error {
	g.JSON = append(json.RawMessage(nil), b...)
	return nil
}
