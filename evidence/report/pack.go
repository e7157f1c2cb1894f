package report

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// PredicateReport is the predicate type of a report statement: its
// subjects are a report's files, its predicate a Summary of the
// assessment they report.
const PredicateReport = "https://paved.dev/attestation/report/v1"

// LabelReport labels a report statement's record with the assessment's ID.
const LabelReport = "paved.report"

// Summary is the predicate of a report statement: which assessment the
// report's files report, and what it found.
type Summary struct {
	// Assessment is the assessment's ID; Programme the map's name.
	Assessment string `json:"assessment"`
	Programme  string `json:"programme"`
	// Service, Release and Environment are the assessment's scope.
	Service     string `json:"service,omitempty"`
	Release     string `json:"release,omitempty"`
	Environment string `json:"environment,omitempty"`
	// At is when the assessment was made.
	At time.Time `json:"at"`
	// PolicyDigest identifies the policy set that judged the controls.
	PolicyDigest string `json:"policyDigest"`
	// PassRate is the overall pass rate, 0 to 100; Counts the controls by
	// status.
	PassRate float64        `json:"passRate"`
	Counts   map[string]int `json:"counts"`
	// Records lists the IDs of the evidence records the assessment read.
	Records []string `json:"records"`
}

// PredicateType returns PredicateReport.
func (Summary) PredicateType() string { return PredicateReport }

// Validate checks the assessment ID, the time, the rate and the record
// IDs.
func (s Summary) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &attest.PredicateError{Type: PredicateReport, Field: field, Err: fmt.Errorf(format, args...)})
	}
	if s.Assessment == "" {
		bad("assessment", "required")
	}
	if s.At.IsZero() {
		bad("at", "required")
	}
	if s.PassRate < 0 || s.PassRate > 100 {
		bad("passRate", "%v is not between 0 and 100", s.PassRate)
	}
	for i, r := range s.Records {
		if _, err := supplychain.ParseDigest(r); err != nil {
			bad(fmt.Sprintf("records[%d]", i), "%v", err)
		}
	}
	return errors.Join(errs...)
}

// SummaryOf summarises an assessment for a report statement.
func SummaryOf(a *capability.Assessment) Summary {
	s := Summary{Assessment: a.ID, Programme: a.Programme, Service: a.Scope.Service, Release: a.Scope.Release,
		Environment: a.Scope.Environment, At: a.At, PolicyDigest: a.PolicyDigest, PassRate: a.Overall.Rate,
		Counts: map[string]int{}, Records: []string{}}
	for st, n := range a.Overall.Counts {
		s.Counts[string(st)] = n
	}
	for _, r := range a.Records {
		s.Records = append(s.Records, r.ID)
	}
	return s
}

// A report pack is a tar stream:
//
//	report/<name>        the report's files (HTML, JSON, OSCAL, ...)
//	evidence/<n>.pack    evidence packs (see evidence.Store.Export), all at
//	                     one signed checkpoint: one holding the report
//	                     statement, whose subjects are the report's files,
//	                     one per digest of each assessed subject, and one
//	                     of every record the assessment read
const (
	packReport   = "report/"
	packEvidence = "evidence/"
	// maxReportFile caps one report file: 64 MiB.
	maxReportFile = 64 << 20
)

// ErrInvalidPack: a report pack that is malformed or does not verify.
var ErrInvalidPack = errors.New("report: invalid pack")

// WritePack writes a report pack: the report's files (name to content;
// names are plain file names such as "report.html"), a report statement
// about them signed by signer and appended to store (labelled LabelReport
// with the assessment's ID), a new checkpoint, and the evidence packs of
// every record about the assessed subjects and of the report statement,
// with their inclusion proofs at that checkpoint. The store's trust
// policy must let signer sign PredicateReport statements.
func WritePack(ctx context.Context, w io.Writer, store *evidence.Store, signer *sign.Signer, a *capability.Assessment, files map[string][]byte) error {
	if len(files) == 0 {
		return errors.New("report: write pack: no report files")
	}
	names := make([]string, 0, len(files))
	var subjects []supplychain.Subject
	for name := range files {
		if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			return fmt.Errorf("report: write pack: file name %q: want a plain file name", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		sum := sha256.Sum256(files[name])
		subjects = append(subjects, supplychain.Subject{Name: name, Digest: supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}})
	}
	st, err := attest.Build(SummaryOf(a), subjects...)
	if err != nil {
		return fmt.Errorf("report: write pack: %w", err)
	}
	env, err := sign.Sign(ctx, signer, st)
	if err != nil {
		return fmt.Errorf("report: write pack: %w", err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("report: write pack: %w", err)
	}
	if _, err := store.Append(ctx, evidence.Entry{Envelope: raw, Labels: map[string]string{LabelReport: a.ID}}); err != nil {
		return fmt.Errorf("report: write pack: %w", err)
	}
	cp, err := store.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("report: write pack: %w", err)
	}

	queries := []evidence.Query{{Labels: map[string]string{LabelReport: a.ID}}}
	for _, s := range a.Scope.Subjects {
		for _, d := range s.Digest.Digests() {
			if d.Algorithm == "sha256" || d.Algorithm == "sha512" {
				queries = append(queries, evidence.Query{SubjectDigest: d.String(), Since: a.Scope.Since, Until: a.Scope.Until})
			}
		}
	}
	tw := tar.NewWriter(w)
	for _, name := range names {
		if err := writeFile(tw, packReport+name, files[name]); err != nil {
			return err
		}
	}
	for i, q := range queries {
		var buf bytes.Buffer
		if err := store.Export(ctx, &buf, q, cp); err != nil {
			return fmt.Errorf("report: write pack: %w", err)
		}
		if err := writeFile(tw, fmt.Sprintf("%s%d.pack", packEvidence, i), buf.Bytes()); err != nil {
			return err
		}
	}
	// The assessment also read records that are not about its subjects:
	// the change an artifact was released from, its approvals, the
	// pipeline runs' step records.
	ids := make([]string, 0, len(a.Records))
	for _, r := range a.Records {
		ids = append(ids, r.ID)
	}
	var buf bytes.Buffer
	if err := store.ExportRecords(ctx, &buf, ids, cp); err != nil {
		return fmt.Errorf("report: write pack: %w", err)
	}
	if err := writeFile(tw, fmt.Sprintf("%s%d.pack", packEvidence, len(queries)), buf.Bytes()); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("report: write pack: %w", err)
	}
	return nil
}

