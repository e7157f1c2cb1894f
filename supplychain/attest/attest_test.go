package attest_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	linkv0 "github.com/in-toto/attestation/go/predicates/link/v0"
	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	releasev0 "github.com/in-toto/attestation/go/predicates/release/v0"
	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"
	vsav1 "github.com/in-toto/attestation/go/predicates/vsa/v1"
	vulnsv02 "github.com/in-toto/attestation/go/predicates/vulns/v02"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
)

var (
	when     = attesttest.When
	artifact = attesttest.Subject()
	digestA  = "sha256:" + strings.Repeat("0a", 32)
)

// equalPredicate compares two predicates, protobuf messages by proto.Equal.
func equalPredicate(t *testing.T, want, got attest.Predicate) {
	t.Helper()
	switch w := want.(type) {
	case attest.Provenance:
		assert.True(t, proto.Equal(w.Message(), got.(*attest.Provenance).Message()))
	case attest.TestResult:
		assert.True(t, proto.Equal(w.Message(), got.(*attest.TestResult).Message()))
	case attest.Vulns:
		assert.True(t, proto.Equal(w.Message(), got.(*attest.Vulns).Message()))
	case attest.Link:
		assert.True(t, proto.Equal(w.Message(), got.(*attest.Link).Message()))
	case attest.Release:
		assert.True(t, proto.Equal(w.Message(), got.(*attest.Release).Message()))
	case attest.VSA:
		assert.True(t, proto.Equal(w.Message(), got.(*attest.VSA).Message()))
	case attest.Generic:
		g := got.(*attest.Generic)
		assert.Equal(t, w.Type, g.Type)
		assert.JSONEq(t, string(w.JSON), string(g.JSON))
	default:
		assert.Equal(t, want, reflect.ValueOf(got).Elem().Interface())
	}
}

func TestRoundTripEveryPredicate(t *testing.T) {
	for _, p := range attesttest.Samples() {
		tt := struct{ valid, into attest.Predicate }{p, reflect.New(reflect.TypeOf(p)).Interface().(attest.Predicate)}
		t.Run(tt.valid.PredicateType(), func(t *testing.T) {
			st, err := attest.Build(tt.valid, artifact)
			require.NoError(t, err)
			assert.Equal(t, tt.valid.PredicateType(), st.PredicateType())

			again, err := attest.Build(tt.valid, artifact)
			require.NoError(t, err)
			assert.Equal(t, st.Bytes(), again.Bytes(), "equal statements encode to equal bytes")

			parsed, err := attest.Parse(st.Bytes())
			require.NoError(t, err)
			assert.Equal(t, st.Bytes(), parsed.Bytes())
			assert.Equal(t, []supplychain.Subject{artifact}, parsed.Subjects())
			assert.True(t, parsed.About(artifact.Digest))

			require.NoError(t, parsed.Decode(tt.into))
			equalPredicate(t, tt.valid, tt.into)
		})
	}
}

func TestBuildRejects(t *testing.T) {
	_, err := attest.Build(attest.Change{ID: "PR-1"}, artifact)
	require.ErrorIs(t, err, attest.ErrInvalidPredicate)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var pe *attest.PredicateError
		require.ErrorAs(t, e, &pe)
		assert.Equal(t, attest.PredicateChange, pe.Type)
		fields = append(fields, pe.Field)
	}
	assert.Equal(t, []string{"title", "author", "owner", "risk", "createdAt"}, fields, "every problem, by field")

	valid := attest.Release{}
	_, err = attest.Build(valid, artifact)
	assert.ErrorIs(t, err, attest.ErrInvalidPredicate, "a wrapper without its message")

	rel := attest.NewRelease(&releasev0.Release{Purl: "pkg:x/y"})
	_, err = attest.Build(rel)
	assert.ErrorIs(t, err, attest.ErrInvalidStatement, "no subject")
	_, err = attest.Build(rel, supplychain.Subject{Name: "x", Digest: supplychain.DigestSet{"sha256": "short"}})
	assert.ErrorIs(t, err, attest.ErrInvalidStatement)
	assert.ErrorIs(t, err, supplychain.ErrInvalidDigest)
	_, err = attest.Build(nil, artifact)
	assert.ErrorIs(t, err, attest.ErrInvalidPredicate)
	_, err = attest.Build(attest.Generic{Type: "x", JSON: json.RawMessage(`[1]`)}, artifact)
	assert.ErrorIs(t, err, attest.ErrInvalidPredicate, "a generic predicate must be an object")
}

