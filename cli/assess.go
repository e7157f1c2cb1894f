package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence/report"
	"github.com/paved-dev/paved/evidence/trace"
	"github.com/paved-dev/paved/metrics"
	"github.com/paved-dev/paved/metrics/evidencelog"
	metricsreport "github.com/paved-dev/paved/metrics/report"
	"github.com/paved-dev/paved/supplychain"
)

// assess runs the capability assessment of a recorded release.
func (a *app) assessCmd() *cobra.Command {
	var service, version, env, reportDir string
	cmd := &cobra.Command{
		Use:   "assess --service S --version V [--environment E] [--report-dir DIR]",
		Short: "Assess the capability map's controls against a release's evidence; optionally write the reports",
		Long: "assess judges every control of the map for the artifacts of a recorded release: pass, fail, no evidence, manual... " +
			"with the scores per area and the backlog of gaps. --report-dir writes report.md, report.html and report.json there.",
		Args: cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json", "sarif"); err != nil {
				return err
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			ctx := cmd.Context()
			rel, err := p.Ledger().Release(ctx, service, version)
			if err != nil {
				return ledgerError(err, fmt.Sprintf("list what was released with 'paved ledger where', or record it with 'paved ledger release --service %s --version %s ...'", service, version))
			}
			released, err := p.Ledger().Released(ctx, service)
			if err != nil {
				return err
			}
			scope := capability.AssessmentScope{Service: service, Release: version, Subjects: rel.Artifacts, Environment: env, Released: released}
			stop := progress(cmd, "assessing "+service+" "+version)
			as, err := capability.Assess(ctx, p.Map(), p.Store(), p.Engine(), scope)
			stop()
			if err != nil {
				return err
			}
			rep, err := report.New(ctx, p.Store(), p.Map(), as)
			if err != nil {
				return err
			}
			if reportDir != "" {
				if err := writeReports(rep, reportDir); err != nil {
					return usage(err, "pass a writable --report-dir")
				}
			}
			w := cmd.OutOrStdout()
			switch a.output {
			case "json":
				return writeJSON(w, as)
			case "sarif":
				b, err := rep.SARIF()
				if err != nil {
					return err
				}
				_, err = w.Write(b)
				return err
			}
			fmt.Fprintf(w, "assessment %s of %s %s", as.ID, service, version)
			if env != "" {
				fmt.Fprintf(w, " in %s", env)
			}
			fmt.Fprintf(w, ": %.1f%% of %d judged controls pass\n", as.Overall.Rate, as.Overall.Judged)
			for _, ar := range as.Areas {
				fmt.Fprintf(w, "  %-14s %5.1f%% (%d judged of %d)\n", ar.Area, ar.Rate, ar.Judged, ar.Total)
			}
			fmt.Fprintf(w, "%d gaps in the backlog\n", len(as.Backlog))
			if reportDir != "" {
				fmt.Fprintf(w, "reports written to %s\n", reportDir)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&service, "service", "", "the service assessed")
	f.StringVar(&version, "version", "", "its released version")
	f.StringVar(&env, "environment", "", "the target environment, for its controls and exceptions")
	f.StringVar(&reportDir, "report-dir", "", "write report.md, report.html and report.json to this directory")
	_ = cmd.MarkFlagRequired("service")
	_ = cmd.MarkFlagRequired("version")
	return cmd
}

// writeReports writes the report in its three forms under dir.
func writeReports(rep *report.Report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"report.md":   func(b *bytes.Buffer) error { return rep.WriteMarkdown(b) },
		"report.html": func(b *bytes.Buffer) error { return rep.WriteHTML(b) },
		"report.json": func(b *bytes.Buffer) error { return rep.WriteJSON(b) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// dora computes the DORA metrics from the deployments, incidents and
// changes in the log.
func (a *app) doraCmd() *cobra.Command {
	var (
		days int
		html string
	)
	cmd := &cobra.Command{
		Use:   "dora [--days N] [--html FILE]",
		Short: "Compute the DORA metrics from the evidence log's deployments, incidents and changes",
		Args:  cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			if days < 1 {
				return usage(fmt.Errorf("--days %d: must be at least 1", days), "")
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			ev, err := evidencelog.Read(cmd.Context(), p.Store())
			if err != nil {
				return err
			}
			calc, err := metrics.New()
			if err != nil {
				return err
			}
			end := time.Now().UTC().Add(time.Second)
			res, err := calc.Compute(ev.Events, metrics.Window{Start: end.AddDate(0, 0, -days), End: end})
			if err != nil {
				return err
			}
			if html != "" {
				var b bytes.Buffer
				if err := metricsreport.HTML(&b, res); err != nil {
					return err
				}
				if err := os.WriteFile(html, b.Bytes(), 0o644); err != nil {
					return usage(err, "pass a writable --html path")
				}
			}
			if a.output == "json" {
				return metricsreport.JSON(cmd.OutOrStdout(), res)
			}
			return metricsreport.Markdown(cmd.OutOrStdout(), res)
		}),
	}
	cmd.Flags().IntVar(&days, "days", 30, "the window, in days up to now")
	cmd.Flags().StringVar(&html, "html", "", "also write the HTML report to this file")
	return cmd
}

// trace walks the evidence graph from a node.
func (a *app) traceCmd() *cobra.Command {
	var (
		artifact string
		dot      bool
	)
	cmd := &cobra.Command{
		Use:   "trace (NODE-ID | --artifact FILE)",
		Short: "Trace what an artifact, release, change or deployment came from and led to (Mermaid, DOT or JSON)",
		Long:  `trace walks the evidence log from a node such as "release:shop@1.4.2", "change:PR-7", "deployment:D-7" or an artifact file, and writes the graph: Mermaid by default, DOT with --dot, JSON with --output json.`,
		Args:  cobra.MaximumNArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			var start trace.NodeID
			switch {
			case len(args) == 1 && artifact == "":
				start = trace.NodeID(args[0])
			case len(args) == 0 && artifact != "":
				s, err := supplychain.SubjectFromFile(filepath.Base(artifact), artifact)
				if err != nil {
					return usage(fmt.Errorf("--artifact: %w", err), "")
				}
				start = trace.ArtifactID(s.Digest)
			default:
				return usage(fmt.Errorf("give a node ID or --artifact, not both or neither"), `node IDs look like "release:shop@1.4.2" or "deployment:D-7"`)
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			g, err := trace.Trace(cmd.Context(), p.Store(), start)
			if err != nil {
				return usage(fmt.Errorf("trace %s: %w", start, err), `node IDs look like "release:shop@1.4.2", "change:PR-7" or "artifact:sha256:<hex>"`)
			}
			w := cmd.OutOrStdout()
			switch {
			case a.output == "json":
				return g.WriteJSON(w)
			case dot:
				return g.WriteDOT(w)
			}
			return g.WriteMermaid(w)
		}),
	}
	cmd.Flags().StringVar(&artifact, "artifact", "", "start from this artifact file")
	cmd.Flags().BoolVar(&dot, "dot", false, "write Graphviz DOT instead of Mermaid")
	return cmd
}