func writeFile(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Format: tar.FormatPAX}); err != nil {
		return fmt.Errorf("report: write pack %s: %w", name, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("report: write pack %s: %w", name, err)
	}
	return nil
}

// VerifiedPack is the content of a report pack that verified.
type VerifiedPack struct {
	// Checkpoint is the signed checkpoint every proof leads to.
	Checkpoint *evidence.Checkpoint
	// Summary is the report statement's predicate.
	Summary Summary
	// Statement is the report statement's record.
	Statement evidence.Record
	// Files are the report's files, each matching the statement.
	Files map[string][]byte
	// Records are the evidence records, each proven included in the
	// checkpoint, by ID.
	Records map[string]evidence.Record
}

// VerifyPack reads a report pack and verifies it offline with nothing but
// the evidence log's note verifier key: every evidence pack (checkpoint
// signature, envelopes, inclusion proofs; see evidence.VerifyPack), that
// they share one checkpoint, that exactly one report statement is among
// their records, that the report's files are exactly its subjects, byte
// for byte, and that every record the assessment read is in the pack. Any
// failure rejects the whole pack with an error wrapping ErrInvalidPack.
func VerifyPack(r io.Reader, verifierKey string) (*VerifiedPack, error) {
	fail := func(format string, args ...any) (*VerifiedPack, error) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidPack, fmt.Sprintf(format, args...))
	}
	out := &VerifiedPack{Files: map[string][]byte{}, Records: map[string]evidence.Record{}}
	packs := 0
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail("%v", err)
		}
		name := path.Clean(h.Name)
		switch {
		case strings.HasPrefix(name, packReport) && !strings.Contains(strings.TrimPrefix(name, packReport), "/"):
			file := strings.TrimPrefix(name, packReport)
			if _, dup := out.Files[file]; dup {
				return fail("%s: twice", h.Name)
			}
			if h.Size < 0 || h.Size > maxReportFile {
				return fail("%s: %d bytes, the limit is %d", h.Name, h.Size, maxReportFile)
			}
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, io.LimitReader(tr, maxReportFile+1)); err != nil {
				return fail("%s: %v", h.Name, err)
			}
			out.Files[file] = buf.Bytes()
		case strings.HasPrefix(name, packEvidence) && strings.HasSuffix(name, ".pack"):
			p, err := evidence.VerifyPack(tr, verifierKey)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrInvalidPack, h.Name, err)
			}
			if out.Checkpoint == nil {
				out.Checkpoint = p.Checkpoint
			} else if !bytes.Equal(out.Checkpoint.Note, p.Checkpoint.Note) {
				return fail("%s: its checkpoint is not the other packs'", h.Name)
			}
			for _, rec := range p.Records {
				out.Records[rec.ID] = rec
			}
			packs++
		default:
			return fail("%s: unexpected file", h.Name)
		}
	}
	if packs == 0 {
		return fail("no evidence pack")
	}
	var statements []evidence.Record
	for _, rec := range out.Records {
		if rec.PredicateType == PredicateReport {
			statements = append(statements, rec)
		}
	}
	if len(statements) != 1 {
		return fail("%d report statements, want 1", len(statements))
	}
	out.Statement = statements[0]
	if err := decode(out.Statement, &out.Summary); err != nil {
		return fail("report statement: %v", err)
	}
	seen := map[string]bool{}
	for _, s := range out.Statement.Subjects {
		data, ok := out.Files[s.Name]
		if !ok {
			return fail("report file %s: missing", s.Name)
		}
		sum := sha256.Sum256(data)
		if s.Digest["sha256"] != hex.EncodeToString(sum[:]) {
			return fail("report file %s: does not match the report statement's digest", s.Name)
		}
		seen[s.Name] = true
	}
	for name := range out.Files {
		if !seen[name] {
			return fail("report file %s: not in the report statement", name)
		}
	}
	for _, id := range out.Summary.Records {
		if _, ok := out.Records[id]; !ok {
			return fail("record %s, which the assessment read, is not in the pack", id)
		}
	}
	return out, nil
}
