package step

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	releasev0 "github.com/in-toto/attestation/go/predicates/release/v0"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/sign"
)

// EnvelopeSuffix is appended to an artifact's path to name the detached
// DSSE envelope Sign writes beside it.
const EnvelopeSuffix = ".intoto.json"

// Sign signs artifacts into in-toto statements whose subjects are their
// digests and whose predicate is in-toto's release predicate (the
// artifact's package URL and the release ID). The statement is the step's
// evidence, which the runner signs and stores; when Signer is set (a
// release key, apart from the runner's CI key), Sign also writes the
// statement signed by it as a detached DSSE envelope beside each file,
// <artifact>.intoto.json, for consumers to verify offline.
type Sign struct {
	// StepName names the step; the default is "sign".
	StepName string
	// Artifacts are the files to sign, relative to the pipeline's
	// directory; empty signs the run's subject.
	Artifacts []string
	// PURL is the package URL of the artifacts; the default is
	// "pkg:generic/<artifact name>" with "@<Version>" when Version is set.
	PURL string
	// Version is the release ID the statements carry.
	Version string
	// Signer, when set, signs the detached envelopes.
	Signer *sign.Signer
}

// Name returns the step's name.
func (s Sign) Name() string { return cmp.Or(s.StepName, "sign") }

// Run digests the artifacts and returns their statements as evidence.
func (s Sign) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	subjects, err := stepArtifacts(sc, s.Artifacts)
	if err != nil {
		return nil, err
	}
	// The signed files are products too, ahead of their envelopes, so
	// that the first artifact, not an envelope, becomes the run's subject.
	res := &pipeline.Result{Materials: subjects}
	if len(s.Artifacts) > 0 {
		res.Products = slices.Clone(subjects)
	}
	for i, subj := range subjects {
		purl := s.PURL
		if purl == "" {
			purl = "pkg:generic/" + filepath.Base(subj.Name)
			if s.Version != "" {
				purl += "@" + s.Version
			}
		}
		subj.PURL = purl
		m := &releasev0.Release{Purl: purl}
		if s.Version != "" {
			m.ReleaseId = &s.Version
		}
		pred := attest.NewRelease(m)
		res.Evidence = append(res.Evidence, pipeline.Evidence{Predicate: pred, Subjects: []supplychain.Subject{subj}})
		if s.Signer == nil || len(s.Artifacts) == 0 {
			continue
		}
		st, err := attest.Build(pred, subj)
		if err != nil {
			return nil, err
		}
		env, err := sign.Sign(ctx, s.Signer, st)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(env)
		if err != nil {
			return nil, err
		}
		out := s.Artifacts[i] + EnvelopeSuffix
		if err := os.WriteFile(filepath.Join(sc.Dir, out), raw, 0o644); err != nil {
			return nil, fmt.Errorf("writing the envelope: %w", err)
		}
		prod, err := supplychain.SubjectFromFile(out, filepath.Join(sc.Dir, out))
		if err != nil {
			return nil, err
		}
		res.Products = append(res.Products, prod)
	}
	res.Message = fmt.Sprintf("signed %d artifact(s)", len(subjects))
	return res, nil
}

// stepArtifacts returns the subjects of files relative to the pipeline's
// directory, named by their relative paths, or the run's subject when no
// file is given.
func stepArtifacts(sc *pipeline.StepContext, paths []string) ([]supplychain.Subject, error) {
	if len(paths) == 0 {
		subj, ok := sc.Subject()
		if !ok {
			return nil, errors.New("no artifacts: name files, or run after a step that declares a product")
		}
		return []supplychain.Subject{subj}, nil
	}
	out := make([]supplychain.Subject, 0, len(paths))
	for _, p := range paths {
		subj, err := supplychain.SubjectFromFile(p, filepath.Join(sc.Dir, p))
		if err != nil {
			return nil, err
		}
		out = append(out, subj)
	}
	return out, nil
}

