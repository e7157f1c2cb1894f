package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// signStatement signs st with the Program's key into an envelope's JSON
// bytes and, if stage is set, appends it to the evidence log there.
func signStatement(ctx context.Context, p *paved.Program, st *attest.Statement, stage string, labels map[string]string) ([]byte, *evidence.Record, error) {
	env, err := sign.Sign(ctx, p.Signer(), st)
	if err != nil {
		return nil, nil, err
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return nil, nil, err
	}
	if stage == "" {
		return raw, nil, nil
	}
	recs, err := p.Store().Append(ctx, evidence.Entry{Envelope: raw, Stage: stage, Labels: labels})
	if err != nil {
		return nil, nil, err
	}
	return raw, &recs[0], nil
}

// reportSigned writes a signed envelope to out (or standard output when
// it was neither written nor recorded) and says where it went.
func (a *app) reportSigned(cmd *cobra.Command, raw []byte, rec *evidence.Record, out string) error {
	if out != "" {
		if err := os.WriteFile(out, append(raw, '\n'), 0o644); err != nil {
			return usage(err, "pass a writable --out path")
		}
	}
	w := cmd.OutOrStdout()
	switch {
	case a.output == "json" && rec != nil:
		return writeJSON(w, viewOf(*rec))
	case a.output == "json":
		return writeJSON(w, map[string]string{"envelope": out})
	case out == "" && rec == nil:
		_, err := w.Write(append(raw, '\n'))
		return err
	}
	if rec != nil {
		fmt.Fprintf(w, "recorded %s: record %s\n", rec.PredicateType, rec.ID)
	}
	if out != "" {
		fmt.Fprintf(w, "envelope written to %s\n", out)
	}
	return nil
}

func (a *app) attestCmd() *cobra.Command {
	var (
		predType, predFile, stage, out string
		subjects, labels               []string
	)
	cmd := &cobra.Command{
		Use:   "attest --type URI --predicate FILE --subject FILE [flags]",
		Short: "Make a signed in-toto statement about artifacts and record it as evidence",
		Long:  "attest wraps the JSON object in --predicate as a predicate of type --type about the --subject files, signs it with the Program's key and appends it to the evidence log at --stage.",
		Args:  cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			data, err := os.ReadFile(predFile)
			if err != nil {
				return usage(err, "pass a JSON file holding the predicate object")
			}
			var subs []supplychain.Subject
			for _, f := range subjects {
				s, err := supplychain.SubjectFromFile(filepath.Base(f), f)
				if err != nil {
					return usage(fmt.Errorf("--subject: %w", err), "pass the artifact files the statement is about")
				}
				subs = append(subs, s)
			}
			st, err := attest.Build(attest.Generic{Type: predType, JSON: data}, subs...)
			if err != nil {
				return usage(fmt.Errorf("%s: %w", predFile, err), "the predicate must be a JSON object and --type a URI")
			}
			q := evidence.Query{}
			if err := withLabels(&q, labels); err != nil {
				return err
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			raw, rec, err := signStatement(cmd.Context(), p, st, stage, q.Labels)
			if err != nil {
				return err
			}
			return a.reportSigned(cmd, raw, rec, out)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&predType, "type", "", "the predicate type URI")
	f.StringVar(&predFile, "predicate", "", "a file holding the predicate, a JSON object")
	f.StringArrayVar(&subjects, "subject", nil, "an artifact file the statement is about (repeatable)")
	f.StringVar(&stage, "stage", "build", "the pipeline stage to record it at")
	f.StringArrayVar(&labels, "label", nil, "a label for the record, key=value (repeatable)")
	f.StringVar(&out, "out", "", "also write the envelope to this file")
	for _, name := range []string{"type", "predicate", "subject"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func (a *app) signCmd() *cobra.Command {
	var out, stage string
	cmd := &cobra.Command{
		Use:   "sign STATEMENT-FILE [--out FILE] [--record STAGE]",
		Short: "Sign an in-toto statement into a DSSE envelope with the Program's key",
		Long:  "sign signs the statement's exact bytes. The envelope goes to --out, or standard output; --record also appends it to the evidence log at that stage.",
		Args:  cobra.ExactArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usage(err, "pass the path of an in-toto statement (JSON)")
			}
			st, err := attest.Parse(data)
			if err != nil {
				return usage(fmt.Errorf("%s: %w", args[0], err), "the file must be an in-toto Statement v1")
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			raw, rec, err := signStatement(cmd.Context(), p, st, stage, nil)
			if err != nil {
				return err
			}
			return a.reportSigned(cmd, raw, rec, out)
		}),
	}
	cmd.Flags().StringVar(&out, "out", "", "write the envelope to this file (default: standard output)")
	cmd.Flags().StringVar(&stage, "record", "", "also record the envelope in the evidence log at this stage")
	return cmd
}
