package cli

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

// recordView is a record as the evidence commands show it: stable JSON
// field names, hashes in hex.
type recordView struct {
	ID            string                `json:"id"`
	Index         uint64                `json:"index"`
	LeafHash      string                `json:"leafHash"`
	PredicateType string                `json:"predicateType"`
	Subjects      []supplychain.Subject `json:"subjects"`
	Stage         string                `json:"stage,omitempty"`
	Labels        map[string]string     `json:"labels,omitempty"`
	Signers       []sign.Identity       `json:"signers"`
	RecordedAt    time.Time             `json:"recordedAt"`
	EnvelopeSize  int64                 `json:"envelopeSize"`
}

func viewOf(r evidence.Record) recordView {
	v := recordView{ID: r.ID, Index: r.Index, LeafHash: hex.EncodeToString(r.LeafHash), PredicateType: r.PredicateType,
		Subjects: r.Subjects, Stage: r.Stage, Labels: r.Labels, Signers: r.Signers, RecordedAt: r.RecordedAt, EnvelopeSize: r.EnvelopeSize}
	if v.Subjects == nil {
		v.Subjects = []supplychain.Subject{}
	}
	if v.Signers == nil {
		v.Signers = []sign.Identity{}
	}
	return v
}

func (v recordView) text(w io.Writer) {
	fmt.Fprintf(w, "%d %s %s", v.Index, v.ID, v.PredicateType)
	if v.Stage != "" {
		fmt.Fprintf(w, " stage=%s", v.Stage)
	}
	for _, s := range v.Subjects {
		fmt.Fprintf(w, " subject=%s", subjectText(s))
	}
	fmt.Fprintln(w)
}

// subjectText writes a subject as its name and digests.
func subjectText(s supplychain.Subject) string {
	var b strings.Builder
	b.WriteString(s.Name)
	for _, d := range s.Digest.Digests() {
		b.WriteString("@" + d.String())
	}
	return b.String()
}

// checkpointView is a checkpoint as the evidence commands show it.
type checkpointView struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	Root   string `json:"root"`
	Note   string `json:"note"`
}

func checkpointOf(cp *evidence.Checkpoint) checkpointView {
	return checkpointView{Origin: cp.Origin, Size: cp.Size, Root: hex.EncodeToString(cp.Root), Note: string(cp.Note)}
}

func (a *app) evidenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Query, prove, audit and export the evidence log",
	}
	cmd.AddCommand(a.evidenceQueryCmd(), a.evidenceGetCmd(), a.evidenceCheckpointCmd(), a.evidenceProveCmd(), a.evidenceAuditCmd(), a.evidenceExportCmd())
	return cmd
}

// queryFlags binds the flags that select records to q.
func queryFlags(cmd *cobra.Command, q *evidence.Query, labels *[]string) {
	f := cmd.Flags()
	f.StringVar(&q.Stage, "stage", "", "only records of this pipeline stage")
	f.StringVar(&q.PredicateType, "predicate", "", "only records of this predicate type")
	f.StringVar(&q.SubjectDigest, "subject-digest", "", "only records about this digest (sha256:<hex>)")
	f.StringVar(&q.SubjectName, "subject", "", "only records about a subject of this name")
	f.StringArrayVar(labels, "label", nil, "only records with this label, key=value (repeatable)")
}

// withLabels parses the --label values into q.
func withLabels(q *evidence.Query, labels []string) error {
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return usage(fmt.Errorf("--label %q: want key=value", l), "")
		}
		if q.Labels == nil {
			q.Labels = map[string]string{}
		}
		q.Labels[k] = v
	}
	return nil
}

// queryError maps a store error: a bad query is the caller's to fix.
func queryError(err error) error {
	if errors.Is(err, evidence.ErrInvalidQuery) {
		return usage(err, "check the query flags: digests are sha256:<hex>, --limit is 1 to "+fmt.Sprint(evidence.MaxQueryLimit))
	}
	return err
}

func (a *app) evidenceQueryCmd() *cobra.Command {
	var (
		q      evidence.Query
		labels []string
	)
	cmd := &cobra.Command{
		Use:   "query [flags]",
		Short: "List the records that match every flag given",
		Args:  cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			if err := withLabels(&q, labels); err != nil {
				return err
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			views := []recordView{}
			for r, err := range p.Store().Query(cmd.Context(), q) {
				if err != nil {
					return queryError(err)
				}
				views = append(views, viewOf(r))
			}
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), views)
			}
			for _, v := range views {
				v.text(cmd.OutOrStdout())
			}
			return nil
		}),
	}
	queryFlags(cmd, &q, &labels)
	cmd.Flags().IntVar(&q.Limit, "limit", 0, "the most records to list (default "+fmt.Sprint(evidence.DefaultQueryLimit)+")")
	cmd.Flags().BoolVar(&q.Descending, "newest-first", false, "list the newest records first")
	return cmd
}

// getRecord gets the record id, mapping a missing one to a usage error.
func getRecord(cmd *cobra.Command, s *evidence.Store, id, dir string) (evidence.Record, error) {
	r, err := s.Get(cmd.Context(), id)
	if errors.Is(err, evidence.ErrNotFound) {
		return r, usage(fmt.Errorf("record %s: not in the log of %s", id, dir), "list record IDs with 'paved evidence query'")
	}
	return r, err
}

