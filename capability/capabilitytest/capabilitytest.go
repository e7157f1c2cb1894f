package capabilitytest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Now is the fixed time of the scenario: records are appended and the
// assessment made at it.
var Now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// Scenario is a service that went through the pipeline: a SQLite
// evidence store holding its signed evidence, the default map with one
// exception, a policy engine built from the map, and the scope to assess.
type Scenario struct {
	// Store holds the evidence; it is closed when the test ends.
	Store *evidence.Store
	// Signer signed every record; Trust is the store's trust policy.
	Signer *sign.Signer
	Trust  *sign.Trust
	// VerifierKey is the log's note verifier key.
	VerifierKey string
	// Map is capability.Default() with exception EX-VULN waiving
	// DSO-BLD-05 for the service until ten days after Now.
	Map *capability.Map
	// Engine is the built-in library plus two small modules (a platform
	// check that warns and a pinning check that errs), bound to Map.
	Engine *policy.Engine
	// Scope assesses the service's one artifact in prod.
	Scope capability.AssessmentScope
	// Records are the appended records, by what they are: "change",
	// "approval", "provenance", "test", "secret-scan".
	Records map[string]evidence.Record
}

// customPolicy adds two small packages to the library: a platform check
// (the build used the paved template; advisory, so a warning) and a
// pinning check whose rule conflicts, so that its control errs.
var customPolicy = fstest.MapFS{
	"scenario_platform.rego": {Data: []byte(`package paved.scenario_platform

# METADATA
# custom:
#   control: DSO-PLT-01
deny contains v if {
	some item in input.evidence["https://slsa.dev/provenance/v1"]
	item.predicate.buildDefinition.buildType != "https://paved.dev/templates/go-service/v1"
	v := {"control": "DSO-PLT-01", "msg": sprintf("built with %s, not the paved-road template", [item.predicate.buildDefinition.buildType])}
}
`)},
	"scenario_pinning.rego": {Data: []byte(`package paved.scenario_pinning

# METADATA
# custom:
#   control: DSO-BLD-03
deny contains v if {
	v := {"control": "DSO-BLD-03", "msg": sprintf("dependencies are not pinned in %s", [lockfile])}
}

lockfile := "go.sum"

lockfile := "go.mod" if input.subject
`)},
}

// Service is the scenario's service, and Artifact its one artifact.
const Service = "shop"

// Artifact returns the scenario's artifact.
func Artifact() supplychain.Subject {
	sum := sha256.Sum256([]byte("shop binary v1.4.2"))
	return supplychain.Subject{Name: "bin/shop", Digest: supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}}
}

// New builds the scenario in t.TempDir() (see Open); the store is
// closed when the test ends.
func New(t testing.TB) *Scenario {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	must(t, err)
	t.Cleanup(func() { _ = s.Store.Close(context.Background()) })
	return s
}

// Open builds the scenario with its SQLite store in dir: a change by
// alice approved by bob, SLSA provenance from an untrusted builder,
// passing tests and a clean secret scan, all about the artifact; no SBOM
// and no vulnerability scan. The caller closes s.Store.
func Open(ctx context.Context, dir string) (*Scenario, error) {
	signer, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		return nil, err
	}
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: signer.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci"}}})
	if err != nil {
		return nil, err
	}
	skey, vkey, err := note.GenerateKey(nil, "paved.test/log")
	if err != nil {
		return nil, err
	}
	backend, err := sqlite.Open(ctx, filepath.Join(dir, "evidence.db"))
	if err != nil {
		return nil, err
	}
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust), evidence.WithCheckpointKey(skey),
		evidence.WithClock(func() time.Time { return Now }))
	if err != nil {
		return nil, err
	}

	m := capability.Default()
	m.Exceptions = append(m.Exceptions, capability.Exception{ID: "EX-VULN", Control: "DSO-BLD-05",
		Scope: capability.Scope{Services: []string{Service}}, Reason: "scanner onboarding, tracked in SEC-12",
		RequestedBy: "alice@example.com", ApprovedBy: "devsecops-lead@example.com",
		Granted: Now.Add(-24 * time.Hour), Expires: Now.Add(10 * 24 * time.Hour)})
	engine, err := policy.New(ctx, policy.Merge(policy.Builtin(), policy.FS(customPolicy)),
		policy.WithBindings(m.Bindings()...), policy.WithData(m.GuardrailData()),
		policy.WithClock(func() time.Time { return Now }))
	if err != nil {
		_ = store.Close(ctx)
		return nil, err
	}

	art := Artifact()
	s := &Scenario{Store: store, Signer: signer, Trust: trust, VerifierKey: vkey, Map: m, Engine: engine,
		Scope:   capability.AssessmentScope{Service: Service, Release: "1.4.2", Subjects: []supplychain.Subject{art}, Environment: "prod"},
		Records: map[string]evidence.Record{}}
	steps := []struct {
		name, stage string
		p           attest.Predicate
	}{
		{"change", "plan", attest.Change{ID: "PR-7", Title: "Add basket cache", Author: "alice@example.com",
			Owner: "service-teams", Services: []string{Service}, Risk: "medium", Commit: "3f2a9c1", RollbackPlan: "revert PR-7", CreatedAt: Now.Add(-48 * time.Hour)}},
		{"approval", "release", attest.Approval{Approver: "bob@example.com", Decision: "approved",
			ChangeID: "PR-7", Stage: "release", DecidedAt: Now.Add(-2 * time.Hour)}},
		{"provenance", "build", attesttest.Samples()[0]},
		{"test", "test", attesttest.Samples()[1]},
		{"secret-scan", "build", policy.SecretScan{Scanner: "gitleaks", Findings: 0}},
	}
	for _, st := range steps {
		if s.Records[st.name], err = s.Append(ctx, st.stage, st.p, art); err != nil {
			_ = store.Close(ctx)
			return nil, err
		}
	}
	return s, nil
}

// Append signs a statement of p about subjects and appends it at stage.
func (s *Scenario) Append(ctx context.Context, stage string, p attest.Predicate, subjects ...supplychain.Subject) (evidence.Record, error) {
	st, err := attest.Build(p, subjects...)
	if err != nil {
		return evidence.Record{}, err
	}
	env, err := sign.Sign(ctx, s.Signer, st)
	if err != nil {
		return evidence.Record{}, err
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return evidence.Record{}, err
	}
	recs, err := s.Store.Append(ctx, evidence.Entry{Envelope: raw, Stage: stage})
	if err != nil {
		return evidence.Record{}, err
	}
	return recs[0], nil
}

// Record is Append for tests: it fails t on error.
func (s *Scenario) Record(t testing.TB, stage string, p attest.Predicate, subjects ...supplychain.Subject) evidence.Record {
	t.Helper()
	rec, err := s.Append(context.Background(), stage, p, subjects...)
	must(t, err)
	return rec
}

// Assess assesses the scenario's scope at Now.
func (s *Scenario) Assess(t testing.TB) *capability.Assessment {
	t.Helper()
	a, err := capability.Assess(context.Background(), s.Map, s.Store, s.Engine, s.Scope,
		capability.WithAssessClock(func() time.Time { return Now }))
	must(t, err)
	return a
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
