package ledger_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/sign"
)

const log4j = "pkg:maven/org.apache.logging.log4j/log4j-core"

// The done-when case: across three releases (two services, CycloneDX and
// SPDX SBOMs), the ledger answers which contain log4j-core below 2.17.1.
func TestContainingLog4jBelow2171(t *testing.T) {
	f := newFixture(t)
	f.release(t, "checkout", "1.0.0", cyclonedx(t, "checkout", "1.0.0", map[string]string{
		"org.apache.logging.log4j:log4j-core": "2.14.1", "org.apache.logging.log4j:log4j-api": "2.14.1"}), t0)
	f.release(t, "checkout", "1.1.0", cyclonedx(t, "checkout", "1.1.0", map[string]string{
		"org.apache.logging.log4j:log4j-core": "2.17.1", "org.apache.logging.log4j:log4j-api": "2.17.1"}), t0.Add(24*time.Hour))
	// 2.9.0 is below 2.17.1 in Maven's ordering, though not as strings.
	f.release(t, "billing", "3.2.0", spdx(t, "billing", "org.apache.logging.log4j", "log4j-core", "2.9.0"), t0.Add(48*time.Hour))
	f.deploy(t, "d1", "checkout", "1.0.0", "prod", "succeeded", t0.Add(time.Hour))
	f.deploy(t, "d2", "billing", "3.2.0", "staging", "succeeded", t0.Add(49*time.Hour))

	below, err := ledger.ParseRange("<2.17.1")
	require.NoError(t, err)
	rep, err := f.ledger.Containing(f.ctx, log4j, below)
	require.NoError(t, err)
	assert.Equal(t, "Maven", rep.Ecosystem)
	assert.Equal(t, "org.apache.logging.log4j:log4j-core", rep.Name)
	assert.Equal(t, 3, rep.Releases)
	assert.Equal(t, 3, rep.SBOMs)
	assert.Empty(t, rep.Unresolved)
	assert.Empty(t, rep.Problems)
	require.Len(t, rep.Shipped, 2)
	assert.Equal(t, "billing@3.2.0", rep.Shipped[0].Release.ID())
	assert.Equal(t, "2.9.0", rep.Shipped[0].Component.Version)
	assert.Equal(t, []string{"staging"}, rep.Shipped[0].Environments)
	assert.Equal(t, "checkout@1.0.0", rep.Shipped[1].Release.ID())
	assert.Equal(t, "2.14.1", rep.Shipped[1].Component.Version)
	assert.Equal(t, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", rep.Shipped[1].Component.PURL)
	assert.Equal(t, []string{"prod"}, rep.Shipped[1].Environments)
	assert.Equal(t, rep.Shipped[1].Release.SBOMs[0], rep.Shipped[1].SBOM)

	// Other ranges over the same releases.
	for expr, want := range map[string][]string{
		">=2.17.1":        {"checkout@1.1.0"},
		"=2.14.1":         {"checkout@1.0.0"},
		">=2.10.0, <2.17": {"checkout@1.0.0"},
		"*":               {"billing@3.2.0", "checkout@1.0.0", "checkout@1.1.0"},
		"<2.0":            nil,
	} {
		r, err := ledger.ParseRange(expr)
		require.NoError(t, err, expr)
		rep, err := f.ledger.Containing(f.ctx, log4j, r)
		require.NoError(t, err, expr)
		var got []string
		for _, s := range rep.Shipped {
			got = append(got, s.Release.ID())
		}
		assert.Equal(t, want, got, expr)
	}

	// log4j-api is another package.
	rep, err = f.ledger.Containing(f.ctx, "pkg:maven/org.apache.logging.log4j/log4j-api", below)
	require.NoError(t, err)
	require.Len(t, rep.Shipped, 1)
	assert.Equal(t, "checkout@1.0.0", rep.Shipped[0].Release.ID())
}

func TestContainingUnresolvedAndBadQueries(t *testing.T) {
	f := newFixture(t)
	f.release(t, "web", "1.0.0", cyclonedx(t, "web", "1.0.0", map[string]string{"org.example:lib": "1.0.0"}), t0)
	any, err := ledger.ParseRange("*")
	require.NoError(t, err)

	// A purl type without a version ordering is an error, not an empty answer.
	_, err = f.ledger.Containing(f.ctx, "pkg:generic/thing", any)
	require.ErrorIs(t, err, ledger.ErrInvalid)
	for _, bad := range []string{"log4j-core", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"} {
		_, err = f.ledger.Containing(f.ctx, bad, any)
		var fe *ledger.FieldError
		require.ErrorAs(t, err, &fe, bad)
		assert.Equal(t, "package", fe.Field)
	}
}

func TestParseRange(t *testing.T) {
	for expr, want := range map[string]string{
		"":                       "*",
		" * ":                    "*",
		"<2.17.1":                "<2.17.1",
		">= 2.0.0-beta9 ,< 2.17": ">=2.0.0-beta9, <2.17",
		"==1.2.3":                "=1.2.3",
		"<=1, >0":                "<=1, >0",
	} {
		r, err := ledger.ParseRange(expr)
		require.NoError(t, err, expr)
		assert.Equal(t, want, r.String(), expr)
	}
	for _, bad := range []string{"2.17.1", "<", "<2.17.1,", "< 2 3", ">=*", "~1.2", "<1, =>2"} {
		_, err := ledger.ParseRange(bad)
		require.ErrorIs(t, err, ledger.ErrInvalid, bad)
	}

	r, err := ledger.ParseRange(">=1.0.0, <2.0.0")
	require.NoError(t, err)
	for _, c := range []struct {
		eco, v string
		in     bool
	}{
		{"Go", "v1.5.0", true}, {"Go", "v2.0.0", false}, {"npm", "1.0.0-rc.1", false}, {"PyPI", "1.0.0.post1", true},
		{"Maven", "1.10.0", true}, {"Maven", "2.0.0-SNAPSHOT", true}, {"crates.io", "0.9.9", false},
	} {
		in, err := r.Contains(c.eco, c.v)
		require.NoError(t, err, c)
		assert.Equal(t, c.in, in, "%s %s", c.eco, c.v)
	}
	_, err = r.Contains("NoSuchEcosystem", "1.0.0")
	require.Error(t, err)
}

func TestCurrentHistoryAndRollback(t *testing.T) {
	f := newFixture(t)
	doc := func(v string) []byte {
		return cyclonedx(t, "checkout", v, map[string]string{"org.example:lib": "1.0.0"})
	}
	f.release(t, "checkout", "1.0.0", doc("1.0.0"), t0)
	f.release(t, "checkout", "1.1.0", doc("1.1.0"), t0.Add(24*time.Hour))
	f.release(t, "checkout", "1.2.0", doc("1.2.0"), t0.Add(48*time.Hour))
	f.release(t, "checkout", "1.3.0", doc("1.3.0"), t0.Add(72*time.Hour))
	f.release(t, "search", "7.0.0", cyclonedx(t, "search", "7.0.0", nil), t0)

	_, err := f.ledger.RollbackTarget(f.ctx, "checkout", "prod")
	require.ErrorIs(t, err, ledger.ErrNothingDeployed)

	f.deploy(t, "d1", "checkout", "1.0.0", "prod", "succeeded", t0.Add(1*time.Hour))
	_, err = f.ledger.RollbackTarget(f.ctx, "checkout", "prod")
	require.ErrorIs(t, err, ledger.ErrNoRollbackTarget, "only one version ever ran")

	f.deploy(t, "d2", "checkout", "1.1.0", "prod", "succeeded", t0.Add(25*time.Hour))
	f.deploy(t, "d3", "checkout", "1.2.0", "prod", "rolled_back", t0.Add(49*time.Hour)) // bad: rolled back
	f.deploy(t, "d4", "checkout", "1.1.0", "prod", "succeeded", t0.Add(50*time.Hour))   // the rollback
	f.deploy(t, "d5", "checkout", "1.3.0", "prod", "succeeded", t0.Add(73*time.Hour))
	f.deploy(t, "d6", "checkout", "1.3.0", "staging", "succeeded", t0.Add(72*time.Hour))
	f.deploy(t, "d7", "search", "7.0.0", "prod", "succeeded", t0.Add(2*time.Hour))

	now, err := f.ledger.Current(f.ctx, "prod")
	require.NoError(t, err)
	require.Len(t, now, 2)
	assert.Equal(t, "checkout@1.3.0", now[0].Release.ID())
	assert.Equal(t, "d5", now[0].Deployment.ID)
	assert.Equal(t, []supplychain.Subject{artifact("checkout", "1.3.0")}, now[0].Release.Artifacts)
	assert.Equal(t, "search@7.0.0", now[1].Release.ID())

	// 1.2.0 was rolled back, so the target is 1.1.0, not the newer 1.2.0.
	target, err := f.ledger.RollbackTarget(f.ctx, "checkout", "prod")
	require.NoError(t, err)
	assert.Equal(t, "1.1.0", target.Version)
	assert.NotEmpty(t, target.RecordID)

	// A failed deployment leaves the previous release running.
	f.deploy(t, "d8", "checkout", "1.2.0", "staging", "failed", t0.Add(80*time.Hour))
	staging, err := f.ledger.Current(f.ctx, "staging")
	require.NoError(t, err)
	require.Len(t, staging, 1)
	assert.Equal(t, "1.3.0", staging[0].Release.Version)

	// A deployment recorded as succeeded and later as rolled back no
	// longer counts.
	f.deploy(t, "d5", "checkout", "1.3.0", "prod", "rolled_back", t0.Add(90*time.Hour))
	now, err = f.ledger.Current(f.ctx, "prod")
	require.NoError(t, err)
	assert.Equal(t, "checkout@1.1.0", now[0].Release.ID())
	target, err = f.ledger.RollbackTarget(f.ctx, "checkout", "prod")
	require.NoError(t, err)
	assert.Equal(t, "1.0.0", target.Version, "1.2.0 and 1.3.0 were rolled back")

	h, err := f.ledger.History(f.ctx, "checkout")
	require.NoError(t, err)
	var versions, deps []string
	for _, r := range h.Releases {
		versions = append(versions, r.Version)
	}
	for _, d := range h.Deployments {
		deps = append(deps, d.ID+" "+d.Environment+" "+d.Version+" "+d.Outcome)
	}
	assert.Equal(t, []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0"}, versions)
	assert.Equal(t, []string{
		"d1 prod 1.0.0 succeeded", "d2 prod 1.1.0 succeeded", "d3 prod 1.2.0 rolled_back", "d4 prod 1.1.0 succeeded",
		"d6 staging 1.3.0 succeeded", "d5 prod 1.3.0 succeeded", "d8 staging 1.2.0 failed", "d5 prod 1.3.0 rolled_back",
	}, deps)
	assert.Equal(t, "deploy-bot@example.com", h.Deployments[0].Deployer)

	empty, err := f.ledger.Current(f.ctx, "dev")
	require.NoError(t, err)
	assert.Empty(t, empty)
	_, err = f.ledger.Current(f.ctx, "")
	require.ErrorIs(t, err, ledger.ErrInvalid)
}

func TestRecordReleaseFailsClosed(t *testing.T) {
	f := newFixture(t)
	a := artifact("api", "2.0.0")
	sb, err := f.ledger.RecordSBOM(f.ctx, cyclonedx(t, "api", "2.0.0", nil), a)
	require.NoError(t, err)
	good := ledger.Release{Service: "api", Version: "2.0.0", Artifacts: []supplychain.Subject{a},
		SBOMs: []string{sb.ID}, Approvals: []string{f.approve(t, "api", "2.0.0")}, ReleasedBy: "bot"}

	otherSBOM, err := f.ledger.RecordSBOM(f.ctx, cyclonedx(t, "other", "1", nil), artifact("other", "1"))
	require.NoError(t, err)
	wrongApproval := f.appendSigned(t, f.manager, attest.Approval{Approver: "rm@example.com", Decision: "approved",
		ChangeID: "api@1.9.0", DecidedAt: t0}, a)
	rejected := f.appendSigned(t, f.manager, attest.Approval{Approver: "rm@example.com", Decision: "rejected",
		ChangeID: "api@2.0.0", DecidedAt: t0}, a)
	missing := "sha256:" + strings.Repeat("0", 64)

	tests := []struct {
		name   string
		edit   func(*ledger.Release)
		target error
		want   string
	}{
		{"missing sbom", func(r *ledger.Release) { r.SBOMs = []string{missing} }, evidence.ErrNotFound, "sboms[0]"},
		{"sbom of another artifact", func(r *ledger.Release) { r.SBOMs = []string{otherSBOM.ID} }, ledger.ErrReference, "about none of the release's artifacts"},
		{"approval as provenance", func(r *ledger.Release) { r.Provenance = r.Approvals }, ledger.ErrReference, "not SLSA provenance"},
		{"approval of another version", func(r *ledger.Release) { r.Approvals = []string{wrongApproval} }, ledger.ErrReference, `approves "api@1.9.0"`},
		{"rejected", func(r *ledger.Release) { r.Approvals = []string{rejected} }, ledger.ErrReference, `decision "rejected"`},
		{"no artifacts", func(r *ledger.Release) { r.Artifacts = nil }, ledger.ErrInvalid, "artifacts: required"},
		{"bad fields", func(r *ledger.Release) {
			r.Service, r.Version, r.ReleasedBy, r.SBOMs = "a@b", "", "", []string{"md5:x"}
		}, ledger.ErrInvalid, "service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.edit(&r)
			_, err := f.ledger.RecordRelease(f.ctx, r)
			require.ErrorIs(t, err, tt.target)
			assert.ErrorContains(t, err, tt.want)
		})
	}
	_, err = f.ledger.Release(f.ctx, "api", "2.0.0")
	require.ErrorIs(t, err, ledger.ErrUnknownRelease, "nothing was recorded")

	rel, err := f.ledger.RecordRelease(f.ctx, good)
	require.NoError(t, err)
	assert.False(t, rel.ReleasedAt.IsZero(), "stamped by the clock")
	_, err = f.ledger.RecordRelease(f.ctx, good)
	require.ErrorIs(t, err, ledger.ErrDuplicateRelease)

	// The record is a signed statement about the artifact.
	rec, err := f.store.Get(f.ctx, rel.RecordID)
	require.NoError(t, err)
	assert.Equal(t, ledger.PredicateRelease, rec.PredicateType)
	assert.Equal(t, ledger.Stage, rec.Stage)
	assert.Equal(t, []supplychain.Subject{a}, rec.Subjects)
	assert.Equal(t, "release-bot", rec.Signers[0].Name)
	assert.Equal(t, map[string]string{ledger.LabelService: "api", ledger.LabelVersion: "2.0.0"}, rec.Labels)
}

func TestRecordDeploymentNeedsARelease(t *testing.T) {
	f := newFixture(t)
	_, err := f.ledger.RecordDeployment(f.ctx, attest.Deployment{ID: "d", Service: "ghost", Environment: "prod", Version: "1",
		Deployer: "x", Kind: "normal", Outcome: "succeeded", StartedAt: t0, FinishedAt: t0})
	require.ErrorIs(t, err, ledger.ErrUnknownRelease)
	_, err = f.ledger.RecordDeployment(f.ctx, attest.Deployment{ID: "d"})
	require.ErrorIs(t, err, ledger.ErrInvalid)
	require.ErrorIs(t, err, attest.ErrInvalidPredicate)
}

func TestSignerMustBeTrusted(t *testing.T) {
	f := newFixture(t)
	untrusted, err := ledger.New(f.store, f.outsider)
	require.NoError(t, err)
	_, err = untrusted.RecordSBOM(f.ctx, cyclonedx(t, "x", "1", nil), artifact("x", "1"))
	require.ErrorIs(t, err, evidence.ErrInvalidEntry)
	require.ErrorIs(t, err, sign.ErrUntrustedKey)

	_, err = ledger.New(nil, nil, ledger.WithClock(nil), ledger.WithLogger(nil))
	assert.ErrorContains(t, err, "nil store")
	assert.ErrorContains(t, err, "nil signer")
	assert.ErrorContains(t, err, "WithClock")
	assert.ErrorContains(t, err, "WithLogger")
}

func TestSBOMMustDecode(t *testing.T) {
	f := newFixture(t)
	_, err := f.ledger.RecordSBOM(f.ctx, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library"}]}`), artifact("x", "1"))
	require.ErrorIs(t, err, sbom.ErrInvalidSBOM)
}

func TestReleaseSchemaMatchesPredicate(t *testing.T) {
	var schema map[string]any
	require.NoError(t, json.Unmarshal(ledger.ReleaseSchema, &schema))
	props := schema["properties"].(map[string]any)
	b, err := json.Marshal(ledger.Release{Service: "s", Version: "v", Commit: "c", SBOMs: []string{"x"}, Provenance: []string{"x"},
		Approvals: []string{"x"}, ReleasedBy: "b", ReleasedAt: t0, RecordID: "not in the predicate"})
	require.NoError(t, err)
	var fields map[string]any
	require.NoError(t, json.Unmarshal(b, &fields))
	for k := range fields {
		assert.Contains(t, props, k, "the schema describes every field")
	}
	assert.Len(t, fields, len(props))

	// A release the ledger signs validates against the schema; one with a
	// bad service and record ID does not.
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ledger.ReleaseSchema))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource(ledger.PredicateRelease, doc))
	sch, err := c.Compile(ledger.PredicateRelease)
	require.NoError(t, err)
	valid, err := json.Marshal(ledger.Release{Service: "api", Version: "1.0.0", SBOMs: []string{"sha256:" + strings.Repeat("ab", 32)}, ReleasedBy: "bot", ReleasedAt: t0})
	require.NoError(t, err)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(valid))
	require.NoError(t, err)
	assert.NoError(t, sch.Validate(v))
	invalid, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"service":"a@b","version":"1","sboms":["md5:x"],"releasedBy":"bot","releasedAt":"2026-03-01T09:00:00Z"}`))
	require.NoError(t, err)
	assert.Error(t, sch.Validate(invalid))
	assert.True(t, errors.Is(ledger.Release{}.Validate(), ledger.ErrInvalid))
}

// SBOMs that retention pruned are reported as problems beside the
// answer, never dropped silently.
func TestContainingReportsUnreadableSBOMs(t *testing.T) {
	f := newFixture(t)
	f.release(t, "checkout", "1.0.0", cyclonedx(t, "checkout", "1.0.0", map[string]string{"org.apache.logging.log4j:log4j-core": "2.14.1"}), t0)
	f.release(t, "billing", "3.2.0", spdx(t, "billing", "org.apache.logging.log4j", "log4j-core", "2.9.0"), t0)
	time.Sleep(2 * time.Millisecond)
	pruned, err := f.store.Prune(f.ctx, evidence.Retention{Rules: []evidence.RetentionRule{{PredicateType: sbom.PredicateCycloneDX, MaxAge: time.Microsecond}}}, f.bot)
	require.NoError(t, err)
	require.Len(t, pruned.Pruned, 1)

	below, err := ledger.ParseRange("<2.17.1")
	require.NoError(t, err)
	rep, err := f.ledger.Containing(f.ctx, log4j, below)
	require.NoError(t, err)
	require.Len(t, rep.Shipped, 1)
	assert.Equal(t, "billing@3.2.0", rep.Shipped[0].Release.ID())
	require.Len(t, rep.Problems, 1)
	assert.ErrorIs(t, rep.Problems[0], ledger.ErrUnreadable)
	assert.ErrorContains(t, rep.Problems[0], "pruned")
	assert.Equal(t, 2, rep.SBOMs)
}
