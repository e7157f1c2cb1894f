package attest_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
)

// TestSchemasAgreeWithValidators checks each paved predicate's JSON schema
// against its Go validator: valid predicates conform, and predicates the
// validator rejects for a missing or out-of-range field do not.
func TestSchemasAgreeWithValidators(t *testing.T) {
	compile := func(typ string) *jsonschema.Schema {
		raw, ok := attest.Schema(typ)
		require.True(t, ok, typ)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		require.NoError(t, err)
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		require.NoError(t, c.AddResource(typ+"/schema.json", doc))
		s, err := c.Compile(typ + "/schema.json")
		require.NoError(t, err)
		return s
	}
	conforms := func(s *jsonschema.Schema, p attest.Predicate) error {
		b, err := json.Marshal(p)
		require.NoError(t, err)
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		require.NoError(t, err)
		return s.Validate(v)
	}

	for _, p := range attesttest.Samples() {
		if _, ok := attest.Schema(p.PredicateType()); !ok {
			continue
		}
		assert.NoError(t, conforms(compile(p.PredicateType()), p), p.PredicateType())
	}

	invalid := []attest.Predicate{
		attest.Approval{Approver: "a", Decision: "maybe", ChangeID: "c", DecidedAt: when},
		attest.Change{ID: "c", Title: "t", Author: "a", Owner: "o", Risk: "extreme", CreatedAt: when},
		attest.PolicyDecision{Stage: "build", Query: "q", PolicyDigest: "md5:1", InputDigest: digestA, Result: "allow", DecidedAt: when},
		attest.Exception{ID: "E", Control: "C", RequestedBy: "a", ApprovedBy: "b", Granted: when, Expires: when.Add(time.Hour)},
		attest.Deployment{ID: "D", Service: "s", Environment: "e", Version: "v", Deployer: "d", Kind: "weekly", Outcome: "succeeded", StartedAt: when, FinishedAt: when},
		attest.Incident{ID: "I", Service: "s", Environment: "e", Severity: "sev0", Owner: "o", DetectedAt: when},
		attest.Prune{Origin: "o", Rules: []attest.RetentionRule{{MaxAge: "a year"}}, PrunedAt: when},
		attest.Prune{Origin: "o", PrunedAt: when},
		attest.PipelineRun{ID: "r", Pipeline: "p", Outcome: "stopped", BuilderID: "b", StartedAt: when, FinishedAt: when},
		attest.PipelineRun{ID: "r", Pipeline: "p", Outcome: "failed", BuilderID: "b", StartedAt: when, FinishedAt: when,
			Steps: []attest.RunStep{{Stage: "deploy", Name: "s", Outcome: "succeeded"}}},
		attest.Prune{Origin: "o", Rules: []attest.RetentionRule{{MaxAge: "1h"}}, Holds: []attest.LegalHold{{Value: "x"}}, PrunedAt: when},
		attest.IaCPlan{Kind: "apply", FormatVersion: "1.2"},
		attest.IaCPlan{Kind: "plan", FormatVersion: "1.2", Changes: []attest.IaCChange{{Address: "a.b", Mode: "managed", Type: "a", Action: "destroy", Actions: []string{"delete"}}}},
		attest.IaCPlan{Kind: "plan", FormatVersion: "1.2", Changes: []attest.IaCChange{{Address: "a.b", Mode: "managed", Type: "a", Action: "create"}}},
	}
	for _, p := range invalid {
		require.Error(t, p.Validate(), p.PredicateType())
		assert.Error(t, conforms(compile(p.PredicateType()), p), "the schema accepts what the validator rejects: %s", p.PredicateType())
	}
}
