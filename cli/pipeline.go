package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/openvex/go-vex/pkg/vex"
	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/supplychain/vuln"
)

// pipelineCmd runs a whole pipeline template: the paved road.
func (a *app) pipelineCmd() *cobra.Command {
	var (
		template, workdir, env, deployer, osv string
		vars, vexFiles                        []string
	)
	cmd := &cobra.Command{
		Use:   "pipeline --var service=S --var version=V --var approvers=A [flags]",
		Short: "Run a pipeline template through all its stages: paved's go-service road, or --template FILE",
		Long: "pipeline loads a template (the built-in go-service paved road unless --template names a file) with the built-in step kinds " +
			"and its --var values, and runs it in --workdir: every step recorded as signed evidence, every stage gated by policy, " +
			"the CI job's context read from the environment. The go-service road's variables are service, version, environment, " +
			"approvers and base; --environment sets the environment variable and the gates' target environment. Its vulnerability " +
			"scan matches the SBOM against the OSV records in --osv, with the OpenVEX statements in --vex applied.\n\n" +
			"Exit 0 when every step succeeded and every gate allowed, 1 when a step failed or a gate blocked.",
		Args: cobra.NoArgs,
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			values := map[string]string{}
			for _, v := range vars {
				k, val, ok := strings.Cut(v, "=")
				if !ok || k == "" {
					return usage(fmt.Errorf("--var %q: want name=value", v), "such as --var service=api")
				}
				values[k] = val
			}
			if env != "" {
				values["environment"] = env
			}
			var senv step.Env
			if osv != "" {
				db, err := vuln.LoadDir(cmd.Context(), osv)
				if err != nil {
					return usage(fmt.Errorf("--osv: %w", err), "pass a directory of OSV JSON records")
				}
				senv.Vulns = db
			}
			for _, f := range vexFiles {
				doc, err := vex.Open(f)
				if err != nil {
					return usage(fmt.Errorf("--vex %s: %w", f, err), "pass an OpenVEX document")
				}
				senv.VulnOptions = append(senv.VulnOptions, vuln.WithVEX(doc))
			}
			prog, ropts, err := a.openRun(cmd, workdir)
			if err != nil {
				return err
			}
			defer prog.Close(cmd.Context())
			senv.Ledger, senv.Signer, senv.Trust = prog.Ledger(), prog.Signer(), prog.Trust()
			var p *pipeline.Pipeline
			if template == "" {
				p, err = step.GoService(senv, values)
			} else {
				p, err = pipeline.LoadTemplateFile(template, step.Kinds(senv), values)
			}
			if err != nil {
				return usage(err, "give every variable the template declares with --var, and --osv DIR if it scans for vulnerabilities")
			}
			if env != "" {
				ropts = append(ropts, pipeline.ToEnvironment(env))
			}
			if deployer != "" {
				ropts = append(ropts, pipeline.AsDeployer(deployer))
			}
			return a.report(cmd, prog, p, ropts)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&template, "template", "", "a pipeline template file (default: the built-in go-service paved road)")
	f.StringArrayVar(&vars, "var", nil, "a template variable, name=value (repeatable)")
	f.StringVar(&workdir, "workdir", "", "the directory the pipeline runs in: the service's repository (default: the current directory)")
	f.StringVar(&env, "environment", "", "the environment the run deploys to, for the template and the gates")
	f.StringVar(&deployer, "deployer", "", "the identity deploying, checked against the environment's boundary (default: the CI job's actor)")
	f.StringVar(&osv, "osv", "", "a directory of OSV JSON records for the vulnerability scan")
	f.StringArrayVar(&vexFiles, "vex", nil, "an OpenVEX document applied to the vulnerability scan (repeatable)")
	return cmd
}

// openRun opens the Program for a run in workdir (empty: the current
// directory), which must be a directory, recording the CI job's context
// (system, builder, run URL, commit, actor) read from the environment.
func (a *app) openRun(cmd *cobra.Command, workdir string) (*paved.Program, []pipeline.RunOption, error) {
	var ropts []pipeline.RunOption
	if workdir != "" {
		if fi, err := os.Stat(workdir); err != nil || !fi.IsDir() {
			return nil, nil, usage(fmt.Errorf("--workdir %s: not a directory", workdir), "pass the directory to run in, such as the service's repository")
		}
		ropts = append(ropts, pipeline.InDir(workdir))
	}
	prog, err := a.open(cmd.Context(), false, paved.WithCI(ci.FromEnv(os.LookupEnv)))
	return prog, ropts, err
}

// report runs p with the Program's runner, prints the run and turns its
// outcome into an exit code: 0 when it succeeded, 1 when a step failed
// or a gate blocked or could not decide.
func (a *app) report(cmd *cobra.Command, prog *paved.Program, p *pipeline.Pipeline, ropts []pipeline.RunOption) error {
	run, err := prog.Runner().Run(cmd.Context(), p, ropts...)
	if run == nil {
		return err
	}
	r := summarize(run)
	if a.output == "json" {
		if err := writeJSON(cmd.OutOrStdout(), r); err != nil {
			return err
		}
	} else {
		r.text(cmd.OutOrStdout())
	}
	return outcome(run, r)
}

// outcome is the error a run's outcome makes, with what to do next.
func outcome(run *pipeline.Run, r runResult) error {
	switch run.Outcome {
	case pipeline.Succeeded:
		return nil
	case pipeline.Blocked:
		stage := ""
		if len(r.Gates) > 0 {
			stage = r.Gates[len(r.Gates)-1].Stage
		}
		return denied(fmt.Errorf("stage %s blocked by policy: %v", stage, run.Err),
			fmt.Sprintf("see the failing controls above; 'paved evidence get %s' shows the decision", lastGate(r)))
	case pipeline.Failed:
		switch {
		case errors.Is(run.Err, pipeline.ErrStepFailed):
			name := ""
			for _, s := range r.Steps {
				if s.Failed {
					name = s.Name
				}
			}
			return denied(fmt.Errorf("step %s failed: %v", name, run.Err), "fix the step; its failure is recorded as evidence")
		case errors.Is(run.Err, pipeline.ErrGate): // a gate that cannot decide denies
			return denied(fmt.Errorf("the gate could not decide: %v", run.Err),
				"give the run its artifact with --product FILE or --subject FILE (pipeline: a step that declares a product)")
		}
	}
	return fmt.Errorf("run %s: %s: %w", run.ID, run.Outcome, run.Err)
}