func TestPavedPredicateRules(t *testing.T) {
	tests := []struct {
		name  string
		p     attest.Predicate
		field string
	}{
		{"approval decision", attest.Approval{Approver: "a", Decision: "maybe", ChangeID: "c", DecidedAt: when}, "decision"},
		{"approval stage", attest.Approval{Approver: "a", Decision: "approved", ChangeID: "c", Stage: "deploy", DecidedAt: when}, "stage"},
		{"decision digest", attest.PolicyDecision{Stage: "build", Query: "q", PolicyDigest: "sha256:xyz", InputDigest: digestA, Result: "allow", DecidedAt: when}, "policyDigest"},
		{"decision violation", attest.PolicyDecision{Stage: "build", Query: "q", PolicyDigest: digestA, InputDigest: digestA, Result: "deny",
			Violations: []attest.Violation{{Control: "C", Message: "m", Enforcement: "strict"}}, DecidedAt: when}, "violations[0].enforcement"},
		{"exception self-approved", attest.Exception{ID: "E", Control: "C", Reason: "r", RequestedBy: "a", ApprovedBy: "a", Granted: when, Expires: when.Add(time.Hour)}, "approvedBy"},
		{"exception expires first", attest.Exception{ID: "E", Control: "C", Reason: "r", RequestedBy: "a", ApprovedBy: "b", Granted: when, Expires: when}, "expires"},
		{"deployment order", attest.Deployment{ID: "D", Service: "s", Environment: "e", Version: "v", Deployer: "d", Kind: "normal", Outcome: "succeeded",
			StartedAt: when, FinishedAt: when.Add(-time.Second)}, "finishedAt"},
		{"incident resolved first", attest.Incident{ID: "I", Service: "s", Environment: "e", Severity: "sev1", Owner: "o", DetectedAt: when,
			ResolvedAt: new(when.Add(-time.Hour))}, "resolvedAt"},
		{"vsa result", attest.NewVSA(&vsav1.VerificationSummary{}), "verifier.id"},
		{"test result", attest.NewTestResult(&testresult.TestResult{Result: "OK"}), "result"},
		{"vulns scanner", attest.NewVulns(&vulnsv02.Vulns{}), "scanner.uri"},
		{"link name", attest.NewLink(&linkv0.Link{}), "name"},
		{"provenance", attest.NewProvenance(&slsa.Provenance{}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			require.ErrorIs(t, err, attest.ErrInvalidPredicate)
			var pe *attest.PredicateError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.field, pe.Field)
		})
	}
}