// findRecords returns every record matching q, envelopes included, oldest
// first.
func findRecords(ctx context.Context, store *evidence.Store, q evidence.Query) ([]evidence.Record, error) {
	if store == nil {
		return nil, errors.New("no evidence store")
	}
	q.WithEnvelopes, q.Limit = true, evidence.MaxQueryLimit
	var out []evidence.Record
	for r, err := range store.QueryAll(ctx, q) {
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// aboutSubjects returns the records of the predicate types about any of
// subjects' SHA-256 or SHA-512 digests, oldest first, without duplicates.
func aboutSubjects(ctx context.Context, store *evidence.Store, subjects []supplychain.Subject, types ...string) ([]evidence.Record, error) {
	seen := map[string]bool{}
	var out []evidence.Record
	for _, s := range subjects {
		for _, d := range s.Digest.Digests() {
			if d.Algorithm != "sha256" && d.Algorithm != "sha512" {
				continue
			}
			for _, typ := range types {
				recs, err := findRecords(ctx, store, evidence.Query{SubjectDigest: d.String(), PredicateType: typ})
				if err != nil {
					return nil, err
				}
				for _, r := range recs {
					if !seen[r.ID] {
						seen[r.ID] = true
						out = append(out, r)
					}
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b evidence.Record) int { return cmp.Compare(a.Index, b.Index) })
	return out, nil
}

// readStatement returns a record's statement; the store verified its
// envelope when it was appended.
func readStatement(rec evidence.Record) (*attest.Statement, error) {
	if rec.Envelope == nil {
		return nil, fmt.Errorf("record %s: no envelope (pruned)", rec.ID)
	}
	env, err := sign.ParseEnvelope(rec.Envelope)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", rec.ID, err)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", rec.ID, err)
	}
	st, err := attest.Parse(payload)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", rec.ID, err)
	}
	return st, nil
}

// Approval collects signed approvals of a change and enforces separation
// of duties: an approval counts only when its approver is a member of the
// owning team and is not the change's author. Approvals are the
// attest.Approval records in the evidence store whose change ID is the
// change's. When fewer than Required approve and Ask is set, the step
// asks a person (a prompt, a chat command) and records their decision:
// that is manual work, counted as toil.
//
// An approval that breaks separation of duties, or a rejection, fails the
// step with a message that says who and why, whatever else approved: a
// self-approval is a finding, not noise to outvote.
type Approval struct {
	// StepName names the step; the default is "approval".
	StepName string
	// ChangeID is the change approved, such as a pull request or
	// "service@version" for a release (the change ID the ledger asks
	// release approvals for); the default is the ID of the attest.Change
	// this run recorded (ChangeRecord).
	ChangeID string
	// Author is the change's author; the default is the author of the
	// attest.Change this run recorded. Without one the step fails: who
	// may not approve must be known.
	Author string
	// Team lists the identities of the owning team's members (from
	// CODEOWNERS or the capability map); only they may approve.
	Team []string
	// Required is how many distinct approvers are needed; the default is 1.
	Required int
	// Environment, when set, is the environment approved for, recorded
	// in approvals Ask returns.
	Environment string
	// Ask, when set, asks a person to decide and waits for them
	// (honouring ctx); it is called only when the store holds too few
	// approvals.
	Ask func(ctx context.Context, req ApprovalRequest) (attest.Approval, error)
}

// ApprovalRequest is what Approval.Ask is asked to decide.
type ApprovalRequest struct {
	// ChangeID and Author identify the change; Change is its record, if
	// the run has one.
	ChangeID, Author string
	Change           *attest.Change
	// Subject is the artifact the run is about, if known.
	Subject *supplychain.Subject
	// Team lists who may approve; Have lists who already did.
	Team, Have []string
}

// Name returns the step's name.
func (s Approval) Name() string { return cmp.Or(s.StepName, "approval") }

// Run collects the approvals, asking for one if needed, and checks them.
func (s Approval) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	if len(s.Team) == 0 {
		return nil, errors.New("approval: no team members configured: nobody may approve")
	}
	required := max(s.Required, 1)
	change, err := runChange(ctx, sc)
	if err != nil {
		return nil, err
	}
	id, author := s.ChangeID, s.Author
	if change != nil {
		id, author = cmp.Or(id, change.ID), cmp.Or(author, change.Author)
	}
	switch {
	case id == "":
		return nil, errors.New("approval: no change to approve: set ChangeID, or record a ChangeRecord earlier in the run")
	case author == "":
		return nil, fmt.Errorf("approval: the author of %s is unknown: set Author, or record a ChangeRecord earlier in the run", id)
	}
	recs, err := findRecords(ctx, sc.Store, evidence.Query{PredicateType: attest.PredicateApproval})
	if err != nil {
		return nil, err
	}
	res := &pipeline.Result{}
	var approvers, problems []string
	judge := func(a attest.Approval) bool {
		switch {
		case a.Decision != "approved":
			problems = append(problems, fmt.Sprintf("%s %s %s%s", a.Approver, a.Decision, id, comment(a.Comment)))
		case sameIdentity(a.Approver, author):
			problems = append(problems, fmt.Sprintf("separation of duties: %s approved their own change %s", a.Approver, id))
		case !slices.ContainsFunc(s.Team, func(m string) bool { return sameIdentity(m, a.Approver) }):
			problems = append(problems, fmt.Sprintf("separation of duties: %s approved %s but is not a member of the owning team (%s)", a.Approver, id, strings.Join(s.Team, ", ")))
		case !slices.ContainsFunc(approvers, func(m string) bool { return sameIdentity(m, a.Approver) }):
			approvers = append(approvers, a.Approver)
			return true
		}
		return false
	}
	for _, r := range recs {
		st, err := readStatement(r)
		if err != nil {
			return nil, err
		}
		var a attest.Approval
		if err := st.Decode(&a); err != nil {
			return nil, fmt.Errorf("record %s: %w", r.ID, err)
		}
		if a.ChangeID == id {
			judge(a)
		}
	}
	if len(problems) == 0 && len(approvers) < required && s.Ask != nil {
		req := ApprovalRequest{ChangeID: id, Author: author, Change: change, Team: s.Team, Have: approvers}
		if subj, ok := sc.Subject(); ok {
			req.Subject = &subj
		}
		asked := sc.Now()
		a, err := s.Ask(ctx, req)
		res.Manual, res.ManualTime = true, sc.Now().Sub(asked)
		if err != nil {
			return res, fmt.Errorf("approval: asking for an approval of %s: %w", id, err)
		}
		a.ChangeID = cmp.Or(a.ChangeID, id)
		a.Stage = cmp.Or(a.Stage, string(sc.Stage))
		a.Environment = cmp.Or(a.Environment, s.Environment)
		if a.DecidedAt.IsZero() {
			a.DecidedAt = sc.Now().UTC()
		}
		switch err := a.Validate(); {
		case err != nil:
			return res, fmt.Errorf("approval: the answer: %w", err)
		case a.ChangeID != id:
			return res, fmt.Errorf("approval: the answer decides %q, not %q", a.ChangeID, id)
		}
		if judge(a) {
			res.Evidence = append(res.Evidence, pipeline.Evidence{Predicate: a})
		}
	}
	switch {
	case len(problems) > 0:
		res.Failed, res.Message = true, strings.Join(problems, "; ")
	case len(approvers) < required:
		res.Failed = true
		res.Message = fmt.Sprintf("waiting for approval of %s: %d of %d from %s", id, len(approvers), required, strings.Join(s.Team, ", "))
	default:
		res.Message = fmt.Sprintf("%s approved by %s", id, strings.Join(approvers, ", "))
	}
	return res, nil
}

