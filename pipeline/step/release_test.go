package step_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sign"
)

// relFixture is a real SQLite evidence store in a temporary directory, the
// CI key the runner signs with (trusted for everything), a release key
// (trusted for release statements only), a ledger over the store and the
// pipeline's working directory.
type relFixture struct {
	store   *evidence.Store
	ci      *sign.Signer
	release *sign.Signer
	trust   *sign.Trust
	ledger  *ledger.Ledger
	dir     string
}

func relEnv(t testing.TB) *relFixture {
	t.Helper()
	ctx := context.Background()
	ciKey, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	relKey, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: ciKey.Verifier}, {Name: "release", Key: relKey.Verifier}},
		[]sign.Rule{
			{PredicateTypes: []string{"*"}, Signers: []string{"ci"}},
			{PredicateTypes: []string{attest.PredicateRelease}, Signers: []string{"release"}},
		})
	require.NoError(t, err)
	b, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "evidence.db"))
	require.NoError(t, err)
	store, err := evidence.Open(ctx, b, evidence.WithTrust(trust))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	l, err := ledger.New(store, ciKey)
	require.NoError(t, err)
	return &relFixture{store: store, ci: ciKey, release: relKey, trust: trust, ledger: l, dir: t.TempDir()}
}

// run runs the stages in the fixture's directory, with the options.
func (f *relFixture) run(t testing.TB, opts []pipeline.Option, runOpts []pipeline.RunOption, stages ...pipeline.StageSpec) (*pipeline.Run, error) {
	t.Helper()
	p, err := pipeline.New("rel", stages...)
	require.NoError(t, err)
	r, err := pipeline.NewRunner(f.store, f.ci, opts...)
	require.NoError(t, err)
	return r.Run(context.Background(), p, append([]pipeline.RunOption{pipeline.InDir(f.dir)}, runOpts...)...)
}

// records returns the store's records of a predicate type, envelopes
// included, oldest first.
func (f *relFixture) records(t testing.TB, predicateType string) []evidence.Record {
	t.Helper()
	var out []evidence.Record
	for r, err := range f.store.Query(context.Background(), evidence.Query{PredicateType: predicateType, WithEnvelopes: true, Limit: evidence.MaxQueryLimit}) {
		require.NoError(t, err)
		out = append(out, r)
	}
	return out
}

// append signs a statement with the CI key and appends it, as another
// pipeline or a release bot would have.
func (f *relFixture) append(t testing.TB, p attest.Predicate, subjects ...supplychain.Subject) evidence.Record {
	t.Helper()
	ctx := context.Background()
	st, err := attest.Build(p, subjects...)
	require.NoError(t, err)
	env, err := sign.Sign(ctx, f.ci, st)
	require.NoError(t, err)
	raw, err := json.Marshal(env)
	require.NoError(t, err)
	recs, err := f.store.Append(ctx, evidence.Entry{Envelope: raw, Stage: "release"})
	require.NoError(t, err)
	return recs[0]
}

// file writes a file into the fixture's directory and returns its subject.
func (f *relFixture) file(t testing.TB, name, content string) supplychain.Subject {
	t.Helper()
	path := filepath.Join(f.dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	s, err := supplychain.SubjectFromFile(name, path)
	require.NoError(t, err)
	return s
}

// statement reads a record's statement from the store and decodes its
// predicate into p, unless p is nil.
func (f *relFixture) statement(t testing.TB, rec evidence.Record, p attest.Predicate) *attest.Statement {
	t.Helper()
	rec, err := f.store.Get(context.Background(), rec.ID)
	require.NoError(t, err)
	env, err := sign.ParseEnvelope(rec.Envelope)
	require.NoError(t, err)
	payload, err := env.DecodeB64Payload()
	require.NoError(t, err)
	st, err := attest.Parse(payload)
	require.NoError(t, err)
	if p != nil {
		require.NoError(t, st.Decode(p))
	}
	return st
}

// relStep is a step made of a function.
type relStep struct {
	name string
	run  func(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error)
}

func (s relStep) Name() string { return s.name }
func (s relStep) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	return s.run(ctx, sc)
}

