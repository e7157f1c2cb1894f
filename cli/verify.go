package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

// verifyResult is what verify reports about an envelope that verified.
type verifyResult struct {
	File          string                `json:"file"`
	Verified      bool                  `json:"verified"`
	PredicateType string                `json:"predicateType"`
	Subjects      []supplychain.Subject `json:"subjects"`
	Signers       []sign.Identity       `json:"signers"`
}

func (a *app) verifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify ENVELOPE",
		Short: "Verify a DSSE envelope offline against the trust policy",
		Long:  "verify checks the envelope's signatures against the Program's trust policy, with no network. Exit 1 when it does not verify.",
		Args:  cobra.ExactArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usage(err, "pass the path of a DSSE envelope (JSON) file")
			}
			env, err := sign.ParseEnvelope(data)
			if err != nil {
				return denied(fmt.Errorf("%s: not verified: %w", args[0], err), "the file is not a well-formed DSSE envelope")
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			v, err := sign.Verify(cmd.Context(), env, p.Trust())
			if err != nil {
				return denied(fmt.Errorf("%s: NOT VERIFIED: %w", args[0], err),
					fmt.Sprintf("the envelope was altered or is not signed by a key the trust policy of %s accepts for its predicate type", a.dir))
			}
			r := verifyResult{File: args[0], Verified: true, PredicateType: v.Statement.PredicateType(), Subjects: v.Statement.Subjects(), Signers: v.Signers}
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "verified: %s\npredicate: %s\n", r.File, r.PredicateType)
			for _, s := range r.Subjects {
				fmt.Fprintf(w, "subject: %s\n", subjectText(s))
			}
			for _, s := range r.Signers {
				fmt.Fprintf(w, "signer: %s\n", s)
			}
			return nil
		}),
	}
}
