package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/supplychain/secret"
	"github.com/paved-dev/paved/supplychain/vuln"
)

func (a *app) vulnCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vuln",
		Short: "Match SBOMs against an OSV database, offline",
	}
	var (
		db   string
		fail bool
	)
	scan := &cobra.Command{
		Use:   "scan --db OSV-DIR SBOM-FILE",
		Short: "List the known vulnerabilities of an SBOM's components from a local OSV directory",
		Long:  "scan matches the SBOM against the OSV records (JSON files) under --db, with no network. With --fail it exits 1 when any finding is active (not suppressed by VEX).",
		Args:  cobra.ExactArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json", "sarif"); err != nil {
				return err
			}
			_, s, err := readSBOM(args[0])
			if err != nil {
				return err
			}
			stop := progress(cmd, "loading "+db)
			d, err := vuln.LoadDir(cmd.Context(), db)
			stop()
			if err != nil {
				return usage(fmt.Errorf("--db %s: %w", db, err), "pass a directory of OSV JSON records, such as an unpacked osv.dev export")
			}
			m, err := vuln.NewMatcher(d)
			if err != nil {
				return err
			}
			r := m.Match(s)
			w := cmd.OutOrStdout()
			switch a.output {
			case "json":
				err = r.WriteJSON(w)
			case "sarif":
				err = r.WriteSARIF(w)
			default:
				for _, f := range r.Findings {
					state := "active"
					if f.Suppressed {
						state = string(f.Status)
					}
					fix := "no fix known"
					if len(f.FixedIn) > 0 {
						fix = "fixed in " + f.FixedIn[0]
					}
					fmt.Fprintf(w, "%s %s %s@%s: %s (%s, %s)\n", f.ID, f.Severity.Rating, f.Component.Name, f.Component.Version, f.Summary, fix, state)
				}
				fmt.Fprintf(w, "%d components, %d findings, %d active\n", r.Components, len(r.Findings), len(r.Active()))
			}
			if err != nil {
				return err
			}
			if fail && len(r.Active()) > 0 {
				return denied(fmt.Errorf("%s: %d active vulnerabilities", args[0], len(r.Active())), "upgrade to the fixed versions, or record a VEX statement for what does not affect you")
			}
			return nil
		}),
	}
	scan.Flags().StringVar(&db, "db", "", "a directory of OSV JSON records")
	scan.Flags().BoolVar(&fail, "fail", false, "exit 1 when a finding is active")
	_ = scan.MarkFlagRequired("db")
	cmd.AddCommand(scan)
	return cmd
}

func (a *app) secretsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Find secrets in files and git history",
	}
	var ignore []string
	scan := &cobra.Command{
		Use:   "scan [DIR]",
		Short: "Scan a directory (default: the current one) for secrets; exit 1 when any is found",
		Long:  "scan runs gitleaks' rules over the files under DIR. Findings never show the secret itself. It exits 1 when it finds any: a secret in the tree fails the check.",
		Args:  cobra.MaximumNArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json", "sarif"); err != nil {
				return err
			}
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			s, err := secret.New(secret.WithIgnore(ignore...))
			if err != nil {
				return err
			}
			stop := progress(cmd, "scanning "+dir+" for secrets")
			r, err := s.ScanPath(cmd.Context(), dir)
			stop()
			if err != nil {
				return usage(fmt.Errorf("secrets scan of %s: %w", dir, err), "pass a readable directory")
			}
			w := cmd.OutOrStdout()
			switch a.output {
			case "json":
				r.Findings = nonNil(r.Findings)
				err = writeJSON(w, r)
			case "sarif":
				var b []byte
				if b, err = r.SARIF(); err == nil {
					_, err = w.Write(b)
				}
			default:
				for _, f := range r.Findings {
					fmt.Fprintf(w, "%s:%d:%d: %s (fingerprint %s)\n", f.File, f.StartLine, f.StartColumn, f.RuleID, f.Fingerprint)
				}
				fmt.Fprintf(w, "%d files scanned, %d secrets found\n", r.Files, len(r.Findings))
			}
			if err != nil {
				return err
			}
			if len(r.Findings) > 0 {
				return denied(fmt.Errorf("%s: %d secrets found", dir, len(r.Findings)),
					"remove them and rotate them; a false positive can be ignored with --ignore FINGERPRINT")
			}
			return nil
		}),
	}
	scan.Flags().StringArrayVar(&ignore, "ignore", nil, "a finding's fingerprint to ignore (repeatable)")
	cmd.AddCommand(scan)
	return cmd
}