// relProduce is a step that declares a product, making it the run's
// subject.
func relProduce(subj supplychain.Subject) pipeline.Step {
	return relStep{"build", func(context.Context, *pipeline.StepContext) (*pipeline.Result, error) {
		return &pipeline.Result{Products: []supplychain.Subject{subj}}, nil
	}}
}

// relChange is a Plan step that records a change by author.
func relChange(id, author string) pipeline.Step {
	return relStep{"change", func(_ context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
		c := attest.Change{ID: id, Title: "add refunds", Author: author, Owner: "@acme/payments", Risk: "high", CreatedAt: sc.Now()}
		return &pipeline.Result{Evidence: []pipeline.Evidence{{Predicate: c, Subjects: []supplychain.Subject{{Name: "repo", Digest: supplychain.DigestSet{"gitCommit": strings.Repeat("ab", 20)}}}}}}, nil
	}}
}

// relApproval is an approval of a change.
func relApproval(approver, decision, change string) attest.Approval {
	return attest.Approval{Approver: approver, Decision: decision, ChangeID: change, Stage: "release", DecidedAt: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
}

func TestSignRecordsArtifactStatementsAndEnvelopes(t *testing.T) {
	f := relEnv(t)
	app := f.file(t, "dist/app", "the binary")
	sbomFile := f.file(t, "dist/app.cdx.json", `{"bomFormat":"CycloneDX"}`)
	run, err := f.run(t, nil, nil, pipeline.In(pipeline.Release,
		step.Sign{Artifacts: []string{"dist/app", "dist/app.cdx.json"}, Version: "1.2.0", Signer: f.release}))
	require.NoError(t, err)
	require.Len(t, run.Steps, 1)
	assert.Equal(t, "signed 2 artifact(s)", run.Steps[0].Message)
	assert.Equal(t, app.Digest, run.Subject.Digest, "the first artifact, not its envelope, is the run's subject")

	recs := f.records(t, attest.PredicateRelease)
	require.Len(t, recs, 2)
	for i, want := range []supplychain.Subject{app, sbomFile} {
		var rel attest.Release
		st := f.statement(t, recs[i], &rel)
		require.Len(t, st.Subjects(), 1)
		assert.Equal(t, want.Digest, st.Subjects()[0].Digest, "the statement is about the artifact's digest")
		assert.Equal(t, "pkg:generic/"+filepath.Base(want.Name)+"@1.2.0", rel.Message().GetPurl())
		assert.Equal(t, "1.2.0", rel.Message().GetReleaseId())
	}

	// The detached envelope verifies offline with the release key, for
	// this artifact only.
	raw, err := os.ReadFile(filepath.Join(f.dir, "dist/app"+step.EnvelopeSuffix))
	require.NoError(t, err)
	env, err := sign.ParseEnvelope(raw)
	require.NoError(t, err)
	v, err := sign.Verify(context.Background(), env, f.trust, sign.ForArtifact(app.Digest))
	require.NoError(t, err)
	assert.Equal(t, "release", v.Signers[0].Name)
	_, err = sign.Verify(context.Background(), env, f.trust, sign.ForArtifact(sbomFile.Digest))
	require.Error(t, err, "the envelope is about its own artifact only")
}

func TestSignWithoutArtifactsSignsTheRunSubject(t *testing.T) {
	f := relEnv(t)
	bin := f.file(t, "app", "bin")
	_, err := f.run(t, nil, nil, pipeline.In(pipeline.Release, relProduce(bin), step.Sign{PURL: "pkg:golang/example.com/app@v1.0.0"}))
	require.NoError(t, err)
	recs := f.records(t, attest.PredicateRelease)
	require.Len(t, recs, 1)
	var rel attest.Release
	st := f.statement(t, recs[0], &rel)
	assert.Equal(t, bin.Digest, st.Subjects()[0].Digest)
	assert.Equal(t, "pkg:golang/example.com/app@v1.0.0", rel.Message().GetPurl())

	_, err = f.run(t, nil, nil, pipeline.In(pipeline.Release, step.Sign{}))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.ErrorContains(t, err, "no artifacts")
}

func TestApprovalSeparationOfDuties(t *testing.T) {
	team := []string{"dana@acme.test", "lee@acme.test", "ana@acme.test"}
	for _, tc := range []struct {
		name      string
		approvals []attest.Approval
		required  int
		wantErr   string // empty: the step succeeds
	}{
		{name: "team member", approvals: []attest.Approval{relApproval("Dana@acme.test", "approved", "PR-7")}},
		{name: "the author approves their own change", approvals: []attest.Approval{relApproval("ana@acme.test", "approved", "PR-7"), relApproval("lee@acme.test", "approved", "PR-7")},
			wantErr: "separation of duties: ana@acme.test approved their own change PR-7"},
		{name: "not in the owning team", approvals: []attest.Approval{relApproval("eve@else.test", "approved", "PR-7")},
			wantErr: "separation of duties: eve@else.test approved PR-7 but is not a member of the owning team"},
		{name: "rejected", approvals: []attest.Approval{relApproval("lee@acme.test", "approved", "PR-7"), relApproval("dana@acme.test", "rejected", "PR-7")},
			wantErr: "dana@acme.test rejected PR-7"},
		{name: "another change's approval does not count", approvals: []attest.Approval{relApproval("dana@acme.test", "approved", "PR-8")},
			wantErr: "waiting for approval of PR-7: 0 of 1"},
		{name: "two approvers needed", approvals: []attest.Approval{relApproval("dana@acme.test", "approved", "PR-7"), relApproval("DANA@acme.test", "approved", "PR-7")}, required: 2,
			wantErr: "waiting for approval of PR-7: 1 of 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := relEnv(t)
			bin := f.file(t, "app", "bin")
			for _, a := range tc.approvals {
				f.append(t, a, bin)
			}
			run, err := f.run(t, nil, nil,
				pipeline.In(pipeline.Plan, relChange("PR-7", "ana@acme.test")),
				pipeline.In(pipeline.Release, relProduce(bin), step.Approval{Team: team, Required: tc.required}))
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, "PR-7 approved by Dana@acme.test", run.Steps[2].Message)
				return
			}
			require.ErrorIs(t, err, pipeline.ErrStepFailed)
			assert.ErrorContains(t, err, tc.wantErr)
			last := run.Steps[len(run.Steps)-1]
			assert.True(t, last.Failed)
			assert.Contains(t, last.Message, tc.wantErr, "the step's signed record says why")
		})
	}
}