func TestParseRejects(t *testing.T) {
	st, err := attest.Build(attest.NewRelease(&releasev0.Release{Purl: "pkg:x/y"}), artifact)
	require.NoError(t, err)
	good := string(st.Bytes())
	tests := map[string]string{
		"not JSON":           "{",
		"array":              "[]",
		"wrong type":         strings.Replace(good, "https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v9", 1),
		"no subject":         `{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x","predicate":{}}`,
		"subject no digest":  `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a"}],"predicateType":"x","predicate":{}}`,
		"bad digest":         `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"zz"}}],"predicateType":"x","predicate":{}}`,
		"no predicate type":  `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + strings.Repeat("a", 64) + `"}}],"predicate":{}}`,
		"no predicate":       `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + strings.Repeat("a", 64) + `"}}],"predicateType":"x"}`,
		"duplicate field":    strings.Replace(good, `"predicateType":`, `"predicateType":"x","predicateType":`, 1),
		"predicate not map":  strings.Replace(good, `"predicate":{`, `"predicate":[{`, 1) + "]",
		"trailing garbage":   good + "{}",
		"nested duplicate":   strings.Replace(good, `"purl":`, `"purl":"x","purl":`, 1),
		"invalid UTF-8":      strings.Replace(good, `"bin/app"`, "\"bin/\xffapp\"", 1),
		"string as subjects": `{"_type":"https://in-toto.io/Statement/v1","subject":"a","predicateType":"x","predicate":{}}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := attest.Parse([]byte(doc))
			assert.ErrorIs(t, err, attest.ErrInvalidStatement)
		})
	}
	_, err = attest.Parse(make([]byte, attest.MaxStatementSize+1))
	assert.ErrorIs(t, err, attest.ErrTooLarge)
}

func TestParseKeepsExactBytesAndIgnoresUnknownFields(t *testing.T) {
	doc := "{\n  \"_type\": \"https://in-toto.io/Statement/v1\",\n  \"future\": {\"x\": 1},\n" +
		"  \"subject\": [{\"name\": \"a\", \"digest\": {\"sha256\": \"" + strings.Repeat("a", 64) + "\", \"gitCommit\": \"" + strings.Repeat("c", 40) + "\"}}],\n" +
		"  \"predicateType\": \"https://example.com/p/v1\",\n  \"predicate\": {\"k\": \"v\"}\n}\n"
	st, err := attest.Parse([]byte(doc))
	require.NoError(t, err)
	assert.Equal(t, doc, string(st.Bytes()))
	assert.Equal(t, `{"k": "v"}`, string(st.PredicateJSON()), "the predicate's exact bytes")

	var g attest.Generic
	require.NoError(t, st.Decode(&g))
	assert.Equal(t, "https://example.com/p/v1", g.Type)

	var a attest.Approval
	assert.ErrorIs(t, st.Decode(&a), attest.ErrPredicateType)
}

// TestInteropWithTheInTotoLibrary: protojson reads what Build writes into
// the in-toto protobuf, and Parse reads what protojson writes.
func TestInteropWithTheInTotoLibrary(t *testing.T) {
	for _, p := range attesttest.Samples() {
		st, err := attest.Build(p, artifact)
		require.NoError(t, err)
		pb, err := st.Proto()
		require.NoError(t, err)
		require.NoError(t, pb.Validate())
		assert.Equal(t, p.PredicateType(), pb.GetPredicateType())
		assert.Equal(t, artifact.Digest["sha256"], pb.GetSubject()[0].GetDigest()["sha256"])
		assert.Equal(t, artifact.PURL, pb.GetSubject()[0].GetAnnotations().GetFields()["purl"].GetStringValue())

		enc, err := protojson.Marshal(pb)
		require.NoError(t, err)
		back, err := attest.Parse(enc)
		require.NoError(t, err)
		assert.Equal(t, st.Subjects(), back.Subjects())
		assert.JSONEq(t, string(st.PredicateJSON()), string(back.PredicateJSON()))
	}
}

func TestDecodeRejectsUnknownFieldsInPavedPredicates(t *testing.T) {
	st, err := attest.Build(attest.Generic{Type: attest.PredicateApproval,
		JSON: json.RawMessage(`{"approver":"a","decision":"approved","changeId":"c","decidedAt":"2026-11-28T12:00:00Z","sneaky":true}`)}, artifact)
	require.NoError(t, err)
	var a attest.Approval
	assert.ErrorIs(t, st.Decode(&a), attest.ErrInvalidPredicate)
}

func TestSchemas(t *testing.T) {
	for _, typ := range []string{attest.PredicateApproval, attest.PredicateChange, attest.PredicatePolicyDecision,
		attest.PredicateException, attest.PredicateDeployment, attest.PredicateIncident, attest.PredicatePrune, attest.PredicatePipelineRun, attest.PredicateIaCPlan} {
		b, ok := attest.Schema(typ)
		require.True(t, ok, typ)
		assert.True(t, json.Valid(b))
		assert.True(t, bytes.Contains(b, []byte(`"$id"`)))
	}
	_, ok := attest.Schema(attest.PredicateSLSAProvenance)
	assert.False(t, ok)
	_, ok = attest.Schema("https://paved.dev/attestation/../secret/v1")
	assert.False(t, ok)
}
