package pipeline_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

// env is a real SQLite evidence store and a signer it trusts.
type env struct {
	store  *evidence.Store
	signer *sign.Signer
	path   string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	signer, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: signer.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci"}}})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "evidence.db")
	b, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	store, err := evidence.Open(ctx, b, evidence.WithTrust(trust))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	return &env{store: store, signer: signer, path: path}
}

func (e *env) runner(t testing.TB, opts ...pipeline.Option) *pipeline.Runner {
	t.Helper()
	r, err := pipeline.NewRunner(e.store, e.signer, opts...)
	require.NoError(t, err)
	return r
}

// records returns every record of the store, envelopes included.
func (e *env) records(t testing.TB) []evidence.Record {
	t.Helper()
	var out []evidence.Record
	for r, err := range e.store.Query(context.Background(), evidence.Query{WithEnvelopes: true, Limit: evidence.MaxQueryLimit}) {
		require.NoError(t, err)
		out = append(out, r)
	}
	return out
}

// fn is a Step made of a function.
type fn struct {
	name string
	run  func(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error)
}

func (f fn) Name() string { return f.name }
func (f fn) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	return f.run(ctx, sc)
}

// ok is a step that succeeds, declaring products if given.
func ok(name string, products ...supplychain.Subject) pipeline.Step {
	return fn{name, func(context.Context, *pipeline.StepContext) (*pipeline.Result, error) {
		return &pipeline.Result{Products: products}, nil
	}}
}

// failing is a step that fails.
func failing(name string) pipeline.Step {
	return fn{name, func(context.Context, *pipeline.StepContext) (*pipeline.Result, error) {
		return nil, errors.New("exit status 2")
	}}
}

// artifact returns a subject with the digest of its name.
func artifact(name string) supplychain.Subject {
	sum := sha256.Sum256([]byte(name))
	return supplychain.Subject{Name: name, Digest: supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}}
}

// fixedClock returns a clock that starts at a fixed time and moves a
// second per reading.
func fixedClock() func() time.Time {
	t := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

// testPolicy is a build gate that needs a test result about the subject,
// for control T-1, mandatory unless bound otherwise.
const testPolicy = `# METADATA
# title: test gate
package paved.build

# METADATA
# title: tests ran
# custom:
#   control: T-1
#   stages: [build]
deny contains v if {
	count(object.get(input.evidence, "https://in-toto.io/attestation/test-result/v0.1", [])) == 0
	v := {"control": "T-1", "msg": sprintf("no test result for %s", [input.subject.name])}
}
`

func engine(t testing.TB, opts ...policy.Option) *policy.Engine {
	t.Helper()
	e, err := policy.New(context.Background(), policy.FS(fstest.MapFS{"gate.rego": {Data: []byte(testPolicy)}}), opts...)
	require.NoError(t, err)
	return e
}

// predicateTypes lists the predicate types of records, in order.
func predicateTypes(recs []evidence.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.PredicateType
	}
	return out
}