func TestApprovalAsksAPersonAndRecordsTheirDecision(t *testing.T) {
	f := relEnv(t)
	bin := f.file(t, "app", "bin")
	var asked step.ApprovalRequest
	ask := func(_ context.Context, req step.ApprovalRequest) (attest.Approval, error) {
		asked = req
		time.Sleep(20 * time.Millisecond) // the person reads the change
		return attest.Approval{Approver: "lee@acme.test", Decision: "approved", Comment: "refunds reviewed"}, nil
	}
	run, err := f.run(t, nil, nil,
		pipeline.In(pipeline.Plan, relChange("PR-7", "ana@acme.test")),
		pipeline.In(pipeline.Release, relProduce(bin), step.Approval{Team: []string{"lee@acme.test"}, Ask: ask, Environment: "prod"}))
	require.NoError(t, err)
	assert.Equal(t, "PR-7", asked.ChangeID)
	assert.Equal(t, "ana@acme.test", asked.Author)
	require.NotNil(t, asked.Subject)
	assert.Equal(t, bin.Digest, asked.Subject.Digest)

	sr := run.Steps[2]
	assert.True(t, sr.Manual, "a person's approval is manual work")
	assert.GreaterOrEqual(t, sr.ManualTime, 20*time.Millisecond)
	require.Len(t, sr.Evidence, 1)
	var a attest.Approval
	st := f.statement(t, sr.Evidence[0], &a)
	assert.Equal(t, "lee@acme.test", a.Approver)
	assert.Equal(t, "PR-7", a.ChangeID)
	assert.Equal(t, "release", a.Stage)
	assert.Equal(t, "prod", a.Environment)
	assert.Equal(t, bin.Digest, st.Subjects()[0].Digest)

	// The author answering is refused and not recorded.
	f2 := relEnv(t)
	self := func(context.Context, step.ApprovalRequest) (attest.Approval, error) {
		return attest.Approval{Approver: "ana@acme.test", Decision: "approved"}, nil
	}
	run, err = f2.run(t, nil, nil,
		pipeline.In(pipeline.Plan, relChange("PR-7", "ana@acme.test")),
		pipeline.In(pipeline.Release, relProduce(bin), step.Approval{Team: []string{"ana@acme.test"}, Ask: self}))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.ErrorContains(t, err, "their own change")
	assert.True(t, run.Steps[2].Manual, "the person's time is toil even when their answer is refused")
	assert.Empty(t, f2.records(t, attest.PredicateApproval))

	// Without a known author nobody may approve.
	f3 := relEnv(t)
	_, err = f3.run(t, nil, nil, pipeline.In(pipeline.Release, relProduce(bin), step.Approval{ChangeID: "PR-9", Team: []string{"lee@acme.test"}, Ask: ask}))
	assert.ErrorContains(t, err, "the author of PR-9 is unknown")
}

