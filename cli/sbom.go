package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sbom"
)

func (a *app) sbomCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sbom",
		Short: "Generate, record and compare software bills of materials",
	}
	cmd.AddCommand(a.sbomGenerateCmd(), a.sbomIngestCmd(), a.sbomDiffCmd())
	return cmd
}

func (a *app) sbomGenerateCmd() *cobra.Command {
	var (
		out, format     string
		tests, full, dl bool
	)
	cmd := &cobra.Command{
		Use:   "generate [MODULE-DIR]",
		Short: "Write a CycloneDX SBOM of a Go module (default: the current directory), offline",
		Args:  cobra.MaximumNArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			f := sbom.Format(format)
			if f != sbom.CycloneDXJSON && f != sbom.CycloneDXXML {
				return usage(fmt.Errorf("--format %q: paved writes %s or %s", format, sbom.CycloneDXJSON, sbom.CycloneDXXML), "")
			}
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			var opts []sbom.Option
			if tests {
				opts = append(opts, sbom.WithTests())
			}
			if full {
				opts = append(opts, sbom.WithFullGraph())
			}
			if dl {
				opts = append(opts, sbom.WithDownloads())
			}
			stop := progress(cmd, "generating the SBOM of "+dir)
			bom, err := sbom.GenerateModule(cmd.Context(), dir, opts...)
			stop()
			if err != nil {
				return usage(fmt.Errorf("sbom of %s: %w", dir, err), "run it in a Go module whose dependencies are in the module cache (go mod download), or pass --downloads")
			}
			var buf bytes.Buffer
			if err := sbom.Encode(&buf, bom, f); err != nil {
				return err
			}
			if out == "" {
				_, err := cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return usage(err, "pass a writable --out path")
			}
			s, err := sbom.FromCycloneDX(bom)
			if err != nil {
				return err
			}
			n := len(s.Components)
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"file": out, "format": f, "components": n})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d components (%s)\n", out, n, f)
			return nil
		}),
	}
	cmd.Flags().StringVar(&out, "out", "", "the file to write (default: standard output)")
	cmd.Flags().StringVar(&format, "format", string(sbom.CycloneDXJSON), "cyclonedx+json or cyclonedx+xml")
	cmd.Flags().BoolVar(&tests, "tests", false, "include the modules the tests need")
	cmd.Flags().BoolVar(&full, "full-graph", false, "include every module of the graph")
	cmd.Flags().BoolVar(&dl, "downloads", false, "let the go command download missing modules (network)")
	return cmd
}

// readSBOM reads and decodes the SBOM file at path, keeping its bytes.
func readSBOM(path string) ([]byte, *sbom.SBOM, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, usage(err, "pass the path of a CycloneDX or SPDX JSON file")
	}
	s, err := sbom.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, nil, usage(fmt.Errorf("%s: %w", path, err), "the file must be a valid CycloneDX (JSON or XML) or SPDX JSON document")
	}
	return data, s, nil
}

func (a *app) sbomIngestCmd() *cobra.Command {
	var subject, stage string
	cmd := &cobra.Command{
		Use:   "ingest SBOM-FILE --subject ARTIFACT",
		Short: "Check an SBOM and record it, signed, as evidence about an artifact",
		Args:  cobra.ExactArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			data, s, err := readSBOM(args[0])
			if err != nil {
				return err
			}
			pred, err := sbom.Predicate(data)
			if err != nil {
				return usage(fmt.Errorf("%s: %w", args[0], err), "")
			}
			sub, err := supplychain.SubjectFromFile(filepath.Base(subject), subject)
			if err != nil {
				return usage(fmt.Errorf("--subject: %w", err), "pass the artifact file the SBOM describes")
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			st, err := attest.Build(pred, sub)
			if err != nil {
				return err
			}
			_, rec, err := signStatement(cmd.Context(), p, st, stage, nil)
			if err != nil {
				return err
			}
			v := viewOf(*rec)
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "recorded %s SBOM of %d components about %s: record %s\n", s.Format, len(s.Components), subjectText(sub), v.ID)
			return nil
		}),
	}
	cmd.Flags().StringVar(&subject, "subject", "", "the artifact file the SBOM describes")
	cmd.Flags().StringVar(&stage, "stage", "build", "the pipeline stage to record it at")
	_ = cmd.MarkFlagRequired("subject")
	return cmd
}

// changesView is an SBOM diff with stable, never-null lists.
type changesView struct {
	Added   []sbom.Component     `json:"added"`
	Removed []sbom.Component     `json:"removed"`
	Changed []sbom.VersionChange `json:"changed"`
}

func (a *app) sbomDiffCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "List the components added, removed and changed between two SBOMs",
		Args:  cobra.ExactArgs(2),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			_, old, err := readSBOM(args[0])
			if err != nil {
				return err
			}
			_, cur, err := readSBOM(args[1])
			if err != nil {
				return err
			}
			c := sbom.Diff(old, cur)
			v := changesView{Added: nonNil(c.Added), Removed: nonNil(c.Removed), Changed: nonNil(c.Changed)}
			w := cmd.OutOrStdout()
			if a.output == "json" {
				return writeJSON(w, v)
			}
			if c.Empty() {
				fmt.Fprintln(w, "no component changed")
			}
			for _, x := range v.Added {
				fmt.Fprintf(w, "+ %s %s\n", x.Name, x.Version)
			}
			for _, x := range v.Removed {
				fmt.Fprintf(w, "- %s %s\n", x.Name, x.Version)
			}
			for _, x := range v.Changed {
				fmt.Fprintf(w, "~ %s %s -> %s\n", x.New.Name, x.Old.Version, x.New.Version)
			}
			return nil
		}),
	}
}

// nonNil returns s, or an empty slice for nil, so JSON lists are never
// null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
