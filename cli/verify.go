package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
	"github.com/paved-dev/paved/supplychain/sign/sigstore"
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
	var (
		bundle   bool
		artifact string
	)
	cmd := &cobra.Command{
		Use:   "verify (ENVELOPE | --bundle BUNDLE [--artifact FILE])",
		Short: "Verify a DSSE envelope or a key-signed sigstore bundle offline against the trust policy",
		Long: "verify checks the envelope's signatures against the Program's trust policy (its keys and its rules), with no network. " +
			"With --bundle it checks a sigstore bundle signed with one of the trust policy's keys (not revoked, within its window); " +
			"--artifact names the file a message-signature bundle signs. Exit 1 when it does not verify.",
		Args: cobra.ExactArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usage(err, "pass the path of a DSSE envelope (JSON) file")
			}
			if bundle {
				return a.verifyBundle(cmd, args[0], data, artifact)
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
			return a.writeVerified(cmd, verifyResult{File: args[0], Verified: true, PredicateType: v.Statement.PredicateType(), Subjects: v.Statement.Subjects(), Signers: v.Signers})
		}),
	}
	cmd.Flags().BoolVar(&bundle, "bundle", false, "the file is a sigstore bundle signed with a key of the trust policy")
	cmd.Flags().StringVar(&artifact, "artifact", "", "with --bundle: the file a message signature signs")
	return cmd
}

func (a *app) writeVerified(cmd *cobra.Command, r verifyResult) error {
	r.Subjects, r.Signers = nonNil(r.Subjects), nonNil(r.Signers)
	if a.output == "json" {
		return writeJSON(cmd.OutOrStdout(), r)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "verified: %s\n", r.File)
	if r.PredicateType != "" {
		fmt.Fprintf(w, "predicate: %s\n", r.PredicateType)
	}
	for _, s := range r.Subjects {
		fmt.Fprintf(w, "subject: %s\n", subjectText(s))
	}
	for _, s := range r.Signers {
		fmt.Fprintf(w, "signer: %s\n", s)
	}
	return nil
}

// verifyBundle verifies a key-signed sigstore bundle against the keys of
// the Program's trust policy.
func (a *app) verifyBundle(cmd *cobra.Command, file string, data []byte, artifact string) error {
	popts := []sigstore.PolicyOption{sigstore.WithKey()}
	subjects := []supplychain.Subject{}
	if artifact != "" {
		b, err := os.ReadFile(artifact)
		if err != nil {
			return usage(fmt.Errorf("--artifact: %w", err), "pass the file the bundle signs")
		}
		popts = append(popts, sigstore.WithArtifact(b))
		sub, err := supplychain.SubjectFromFile(filepath.Base(artifact), artifact)
		if err != nil {
			return usage(fmt.Errorf("--artifact: %w", err), "")
		}
		subjects = append(subjects, sub)
	} else {
		popts = append(popts, sigstore.WithoutArtifactUnsafe()) // a DSSE bundle's statement names its subjects
	}
	pol, err := sigstore.NewPolicy(popts...)
	if err != nil {
		return err
	}
	p, err := a.open(cmd.Context(), false)
	if err != nil {
		return err
	}
	defer p.Close(cmd.Context())
	var keys []sigstore.TrustedKey
	for _, k := range p.Trust().Keys() {
		if !k.Revoked {
			keys = append(keys, sigstore.TrustedKey{PublicKey: k.Key.Public(), NotBefore: k.NotBefore, NotAfter: k.NotAfter})
		}
	}
	trusted, err := sigstore.NewTrustedKeys(keys...)
	if err != nil {
		return err
	}
	v, err := sigstore.NewVerifier(trusted, sigstore.WithOfflineKeys())
	if err != nil {
		return err
	}
	res, err := v.Verify(cmd.Context(), data, pol)
	if err != nil {
		return denied(fmt.Errorf("%s: NOT VERIFIED: %w", file, err),
			fmt.Sprintf("the bundle was altered, signs another artifact, or is not signed by a key the trust policy of %s holds", a.dir))
	}
	r := verifyResult{File: file, Verified: true, Subjects: subjects, Signers: res.Signers}
	if len(res.Payload) > 0 {
		st, err := attest.Parse(res.Payload)
		if err != nil {
			return denied(fmt.Errorf("%s: the signed payload is not an in-toto statement: %w", file, err), "")
		}
		r.PredicateType, r.Subjects = st.PredicateType(), st.Subjects()
	}
	return a.writeVerified(cmd, r)
}
