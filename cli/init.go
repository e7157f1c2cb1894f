package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
)

// statStore checks that dir exists and is a directory.
func statStore(dir string) (os.FileInfo, error) {
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	return fi, err
}

// initResult is what init reports.
type initResult struct {
	Dir                string `json:"dir"`
	Store              string `json:"store"`
	SignerKey          string `json:"signerKey"`
	SignerKeyID        string `json:"signerKeyId"`
	CheckpointVerifier string `json:"checkpointVerifier"`
	Records            uint64 `json:"records"`
}

func (a *app) initCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create the paved directory: keys and evidence store (idempotent)",
		Long:  "init creates --dir (mode 0700) with a signing key, a checkpoint key and the SQLite evidence store. Run again, it opens what is there and changes nothing.",
		Args:  cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			p, err := a.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			n, err := p.Store().Size(cmd.Context())
			if err != nil {
				return err
			}
			r := initResult{
				Dir:                a.dir,
				Store:              filepath.Join(a.dir, paved.StoreFile),
				SignerKey:          filepath.Join(a.dir, paved.SignerKeyFile),
				SignerKeyID:        p.Signer().KeyID(),
				CheckpointVerifier: p.CheckpointVerifierKey(),
				Records:            n,
			}
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "paved directory %s ready: %d records\nstore: %s\nsigner key: %s (key ID %s)\ncheckpoint verifier: %s\n",
				r.Dir, r.Records, r.Store, r.SignerKey, r.SignerKeyID, r.CheckpointVerifier)
			return nil
		}),
	}
}
