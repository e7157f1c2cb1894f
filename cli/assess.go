package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence/report"
	"github.com/paved-dev/paved/evidence/trace"
	"github.com/paved-dev/paved/metrics"
	"github.com/paved-dev/paved/metrics/evidencelog"
	metricsreport "github.com/paved-dev/paved/metrics/report"
	"github.com/paved-dev/paved/supplychain"
)

// assessRelease assesses the map's controls for the artifacts of the
// recorded release service@version, in env if set.
func assessRelease(cmd *cobra.Command, p *paved.Program, service, version, env string) (*capability.Assessment, error) {
	ctx := cmd.Context()
	rel, err := p.Ledger().Release(ctx, service, version)
	if err != nil {
		return nil, ledgerError(err, fmt.Sprintf("list what runs with 'paved ledger where', or record the release with 'paved ledger release --service %s --version %s ...'", service, version))
	}
	released, err := p.Ledger().Released(ctx, service)
	if err != nil {
		return nil, err
	}
	scope := capability.AssessmentScope{Service: service, Release: version, Subjects: rel.Artifacts, Environment: env, Released: released}
	stop := progress(cmd, "assessing "+service+" "+version)
	defer stop()
	return capability.Assess(ctx, p.Map(), p.Store(), p.Engine(), scope)
}

// releaseFlags binds the flags that name a release and its environment.
func releaseFlags(cmd *cobra.Command, service, version, env *string) {
	f := cmd.Flags()
	f.StringVar(service, "service", "", "the service assessed")
	f.StringVar(version, "version", "", "its released version")
	f.StringVar(env, "environment", "", "the target environment, for its controls and exceptions")
	_ = cmd.MarkFlagRequired("service")
	_ = cmd.MarkFlagRequired("version")
}

func (a *app) assessCmd() *cobra.Command {
	var service, version, env string
	cmd := &cobra.Command{
		Use:   "assess --service S --version V [--environment E]",
		Short: "Assess the capability map's controls against a recorded release's evidence",
		Long: "assess judges every control of the map for the artifacts of a recorded release (pass, fail, no evidence, manual...) " +
			"and prints the scores per area and the size of the backlog of gaps; --output json gives the whole assessment.",
		Args: cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			as, err := assessRelease(cmd, p, service, version, env)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if a.output == "json" {
				return writeJSON(w, as)
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
			return nil
		}),
	}
	releaseFlags(cmd, &service, &version, &env)
	return cmd
}

func (a *app) reportCmd() *cobra.Command {
	var service, version, env, out string
	cmd := &cobra.Command{
		Use:   "report --service S --version V --out DIR [--environment E]",
		Short: "Write a release's assessment reports (Markdown, HTML, JSON) and a signed, verifiable report pack",
		Long: "report assesses the release as assess does and writes report.md, report.html and report.json to --out, with report.pack: " +
			"the files, a signed report statement recorded in the log, and the evidence with its inclusion proofs, which examples/verifypack checks offline. " +
			"--output sarif writes the gaps as SARIF instead of a summary.",
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
			as, err := assessRelease(cmd, p, service, version, env)
			if err != nil {
				return err
			}
			rep, err := report.New(cmd.Context(), p.Store(), p.Map(), as)
			if err != nil {
				return err
			}
			files, err := reportFiles(rep)
			if err != nil {
				return err
			}
			var pack bytes.Buffer
			if err := report.WritePack(cmd.Context(), &pack, p.Store(), p.Signer(), as, files); err != nil {
				return err
			}
			files["report.pack"] = pack.Bytes()
			if err := os.MkdirAll(out, 0o755); err != nil {
				return usage(err, "pass a writable --out directory")
			}
			names := make([]string, 0, len(files))
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
					return usage(err, "pass a writable --out directory")
				}
				names = append(names, name)
			}
			slices.Sort(names)
			w := cmd.OutOrStdout()
			switch a.output {
			case "sarif":
				b, err := rep.SARIF()
				if err != nil {
					return err
				}
				_, err = w.Write(b)
				return err
			case "json":
				return writeJSON(w, map[string]any{"assessment": as.ID, "dir": out, "files": names,
					"passRate": as.Overall.Rate, "verifierKey": p.CheckpointVerifierKey()})
			}
			fmt.Fprintf(w, "assessment %s of %s %s: %.1f%% pass; wrote %s to %s\n", as.ID, service, version, as.Overall.Rate, strings.Join(names, ", "), out)
			fmt.Fprintf(w, "verify the pack offline: go run ./examples/verifypack -key '%s' %s\n", p.CheckpointVerifierKey(), filepath.Join(out, "report.pack"))
			return nil
		}),
	}
	releaseFlags(cmd, &service, &version, &env)
	cmd.Flags().StringVar(&out, "out", "", "the directory to write the reports to")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// reportFiles renders the report in its three forms.
func reportFiles(rep *report.Report) (map[string][]byte, error) {
	files := map[string][]byte{}
	for name, write := range map[string]func(io.Writer) error{
		"report.md": rep.WriteMarkdown, "report.html": rep.WriteHTML, "report.json": rep.WriteJSON,
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		files[name] = b.Bytes()
	}
	return files, nil
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