// comment formats an approval's comment for a message.
func comment(c string) string {
	if c == "" {
		return ""
	}
	return ": " + c
}

// sameIdentity compares identities as e-mail addresses are compared:
// without regard to case or surrounding space.
func sameIdentity(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// runChange returns the latest attest.Change this run recorded, or nil.
func runChange(ctx context.Context, sc *pipeline.StepContext) (*attest.Change, error) {
	recs, err := findRecords(ctx, sc.Store, evidence.Query{PredicateType: attest.PredicateChange, Labels: map[string]string{"paved.run": sc.RunID}})
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	st, err := readStatement(recs[len(recs)-1])
	if err != nil {
		return nil, err
	}
	var c attest.Change
	if err := st.Decode(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// ReleaseNotes writes the notes of a release: the commits since the
// previous version of the service the ledger shipped (`git log
// <previous>..<head>` in the pipeline's directory) and what changed in
// its dependencies (the sbom.Diff of the previous release's SBOM and this
// one's). The notes are a markdown file, the step's product, and a
// ReleaseNotesRecord predicate, its evidence.
type ReleaseNotes struct {
	// StepName names the step; the default is "release-notes".
	StepName string
	// Ledger says what shipped before.
	Ledger *ledger.Ledger
	// Service and Version name the release.
	Service, Version string
	// Head is the release's revision; the default is HEAD.
	Head string
	// SBOM is this release's SBOM file (CycloneDX or SPDX), relative to
	// the pipeline's directory; the default is the latest SBOM record
	// about the run's subject.
	SBOM string
	// Output is the markdown file written, relative to the pipeline's
	// directory; the default is "RELEASE_NOTES.md".
	Output string
}

// Name returns the step's name.
func (s ReleaseNotes) Name() string { return cmp.Or(s.StepName, "release-notes") }

// Run reads the commits and the SBOMs and writes the notes.
func (s ReleaseNotes) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	if s.Ledger == nil {
		return nil, errors.New("release notes: no ledger")
	}
	if s.Service == "" || s.Version == "" {
		return nil, errors.New("release notes: service and version are required")
	}
	head := cmp.Or(s.Head, "HEAD")
	headCommit, err := gitOutput(ctx, sc, "rev-parse", "--verify", head+"^{commit}")
	if err != nil {
		return nil, err
	}
	notes := ReleaseNotesRecord{Service: s.Service, Version: s.Version, Commit: headCommit, Commits: []NoteCommit{}}
	hist, err := s.Ledger.History(ctx, s.Service)
	if err != nil {
		return nil, err
	}
	var prev *ledger.Release
	for i := range hist.Releases {
		if r := hist.Releases[i]; r.Version != s.Version {
			prev = &hist.Releases[i]
		}
	}
	rng := []string{head}
	if prev != nil {
		notes.Previous = prev.Version
		base := prev.Commit
		if base == "" {
			base = prev.Version // a tag named after the version
		}
		if notes.PreviousCommit, err = gitOutput(ctx, sc, "rev-parse", "--verify", base+"^{commit}"); err != nil {
			return nil, fmt.Errorf("release notes: previous release %s: %w", prev.ID(), err)
		}
		rng = []string{notes.PreviousCommit + ".." + head}
	}
	log, err := gitOutput(ctx, sc, append([]string{"log", "--format=%H%x00%an%x00%ae%x00%s"}, rng...)...)
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(log) {
		f := strings.SplitN(strings.TrimRight(line, "\n"), "\x00", 4)
		if len(f) == 4 {
			notes.Commits = append(notes.Commits, NoteCommit{ID: f[0], Author: f[1], Email: f[2], Subject: f[3]})
		}
	}
	cur, curID, err := s.currentSBOM(ctx, sc)
	if err != nil {
		return nil, err
	}
	var old *sbom.SBOM
	switch {
	case prev == nil:
		old = &sbom.SBOM{}
	case len(prev.SBOMs) > 0:
		if old, err = storedSBOM(ctx, sc.Store, prev.SBOMs[0]); err != nil {
			return nil, fmt.Errorf("release notes: previous release %s: %w", prev.ID(), err)
		}
	}
	if cur != nil && old != nil {
		notes.Dependencies = dependencyChanges(sbom.Diff(old, cur))
	}
	notes.SBOM = curID
	md := notes.Markdown()
	out := cmp.Or(s.Output, "RELEASE_NOTES.md")
	path := filepath.Join(sc.Dir, out)
	if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
		return nil, fmt.Errorf("release notes: %w", err)
	}
	prod, err := supplychain.SubjectFromFile(out, path)
	if err != nil {
		return nil, err
	}
	var subjects []supplychain.Subject
	if subj, ok := sc.Subject(); ok {
		subjects = append(subjects, subj)
	}
	return &pipeline.Result{
		Command:  append([]string{"git", "log"}, rng...),
		Products: []supplychain.Subject{prod},
		Evidence: []pipeline.Evidence{{Predicate: notes, Subjects: append(subjects, prod)}},
		Message:  fmt.Sprintf("%s: %d commit(s) since %s", out, len(notes.Commits), cmp.Or(notes.Previous, "the beginning")),
	}, nil
}

// currentSBOM reads the release's SBOM from the file or the store, and
// returns it with its file name or record ID; nil when there is none.
func (s ReleaseNotes) currentSBOM(ctx context.Context, sc *pipeline.StepContext) (*sbom.SBOM, string, error) {
	if s.SBOM != "" {
		f, err := os.Open(filepath.Join(sc.Dir, s.SBOM))
		if err != nil {
			return nil, "", fmt.Errorf("release notes: %w", err)
		}
		defer f.Close()
		doc, err := sbom.Decode(f)
		if err != nil {
			return nil, "", fmt.Errorf("release notes: %s: %w", s.SBOM, err)
		}
		return doc, s.SBOM, nil
	}
	subj, ok := sc.Subject()
	if !ok {
		return nil, "", nil
	}
	recs, err := aboutSubjects(ctx, sc.Store, []supplychain.Subject{subj}, sbom.PredicateCycloneDX, sbom.PredicateSPDX)
	if err != nil || len(recs) == 0 {
		return nil, "", err
	}
	id := recs[len(recs)-1].ID
	doc, err := storedSBOM(ctx, sc.Store, id)
	return doc, id, err
}

// storedSBOM decodes the SBOM of an evidence record.
func storedSBOM(ctx context.Context, store *evidence.Store, id string) (*sbom.SBOM, error) {
	rec, err := store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	st, err := readStatement(rec)
	if err != nil {
		return nil, err
	}
	return sbom.Decode(bytes.NewReader(st.PredicateJSON()))
}

// gitOutput runs git in the pipeline's directory and returns its trimmed
// output; a non-zero exit is an error with git's message.
func gitOutput(ctx context.Context, sc *pipeline.StepContext, args ...string) (string, error) {
	out, err := sc.Exec(ctx, exec.CommandContext(ctx, "git", args...))
	if err != nil {
		return "", err
	}
	if out.ExitCode != 0 {
		return "", fmt.Errorf("git %s: exit %d: %s", strings.Join(args, " "), out.ExitCode, bytes.TrimSpace(out.Stderr))
	}
	return strings.TrimSpace(string(out.Stdout)), nil
}

// Release records a release in the ledger: the artifacts, with the record
// IDs of the SBOMs, SLSA provenance and approvals the store holds about
// them (approvals count only when they approve "service@version", as the
// ledger requires), the commit and who released it. Its message names the
// rollback target: the release that runs in the environment now, which a
// failed deployment of this one returns to (the previous release of the
// service when no environment is given).
type Release struct {
	// StepName names the step; the default is "release".
	StepName string
	// Ledger records the release.
	Ledger *ledger.Ledger
	// Service and Version name the release.
	Service, Version string
	// Artifacts are the released files, relative to the pipeline's
	// directory; empty releases the run's subject.
	Artifacts []string
	// Commit is the source commit; the default is the CI context's, else
	// HEAD in the pipeline's directory.
	Commit string
	// ReleasedBy is who cuts the release; the default is the CI context's
	// actor, else its builder ID (the automation that cut it).
	ReleasedBy string
	// Environment names where the rollback target is looked up; the
	// default is the run's environment.
	Environment string
}

// Name returns the step's name.
func (s Release) Name() string { return cmp.Or(s.StepName, "release") }

// Run records the release.
func (s Release) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	if s.Ledger == nil {
		return nil, errors.New("release: no ledger")
	}
	arts, err := stepArtifacts(sc, s.Artifacts)
	if err != nil {
		return nil, err
	}
	rel := ledger.Release{Service: s.Service, Version: s.Version, Commit: cmp.Or(s.Commit, sc.CI.Commit),
		ReleasedBy: cmp.Or(s.ReleasedBy, sc.CI.Actor, sc.CI.BuilderID), ReleasedAt: sc.Now().UTC(), Artifacts: arts}
	if rel.Commit == "" {
		rel.Commit, _ = gitOutput(ctx, sc, "rev-parse", "--verify", "HEAD^{commit}") // no repository: no commit
	}
	recs, err := aboutSubjects(ctx, sc.Store, arts, sbom.PredicateCycloneDX, sbom.PredicateSPDX, attest.PredicateSLSAProvenance, attest.PredicateApproval)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		switch r.PredicateType {
		case sbom.PredicateCycloneDX, sbom.PredicateSPDX:
			rel.SBOMs = append(rel.SBOMs, r.ID)
		case attest.PredicateSLSAProvenance:
			rel.Provenance = append(rel.Provenance, r.ID)
		case attest.PredicateApproval:
			st, err := readStatement(r)
			if err != nil {
				return nil, err
			}
			var a attest.Approval
			if err := st.Decode(&a); err != nil {
				return nil, fmt.Errorf("record %s: %w", r.ID, err)
			}
			if a.Decision == "approved" && a.ChangeID == rel.ID() {
				rel.Approvals = append(rel.Approvals, r.ID)
			}
		}
	}
	target, where, err := s.rollbackTarget(ctx, sc)
	if err != nil {
		return nil, err
	}
	rel, err = s.Ledger.RecordRelease(ctx, rel)
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("released %s (record %s): %d artifact(s), %d SBOM(s), %d provenance, %d approval(s); ",
		rel.ID(), rel.RecordID, len(arts), len(rel.SBOMs), len(rel.Provenance), len(rel.Approvals))
	if target == nil {
		msg += "no rollback target: nothing of " + s.Service + " shipped before"
	} else {
		msg += "rollback target " + target.ID() + " (" + where + ")"
	}
	return &pipeline.Result{Materials: arts, Products: arts, Message: msg}, nil
}