// relGit runs git in dir and returns its trimmed output.
func relGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null",
		"GIT_AUTHOR_NAME=Ana", "GIT_AUTHOR_EMAIL=ana@acme.test", "GIT_COMMITTER_NAME=Ana", "GIT_COMMITTER_EMAIL=ana@acme.test")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

// relCommit writes a file and commits it with a message.
func relCommit(t testing.TB, f *relFixture, file, msg string) string {
	t.Helper()
	f.file(t, file, msg)
	relGit(t, f.dir, "add", file)
	relGit(t, f.dir, "commit", "-q", "-m", msg)
	return relGit(t, f.dir, "rev-parse", "HEAD")
}

// relSBOM returns a CycloneDX 1.5 JSON SBOM of Go modules (path ->
// version).
func relSBOM(t testing.TB, mods map[string]string) []byte {
	t.Helper()
	var comps []map[string]any
	for p, v := range mods {
		comps = append(comps, map[string]any{"type": "library", "bom-ref": "pkg:golang/" + p + "@" + v, "name": p, "version": v, "purl": "pkg:golang/" + p + "@" + v})
	}
	doc, err := json.Marshal(map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps})
	require.NoError(t, err)
	return doc
}

func TestReleaseNotesSinceThePreviousRelease(t *testing.T) {
	ctx := context.Background()
	f := relEnv(t)
	relGit(t, f.dir, "init", "-q", "-b", "main")
	relCommit(t, f, "main.go", "initial service")
	c1 := relCommit(t, f, "api.go", "add the orders API")

	// api 1.0.0 shipped from c1 with its SBOM.
	v1 := supplychain.Subject{Name: "api", Digest: supplychain.DigestSet{"sha256": strings.Repeat("1", 64)}}
	sbomRec, err := f.ledger.RecordSBOM(ctx, relSBOM(t, map[string]string{"golang.org/x/text": "v0.3.8", "github.com/old/dep": "v1.0.0", "github.com/stable/dep": "v2.0.0"}), v1)
	require.NoError(t, err)
	_, err = f.ledger.RecordRelease(ctx, ledger.Release{Service: "api", Version: "1.0.0", Commit: c1, SBOMs: []string{sbomRec.ID}, ReleasedBy: "bot", Artifacts: []supplychain.Subject{v1}})
	require.NoError(t, err)

	relCommit(t, f, "refund.go", "add refunds")
	relCommit(t, f, "text.go", "bump x/text")
	f.file(t, "sbom.cdx.json", string(relSBOM(t, map[string]string{"golang.org/x/text": "v0.14.0", "github.com/new/dep": "v0.1.0", "github.com/stable/dep": "v2.0.0"})))

	run, err := f.run(t, nil, nil, pipeline.In(pipeline.Release,
		step.ReleaseNotes{Ledger: f.ledger, Service: "api", Version: "1.1.0", SBOM: "sbom.cdx.json"}))
	require.NoError(t, err)
	sr := run.Steps[0]
	assert.Equal(t, "RELEASE_NOTES.md: 2 commit(s) since 1.0.0", sr.Message)

	md, err := os.ReadFile(filepath.Join(f.dir, "RELEASE_NOTES.md"))
	require.NoError(t, err)
	notes := string(md)
	assert.Contains(t, notes, "# api 1.1.0\n")
	assert.Contains(t, notes, "Changes since 1.0.0 ("+c1[:12]+")")
	assert.Contains(t, notes, "- add refunds (")
	assert.Contains(t, notes, "- bump x/text (")
	assert.NotContains(t, notes, "orders API", "commits of the previous release are not in the notes")
	assert.Contains(t, notes, "### Added\n\n- github.com/new/dep@v0.1.0\n")
	assert.Contains(t, notes, "### Updated\n\n- golang.org/x/text v0.3.8 -> v0.14.0\n")
	assert.Contains(t, notes, "### Removed\n\n- github.com/old/dep@v1.0.0\n")
	assert.NotContains(t, notes, "stable/dep")

	require.Len(t, sr.Evidence, 1)
	var rec step.ReleaseNotesRecord
	st := f.statement(t, sr.Evidence[0], &rec)
	assert.Equal(t, "1.0.0", rec.Previous)
	require.Len(t, rec.Commits, 2)
	assert.Equal(t, "bump x/text", rec.Commits[0].Subject)
	assert.Equal(t, "ana@acme.test", rec.Commits[0].Email)
	assert.Equal(t, []string{"golang.org/x/text v0.3.8 -> v0.14.0"}, rec.Dependencies.Changed)
	assert.Equal(t, notes, rec.Markdown(), "the file and the evidence say the same")
	md2, err := supplychain.DigestFile(filepath.Join(f.dir, "RELEASE_NOTES.md"))
	require.NoError(t, err)
	assert.Equal(t, md2, st.Subjects()[len(st.Subjects())-1].Digest, "the evidence is about the notes file")
}