func (a *app) evidenceGetCmd() *cobra.Command {
	var envelope bool
	cmd := &cobra.Command{
		Use:   "get RECORD-ID",
		Short: "Show one record, or with --envelope write its signed DSSE envelope",
		Args:  cobra.ExactArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			r, err := getRecord(cmd, p.Store(), args[0], a.dir)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if envelope {
				if r.Envelope == nil {
					return usage(fmt.Errorf("record %s: its envelope was pruned", r.ID), "")
				}
				_, err := w.Write(r.Envelope)
				return err
			}
			v := viewOf(r)
			if a.output == "json" {
				return writeJSON(w, v)
			}
			fmt.Fprintf(w, "id: %s\nindex: %d\npredicate: %s\nstage: %s\nrecorded: %s\n", v.ID, v.Index, v.PredicateType, v.Stage, v.RecordedAt.Format(time.RFC3339))
			for _, s := range v.Subjects {
				fmt.Fprintf(w, "subject: %s\n", subjectText(s))
			}
			for _, s := range v.Signers {
				fmt.Fprintf(w, "signer: %s\n", s)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&envelope, "envelope", false, "write the record's DSSE envelope (exact bytes) instead")
	return cmd
}

func (a *app) evidenceCheckpointCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign and print a checkpoint of the log (its size and root hash)",
		Args:  cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			cp, err := p.Store().Checkpoint(cmd.Context())
			if err != nil {
				return err
			}
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), checkpointOf(cp))
			}
			_, err = cmd.OutOrStdout().Write(cp.Note)
			return err
		}),
	}
}

// proofView is an inclusion proof with what verifies it.
type proofView struct {
	Record      recordView     `json:"record"`
	Checkpoint  checkpointView `json:"checkpoint"`
	VerifierKey string         `json:"verifierKey"`
	Index       uint64         `json:"index"`
	Size        uint64         `json:"size"`
	Hashes      []string       `json:"hashes"`
	Verified    bool           `json:"verified"`
}

func (a *app) evidenceProveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "prove RECORD-ID",
		Short: "Prove a record is in the log: an inclusion proof at a fresh checkpoint, checked offline",
		Args:  cobra.ExactArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			r, err := getRecord(cmd, p.Store(), args[0], a.dir)
			if err != nil {
				return err
			}
			cp, err := p.Store().Checkpoint(cmd.Context())
			if err != nil {
				return err
			}
			proof, err := p.Store().InclusionProof(cmd.Context(), r.ID, cp)
			if err != nil {
				return err
			}
			if err := evidence.VerifyInclusion(p.CheckpointVerifierKey(), cp.Note, r, proof); err != nil {
				return denied(fmt.Errorf("record %s: inclusion proof does not verify: %w", r.ID, err), "run 'paved evidence audit' to check the whole log")
			}
			v := proofView{Record: viewOf(r), Checkpoint: checkpointOf(cp), VerifierKey: p.CheckpointVerifierKey(), Index: proof.Index, Size: proof.Size, Hashes: []string{}, Verified: true}
			for _, h := range proof.Hashes {
				v.Hashes = append(v.Hashes, hex.EncodeToString(h))
			}
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "proven: record %s is leaf %d of %d in %s (root %s), %d proof hashes\n",
				r.ID, v.Index, v.Size, v.Checkpoint.Origin, v.Checkpoint.Root, len(v.Hashes))
			return nil
		}),
	}
}

// auditView is what audit reports.
type auditView struct {
	OK          bool   `json:"ok"`
	Size        uint64 `json:"size"`
	Root        string `json:"root"`
	Checkpoints int    `json:"checkpoints"`
}

func (a *app) evidenceAuditCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "audit",
		Short: "Recompute the whole log and check every stored checkpoint; exit 1 if it was altered",
		Args:  cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			rep, err := p.Store().Audit(cmd.Context())
			if err != nil {
				if errors.Is(err, evidence.ErrTampered) {
					return denied(fmt.Errorf("audit of %s: %w", a.dir, err), "the log no longer matches what was recorded; restore it from a backup and investigate")
				}
				return err
			}
			v := auditView{OK: true, Size: rep.Size, Root: hex.EncodeToString(rep.Root), Checkpoints: rep.Checkpoints}
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit ok: %d records, root %s, %d checkpoints checked\n", v.Size, v.Root, v.Checkpoints)
			return nil
		}),
	}
}

func (a *app) evidenceExportCmd() *cobra.Command {
	var (
		q      evidence.Query
		labels []string
		out    string
	)
	cmd := &cobra.Command{
		Use:   "export --out FILE [flags]",
		Short: "Write an evidence pack: the selected records, their envelopes and inclusion proofs at a fresh checkpoint",
		Args:  cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			if err := withLabels(&q, labels); err != nil {
				return err
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			cp, err := p.Store().Checkpoint(cmd.Context())
			if err != nil {
				return err
			}
			f, err := os.Create(out)
			if err != nil {
				return usage(err, "pass a writable --out path")
			}
			if err := p.Store().Export(cmd.Context(), f, q, cp); err != nil {
				f.Close()
				os.Remove(out)
				return queryError(err)
			}
			if err := f.Close(); err != nil {
				return err
			}
			v := struct {
				File        string         `json:"file"`
				Checkpoint  checkpointView `json:"checkpoint"`
				VerifierKey string         `json:"verifierKey"`
			}{out, checkpointOf(cp), p.CheckpointVerifierKey()}
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exported: %s at checkpoint size %d; verify it with the key %s\n", out, cp.Size, v.VerifierKey)
			return nil
		}),
	}
	queryFlags(cmd, &q, &labels)
	cmd.Flags().StringVar(&out, "out", "", "the pack file to write")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