// rollbackTarget returns the release a failed deployment of this one
// returns to, and where that was found; nil when there is none.
func (s Release) rollbackTarget(ctx context.Context, sc *pipeline.StepContext) (*ledger.Release, string, error) {
	if env := cmp.Or(s.Environment, sc.Environment); env != "" {
		running, err := s.Ledger.Current(ctx, env)
		if err != nil {
			return nil, "", err
		}
		for _, r := range running {
			if r.Release.Service == s.Service {
				return &r.Release, "running in " + env, nil
			}
		}
	}
	hist, err := s.Ledger.History(ctx, s.Service)
	if err != nil {
		return nil, "", err
	}
	if n := len(hist.Releases); n > 0 {
		return &hist.Releases[n-1], "the previous release", nil
	}
	return nil, "", nil
}

// PredicateReleaseNotes is the predicate type of ReleaseNotesRecord.
const PredicateReleaseNotes = "https://paved.dev/attestation/release-notes/v1"

// ReleaseNotesRecord is the evidence of a release's notes: the commits
// since the previous release and the dependency changes.
type ReleaseNotesRecord struct {
	// Service and Version name the release; Commit is its head commit.
	Service string `json:"service"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
	// Previous and PreviousCommit name the release the notes start from;
	// empty for a service's first release.
	Previous       string `json:"previous,omitempty"`
	PreviousCommit string `json:"previousCommit,omitempty"`
	// Commits lists the commits since, newest first.
	Commits []NoteCommit `json:"commits"`
	// SBOM names the release's SBOM (a file or a record ID), when one was
	// found; Dependencies are the changes from the previous release's.
	SBOM         string             `json:"sbom,omitempty"`
	Dependencies *DependencyChanges `json:"dependencies,omitempty"`
}

// NoteCommit is one commit of a release's notes.
type NoteCommit struct {
	ID      string `json:"id"`
	Author  string `json:"author"`
	Email   string `json:"email"`
	Subject string `json:"subject"`
}

// DependencyChanges is an SBOM diff, as "name@version" strings.
type DependencyChanges struct {
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
	// Changed lists "name old -> new".
	Changed []string `json:"changed,omitempty"`
}

// PredicateType returns PredicateReleaseNotes.
func (ReleaseNotesRecord) PredicateType() string { return PredicateReleaseNotes }

// Validate checks that the release is named and every commit has an ID;
// each problem is an *attest.PredicateError.
func (r ReleaseNotesRecord) Validate() error {
	var errs []error
	bad := func(field string) {
		errs = append(errs, &attest.PredicateError{Type: PredicateReleaseNotes, Field: field, Err: errors.New("required")})
	}
	if r.Service == "" {
		bad("service")
	}
	if r.Version == "" {
		bad("version")
	}
	if r.Commit == "" {
		bad("commit")
	}
	for i, c := range r.Commits {
		if c.ID == "" {
			bad(fmt.Sprintf("commits[%d].id", i))
		}
	}
	return errors.Join(errs...)
}

// ReleaseNotesSchema is the JSON schema (draft 2020-12) of the
// release-notes predicate.
const ReleaseNotesSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://paved.dev/attestation/release-notes/v1/schema.json",
  "title": "paved release notes predicate v1",
  "type": "object",
  "additionalProperties": false,
  "required": ["service", "version", "commit", "commits"],
  "properties": {
    "service": {"type": "string", "minLength": 1},
    "version": {"type": "string", "minLength": 1},
    "commit": {"type": "string", "minLength": 1},
    "previous": {"type": "string"},
    "previousCommit": {"type": "string"},
    "commits": {"type": "array", "items": {
      "type": "object", "additionalProperties": false, "required": ["id", "author", "email", "subject"],
      "properties": {"id": {"type": "string", "minLength": 1}, "author": {"type": "string"}, "email": {"type": "string"}, "subject": {"type": "string"}}
    }},
    "sbom": {"type": "string"},
    "dependencies": {"type": "object", "additionalProperties": false, "properties": {
      "added": {"type": "array", "items": {"type": "string"}},
      "removed": {"type": "array", "items": {"type": "string"}},
      "changed": {"type": "array", "items": {"type": "string"}}
    }}
  }
}`

// dependencyChanges converts an SBOM diff.
func dependencyChanges(c sbom.Changes) *DependencyChanges {
	name := func(c sbom.Component) string {
		if c.Group != "" {
			return c.Group + "/" + c.Name
		}
		return c.Name
	}
	out := &DependencyChanges{}
	for _, a := range c.Added {
		out.Added = append(out.Added, name(a)+"@"+a.Version)
	}
	for _, r := range c.Removed {
		out.Removed = append(out.Removed, name(r)+"@"+r.Version)
	}
	for _, v := range c.Changed {
		out.Changed = append(out.Changed, name(v.New)+" "+v.Old.Version+" -> "+v.New.Version)
	}
	return out
}

// Markdown renders the notes.
func (r ReleaseNotesRecord) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s\n\n", r.Service, r.Version)
	if r.Previous != "" {
		fmt.Fprintf(&b, "Changes since %s (%s).\n\n", r.Previous, short(r.PreviousCommit))
	} else {
		b.WriteString("First release.\n\n")
	}
	b.WriteString("## Commits\n\n")
	if len(r.Commits) == 0 {
		b.WriteString("None.\n")
	}
	for _, c := range r.Commits {
		fmt.Fprintf(&b, "- %s (%s, %s)\n", c.Subject, short(c.ID), c.Author)
	}
	b.WriteString("\n## Dependencies\n\n")
	d := r.Dependencies
	switch {
	case d == nil:
		b.WriteString("Unknown: no SBOM to compare.\n")
		return b.String()
	case len(d.Added)+len(d.Removed)+len(d.Changed) == 0:
		b.WriteString("No change.\n")
		return b.String()
	}
	for _, sec := range []struct {
		title string
		items []string
	}{{"Added", d.Added}, {"Updated", d.Changed}, {"Removed", d.Removed}} {
		if len(sec.items) == 0 {
			continue
		}
		fmt.Fprintf(&b, "### %s\n\n", sec.title)
		for _, it := range sec.items {
			b.WriteString("- " + it + "\n")
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// short abbreviates a commit ID.
func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// releaseKinds adds the Release stage's kinds: sign, approval,
// release-notes, release.
func releaseKinds(env Env, k pipeline.Kinds) {
	k["sign"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("artifacts", "purl", "version"); err != nil {
			return nil, err
		}
		return Sign{StepName: name, Artifacts: p.List("artifacts"), PURL: p.Get("purl", ""), Version: p.Get("version", ""), Signer: env.Signer}, nil
	}
	k["approval"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("change", "author", "team", "required", "environment"); err != nil {
			return nil, err
		}
		s := Approval{StepName: name, ChangeID: p.Get("change", ""), Author: p.Get("author", ""), Team: p.List("team"), Environment: p.Get("environment", "")}
		var errs []error
		if len(s.Team) == 0 {
			errs = append(errs, &pipeline.ParamError{Param: "team", Err: pipeline.ErrMissingParam})
		}
		if v := p.Get("required", ""); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				errs = append(errs, &pipeline.ParamError{Param: "required", Err: fmt.Errorf("%q is not a positive number", v)})
			}
			s.Required = n
		}
		return s, errors.Join(errs...)
	}
	k["release-notes"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("service", "version", "head", "sbom", "output"); err != nil {
			return nil, err
		}
		s := ReleaseNotes{StepName: name, Ledger: env.Ledger, Head: p.Get("head", ""), SBOM: p.Get("sbom", ""), Output: p.Get("output", "")}
		var errs []error
		s.Service, s.Version = require(p, &errs, "service"), require(p, &errs, "version")
		return s, errors.Join(append(errs, needLedger(env))...)
	}
	k["release"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("service", "version", "artifacts", "commit", "released-by", "environment"); err != nil {
			return nil, err
		}
		s := Release{StepName: name, Ledger: env.Ledger, Artifacts: p.List("artifacts"), Commit: p.Get("commit", ""),
			ReleasedBy: p.Get("released-by", ""), Environment: p.Get("environment", "")}
		var errs []error
		s.Service, s.Version = require(p, &errs, "service"), require(p, &errs, "version")
		return s, errors.Join(append(errs, needLedger(env))...)
	}
}

// require returns a required parameter, collecting its error.
func require(p pipeline.Params, errs *[]error, name string) string {
	v, err := p.Require(name)
	if err != nil {
		*errs = append(*errs, err)
	}
	return v
}

// ErrNoLedger: a step kind that needs Env.Ledger was made without one.
var ErrNoLedger = errors.New("step: this kind needs a ledger (step.Env.Ledger)")

// needLedger returns ErrNoLedger when env has no ledger.
func needLedger(env Env) error {
	if env.Ledger == nil {
		return ErrNoLedger
	}
	return nil
}