func TestReleaseNotesOfAFirstReleaseFromTheStoredSBOM(t *testing.T) {
	ctx := context.Background()
	f := relEnv(t)
	relGit(t, f.dir, "init", "-q", "-b", "main")
	relCommit(t, f, "main.go", "initial service")
	relCommit(t, f, "api.go", "add the orders API")
	bin := f.file(t, "app", "bin")
	_, err := f.ledger.RecordSBOM(ctx, relSBOM(t, map[string]string{"golang.org/x/text": "v0.14.0"}), bin)
	require.NoError(t, err)

	run, err := f.run(t, nil, nil, pipeline.In(pipeline.Release, relProduce(bin),
		step.ReleaseNotes{Ledger: f.ledger, Service: "api", Version: "0.1.0", Output: "notes.md"}))
	require.NoError(t, err)
	md, err := os.ReadFile(filepath.Join(f.dir, "notes.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "First release.")
	assert.Contains(t, string(md), "- add the orders API (")
	assert.Contains(t, string(md), "- initial service (")
	assert.Contains(t, string(md), "### Added\n\n- golang.org/x/text@v0.14.0\n")
	assert.Equal(t, "notes.md: 2 commit(s) since the beginning", run.Steps[1].Message)
}

func TestReleaseRecordsTheLedgerEntryWithItsEvidenceAndRollbackTarget(t *testing.T) {
	ctx := context.Background()
	f := relEnv(t)
	old := supplychain.Subject{Name: "api", Digest: supplychain.DigestSet{"sha256": strings.Repeat("0", 64)}}
	_, err := f.ledger.RecordRelease(ctx, ledger.Release{Service: "api", Version: "1.0.0", ReleasedBy: "bot", Artifacts: []supplychain.Subject{old}})
	require.NoError(t, err)
	_, err = f.ledger.RecordDeployment(ctx, attest.Deployment{ID: "d1", Service: "api", Environment: "prod", Version: "1.0.0", Deployer: "bot",
		Kind: "normal", Outcome: "succeeded", StartedAt: time.Now(), FinishedAt: time.Now()})
	require.NoError(t, err)

	bin := f.file(t, "dist/app", "v1.1.0 binary")
	sbomRec, err := f.ledger.RecordSBOM(ctx, relSBOM(t, map[string]string{"golang.org/x/text": "v0.14.0"}), bin)
	require.NoError(t, err)
	approved := f.append(t, relApproval("lee@acme.test", "approved", "api@1.1.0"), bin)
	f.append(t, relApproval("lee@acme.test", "approved", "PR-7"), bin) // a change's approval, not the release's
	f.append(t, relApproval("kim@acme.test", "approved", "api@1.1.0"), old)

	commit := strings.Repeat("c", 40)
	run, err := f.run(t, []pipeline.Option{pipeline.WithCI(ci.Context{Provider: ci.Local, BuilderID: ci.LocalBuilderID, Actor: "release-bot", Commit: commit})},
		[]pipeline.RunOption{pipeline.ToEnvironment("prod")},
		pipeline.In(pipeline.Release, step.Release{Ledger: f.ledger, Service: "api", Version: "1.1.0", Artifacts: []string{"dist/app"}}))
	require.NoError(t, err)
	rel, err := f.ledger.Release(ctx, "api", "1.1.0")
	require.NoError(t, err)
	assert.Equal(t, []string{sbomRec.ID}, rel.SBOMs)
	assert.Equal(t, []string{approved.ID}, rel.Approvals, "only approvals of this release about its artifacts")
	assert.Equal(t, commit, rel.Commit)
	assert.Equal(t, "release-bot", rel.ReleasedBy)
	require.Len(t, rel.Artifacts, 1)
	assert.Equal(t, bin.Digest, rel.Artifacts[0].Digest)
	msg := run.Steps[0].Message
	assert.Contains(t, msg, "released api@1.1.0 (record "+rel.RecordID+"): 1 artifact(s), 1 SBOM(s), 0 provenance, 1 approval(s)")
	assert.Contains(t, msg, "rollback target api@1.0.0 (running in prod)")
	assert.Equal(t, bin.Digest, run.Subject.Digest, "the released artifact is the run's subject")

	// The same version again is refused by the ledger.
	_, err = f.run(t, nil, nil, pipeline.In(pipeline.Release, step.Release{Ledger: f.ledger, Service: "api", Version: "1.1.0", ReleasedBy: "bot", Artifacts: []string{"dist/app"}}))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.ErrorContains(t, err, ledger.ErrDuplicateRelease.Error())
}

func TestReleaseKindsParseParamsStrictly(t *testing.T) {
	f := relEnv(t)
	kinds := step.Kinds(step.Env{Ledger: f.ledger, Signer: f.release})
	tmpl := `name: svc
stages:
  - stage: release
    steps:
      - name: sign
        kind: sign
        with: {artifacts: "dist/app, dist/app.sbom", version: "1.0.0"}
      - name: approve
        kind: approval
        with: {team: "lee@acme.test, dana@acme.test", required: "2", change: "api@1.0.0"}
      - name: notes
        kind: release-notes
        with: {service: api, version: "1.0.0", sbom: sbom.json}
      - name: release
        kind: release
        with: {service: api, version: "1.0.0", artifacts: dist/app}
`
	p, err := pipeline.LoadTemplate([]byte(tmpl), "ci.yaml", kinds, nil)
	require.NoError(t, err)
	steps := p.Stages()[0].Steps
	assert.Equal(t, step.Sign{StepName: "sign", Artifacts: []string{"dist/app", "dist/app.sbom"}, Version: "1.0.0", Signer: f.release}, steps[0].Step)
	assert.Equal(t, step.Approval{StepName: "approve", ChangeID: "api@1.0.0", Team: []string{"lee@acme.test", "dana@acme.test"}, Required: 2}, steps[1].Step)
	assert.Equal(t, step.ReleaseNotes{StepName: "notes", Ledger: f.ledger, Service: "api", Version: "1.0.0", SBOM: "sbom.json"}, steps[2].Step)
	assert.Equal(t, step.Release{StepName: "release", Ledger: f.ledger, Service: "api", Version: "1.0.0", Artifacts: []string{"dist/app"}}, steps[3].Step)

	bad := `name: svc
stages:
  - stage: release
    steps:
      - name: approve
        kind: approval
        with: {required: "0", teem: x}
      - name: release
        kind: release
        run: [echo]
        with: {version: "1.0.0"}
`
	_, err = pipeline.LoadTemplate([]byte(bad), "ci.yaml", kinds, nil)
	require.Error(t, err)
	var de *pipeline.DefinitionError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "ci.yaml", de.File)
	assert.ErrorContains(t, err, "stages[0].steps[0].with.teem: pipeline: invalid pipeline: teem: unknown parameter")
	assert.ErrorContains(t, err, "stages[0].steps[1].run")

	bad2 := strings.NewReplacer("teem: x", `team: "a@b"`, "        run: [echo]\n", "").Replace(bad)
	_, err = pipeline.LoadTemplate([]byte(bad2), "ci.yaml", kinds, nil)
	assert.ErrorContains(t, err, `required: "0" is not a positive number`)
	assert.ErrorContains(t, err, "with.service")
	assert.True(t, errors.Is(err, pipeline.ErrMissingParam))

	_, err = pipeline.LoadTemplate([]byte(tmpl), "ci.yaml", step.Kinds(step.Env{}), nil)
	assert.ErrorIs(t, err, step.ErrNoLedger)
	assert.ErrorContains(t, err, "stages[0].steps[2]")
}

// relSchema compiles a JSON schema.
func relSchema(t *testing.T, id, schema string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource(id, doc))
	s, err := c.Compile(id)
	require.NoError(t, err)
	return s
}

