package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
)

// releaseView is a release as the ledger commands show it.
type releaseView struct {
	ledger.Release
	Artifacts []supplychain.Subject `json:"artifacts"`
	RecordID  string                `json:"recordId"`
}

func viewOfRelease(r ledger.Release) releaseView {
	return releaseView{Release: r, Artifacts: nonNil(r.Artifacts), RecordID: r.RecordID}
}

// ledgerError maps the ledger's errors: what the caller gave is wrong
// unless the ledger says otherwise.
func ledgerError(err error, hint string) error {
	if errors.Is(err, ledger.ErrInvalid) || errors.Is(err, ledger.ErrUnknownRelease) || errors.Is(err, ledger.ErrDuplicateRelease) || errors.Is(err, ledger.ErrReference) {
		return usage(err, hint)
	}
	return err
}

func (a *app) ledgerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Record releases and deployments, and answer what shipped where",
	}
	cmd.AddCommand(a.ledgerReleaseCmd(), a.ledgerDeployCmd(), a.ledgerWhereCmd())
	return cmd
}

func (a *app) ledgerReleaseCmd() *cobra.Command {
	var (
		r         ledger.Release
		artifacts []string
	)
	cmd := &cobra.Command{
		Use:   "release --service S --version V --artifact FILE --by ID [flags]",
		Short: "Record a release: its artifacts and the evidence records of its SBOMs, provenance and approvals",
		Args:  cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			for _, f := range artifacts {
				s, err := supplychain.SubjectFromFile(filepath.Base(f), f)
				if err != nil {
					return usage(fmt.Errorf("--artifact: %w", err), "pass the released files")
				}
				r.Artifacts = append(r.Artifacts, s)
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			r.ReleasedAt = time.Now().UTC()
			got, err := p.Ledger().RecordRelease(cmd.Context(), r)
			if err != nil {
				return ledgerError(err, "--sbom, --provenance and --approval take record IDs from 'paved evidence query'")
			}
			v := viewOfRelease(got)
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "released %s %s (%d artifacts): record %s\n", got.Service, got.Version, len(got.Artifacts), got.RecordID)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&r.Service, "service", "", "the service released")
	f.StringVar(&r.Version, "version", "", "the version released, unique within the service")
	f.StringVar(&r.Commit, "commit", "", "the source commit it was built from")
	f.StringVar(&r.ReleasedBy, "by", "", "the identity that cuts the release")
	f.StringArrayVar(&artifacts, "artifact", nil, "a released file (repeatable)")
	f.StringArrayVar(&r.SBOMs, "sbom", nil, "the record ID of an SBOM of the release (repeatable)")
	f.StringArrayVar(&r.Provenance, "provenance", nil, "the record ID of its provenance (repeatable)")
	f.StringArrayVar(&r.Approvals, "approval", nil, "the record ID of an approval (repeatable)")
	for _, name := range []string{"service", "version", "by", "artifact"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func (a *app) ledgerDeployCmd() *cobra.Command {
	var d attest.Deployment
	cmd := &cobra.Command{
		Use:   "deploy --service S --version V --environment E --by ID [flags]",
		Short: "Record a deployment of a recorded release",
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
			now := time.Now().UTC()
			if d.ID == "" {
				d.ID = fmt.Sprintf("%s-%s-%s", d.Service, d.Environment, now.Format("20060102T150405.000000Z"))
			}
			d.StartedAt, d.FinishedAt = now, now
			rec, err := p.Ledger().RecordDeployment(cmd.Context(), d)
			if err != nil {
				return ledgerError(err, fmt.Sprintf("record the release first with 'paved ledger release --service %s --version %s ...'", d.Service, d.Version))
			}
			if a.output == "json" {
				return writeJSON(cmd.OutOrStdout(), struct {
					attest.Deployment
					RecordID string `json:"recordId"`
				}{d, rec.ID})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deployed %s %s to %s (%s, %s): record %s\n", d.Service, d.Version, d.Environment, d.Kind, d.Outcome, rec.ID)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&d.ID, "id", "", "the deployment's ID (default: service-environment-time)")
	f.StringVar(&d.Service, "service", "", "the service deployed")
	f.StringVar(&d.Version, "version", "", "the released version deployed")
	f.StringVar(&d.Environment, "environment", "", "where it was deployed")
	f.StringVar(&d.Deployer, "by", "", "the identity that deployed")
	f.StringVar(&d.Kind, "kind", "normal", "normal, rollback, hotfix or unplanned")
	f.StringVar(&d.Outcome, "outcome", "succeeded", "succeeded, failed or rolled_back")
	f.StringArrayVar(&d.Changes, "change", nil, "the ID of a change it carries (repeatable)")
	for _, name := range []string{"service", "version", "environment", "by"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func (a *app) ledgerWhereCmd() *cobra.Command {
	var env, pkg, rng string
	cmd := &cobra.Command{
		Use:   "where (--environment E | --package PURL [--range R])",
		Short: "What runs in an environment, or which releases ship a package in a version range",
		Args:  cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			if (env == "") == (pkg == "") {
				return usage(errors.New("give exactly one of --environment and --package"), "")
			}
			r, err := ledger.ParseRange(rng)
			if err != nil {
				return usage(fmt.Errorf("--range %q: %w", rng, err), `write constraints such as ">=1.0.0, <1.4.0"`)
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			w := cmd.OutOrStdout()
			if env != "" {
				running, err := p.Ledger().Current(cmd.Context(), env)
				if err != nil {
					return ledgerError(err, "")
				}
				return a.writeRunning(w, env, running)
			}
			rep, err := p.Ledger().Containing(cmd.Context(), pkg, r)
			if err != nil {
				return ledgerError(err, "pass a package URL without a version, such as pkg:golang/example.com/lib")
			}
			return a.writeContaining(w, rep)
		}),
	}
	cmd.Flags().StringVar(&env, "environment", "", "list what runs in this environment")
	cmd.Flags().StringVar(&pkg, "package", "", "list the releases whose SBOMs list this package URL (without version)")
	cmd.Flags().StringVar(&rng, "range", "", "only versions in this range, such as \">=1.0.0, <1.4.0\" (default: any)")
	return cmd
}

// runningView is one service running in an environment.
type runningView struct {
	Service      string `json:"service"`
	Version      string `json:"version"`
	Deployment   string `json:"deployment"`
	DeployedAt   string `json:"deployedAt"`
	ReleaseID    string `json:"releaseRecord"`
	DeploymentID string `json:"deploymentRecord"`
}

func (a *app) writeRunning(w io.Writer, env string, running []ledger.Running) error {
	views := []runningView{}
	for _, r := range running {
		views = append(views, runningView{Service: r.Release.Service, Version: r.Release.Version, Deployment: r.Deployment.ID,
			DeployedAt: r.Deployment.FinishedAt.Format(time.RFC3339), ReleaseID: r.Release.RecordID, DeploymentID: r.Deployment.RecordID})
	}
	if a.output == "json" {
		return writeJSON(w, views)
	}
	if len(views) == 0 {
		fmt.Fprintf(w, "nothing recorded as running in %s\n", env)
	}
	for _, v := range views {
		fmt.Fprintf(w, "%s %s %s (deployment %s at %s)\n", env, v.Service, v.Version, v.Deployment, v.DeployedAt)
	}
	return nil
}

// shippedView is one release that ships the package asked about.
type shippedView struct {
	Service      string   `json:"service"`
	Version      string   `json:"version"`
	Component    string   `json:"component"`
	ComponentAt  string   `json:"componentVersion"`
	Environments []string `json:"environments"`
	SBOM         string   `json:"sbom"`
}

func (a *app) writeContaining(w io.Writer, rep *ledger.ComponentReport) error {
	views := []shippedView{}
	for _, s := range rep.Shipped {
		views = append(views, shippedView{Service: s.Release.Service, Version: s.Release.Version, Component: s.Component.Name, ComponentAt: s.Component.Version,
			Environments: nonNil(s.Environments), SBOM: s.SBOM})
	}
	problems := []string{}
	for _, p := range rep.Problems {
		problems = append(problems, p.Error())
	}
	if a.output == "json" {
		return writeJSON(w, map[string]any{"package": rep.Package, "range": rep.Range.String(), "shipped": views,
			"releases": rep.Releases, "sboms": rep.SBOMs, "problems": problems})
	}
	for _, v := range views {
		fmt.Fprintf(w, "%s %s ships %s %s, deployed to %v\n", v.Service, v.Version, v.Component, v.ComponentAt, v.Environments)
	}
	fmt.Fprintf(w, "%d of %d releases ship %s %s (%d SBOMs searched)\n", len(views), rep.Releases, rep.Package, rep.Range, rep.SBOMs)
	for _, p := range problems {
		fmt.Fprintf(w, "could not read: %s\n", p)
	}
	return nil
}