func TestStepPredicatesAgreeWithTheirSchemas(t *testing.T) {
	notes := relSchema(t, step.PredicateReleaseNotes, step.ReleaseNotesSchema)
	for _, tc := range []struct {
		schema *jsonschema.Schema
		p      attest.Predicate
		valid  bool
	}{
		{notes, step.ReleaseNotesRecord{Service: "api", Version: "1.1.0", Commit: "c2", Previous: "1.0.0", PreviousCommit: "c1",
			Commits: []step.NoteCommit{{ID: "c2", Author: "Ana", Email: "ana@acme.test", Subject: "add refunds"}}, SBOM: "sbom.json",
			Dependencies: &step.DependencyChanges{Added: []string{"a@v1"}, Changed: []string{"b v1 -> v2"}}}, true},
		{notes, step.ReleaseNotesRecord{Service: "api", Version: "0.1.0", Commit: "c1", Commits: []step.NoteCommit{}}, true},
		{notes, step.ReleaseNotesRecord{Service: "api", Commit: "c1", Commits: []step.NoteCommit{}}, false},
		{notes, step.ReleaseNotesRecord{Service: "api", Version: "1", Commit: "c1", Commits: []step.NoteCommit{{Subject: "x"}}}, false},
	} {
		b, err := json.Marshal(tc.p)
		require.NoError(t, err)
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
		require.NoError(t, err)
		verr, schemaErr := tc.p.Validate(), tc.schema.Validate(v)
		if tc.valid {
			assert.NoError(t, verr, "%s", b)
			assert.NoError(t, schemaErr, "%s", b)
			continue
		}
		assert.ErrorIs(t, verr, attest.ErrInvalidPredicate, "%s", b)
		assert.Error(t, schemaErr, "%s", b)
	}
}
