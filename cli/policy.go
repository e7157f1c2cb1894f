package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/policy/policytest"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// RequestFile is the JSON document policy eval reads: a gate request
// whose evidence is named by record IDs of the evidence log, so that only
// evidence the store verified is evaluated.
type RequestFile struct {
	// Stage is the gated stage ("plan", "build", ...).
	Stage string `json:"stage"`
	// Environment and Deployer say where to and by whom, when deploying.
	Environment string `json:"environment,omitempty"`
	Deployer    string `json:"deployer,omitempty"`
	// Subject is the artifact decided on.
	Subject supplychain.Subject `json:"subject"`
	// Evidence lists the record IDs ("sha256:<hex>") of the evidence.
	Evidence []string `json:"evidence,omitempty"`
	// Released lists the digests the ledger records as released.
	Released []string `json:"released,omitempty"`
}

// ParseRequestFile decodes a request file strictly: unknown fields,
// trailing data and a missing stage or subject are errors naming the file.
func ParseRequestFile(data []byte, file string) (*RequestFile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r RequestFile
	if err := dec.Decode(&r); err != nil {
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			return nil, fmt.Errorf("%s: offset %d: %w", file, se.Offset, err)
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: data after the request object", file)
	}
	if r.Stage == "" {
		return nil, fmt.Errorf("%s: stage: missing", file)
	}
	if err := r.Subject.Validate(); err != nil {
		return nil, fmt.Errorf("%s: subject: %w", file, err)
	}
	return &r, nil
}

func (a *app) policyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Evaluate gate requests with the policy engine",
	}
	var explain bool
	eval := &cobra.Command{
		Use:   "eval REQUEST-FILE",
		Short: "Decide a gate request (JSON: stage, subject, evidence record IDs); exit 1 when it blocks",
		Long: "eval reads a request — {\"stage\": ..., \"subject\": {\"name\": ..., \"digest\": {\"sha256\": ...}}, \"evidence\": [record IDs], \"released\": [digests]} — " +
			"loads the named evidence from the log, evaluates it with the Program's policy engine and prints the decision. Exit 1 when the decision blocks.",
		Args: cobra.ExactArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json", "sarif"); err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usage(err, "pass the path of a request JSON file")
			}
			rf, err := ParseRequestFile(data, args[0])
			if err != nil {
				return usage(err, "see 'paved policy eval --help' for the request's fields")
			}
			p, err := a.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer p.Close(cmd.Context())
			req := policy.Request{Stage: rf.Stage, Environment: rf.Environment, Deployer: rf.Deployer, Subject: rf.Subject, Released: rf.Released}
			for _, id := range rf.Evidence {
				r, err := getRecord(cmd, p.Store(), id, a.dir)
				if err != nil {
					return err
				}
				if r.Envelope == nil {
					return usage(fmt.Errorf("%s: evidence %s was pruned", args[0], id), "")
				}
				ev, err := capability.DecodeEvidence(r)
				if err != nil {
					return fmt.Errorf("evidence %s: %w", id, err)
				}
				switch pr := ev.Predicate.(type) {
				case attest.Change:
					req.Change = &pr
				case attest.Approval:
					req.Approvals = append(req.Approvals, pr)
				}
				req.Evidence = append(req.Evidence, ev)
			}
			var eopts []policy.EvalOption
			if explain {
				eopts = append(eopts, policy.Explain())
			}
			d, err := p.Engine().Evaluate(cmd.Context(), req, eopts...)
			if err != nil {
				return usage(fmt.Errorf("%s: %w", args[0], err), "check the request's stage and subject")
			}
			w := cmd.OutOrStdout()
			switch a.output {
			case "json":
				b, err := d.JSON()
				if err != nil {
					return err
				}
				if _, err := w.Write(append(b, '\n')); err != nil {
					return err
				}
			case "sarif":
				b, err := d.SARIF()
				if err != nil {
					return err
				}
				if _, err := w.Write(b); err != nil {
					return err
				}
			default:
				quiet := 0
				for _, c := range d.Controls {
					if c.Status == policy.StatusNotApplicable || c.Status == policy.StatusManual || c.Status == policy.StatusPass {
						quiet++
						continue
					}
					reason := c.Message
					if len(c.Violations) > 0 {
						reason = c.Violations[0].Msg
					}
					fmt.Fprintf(w, "%s %s %s: %s\n", c.Control, c.Enforcement, c.Status, reason)
				}
				fmt.Fprintf(w, "decision %s: %s (%d more controls passed, manual or not applicable)\n", d.ID, d.Outcome, quiet)
			}
			if d.Blocked() {
				return denied(fmt.Errorf("%s: blocked at %s", args[0], rf.Stage), "add the missing evidence, or ask for an exception in the capability map")
			}
			return nil
		}),
	}
	eval.Flags().BoolVar(&explain, "explain", false, "include the evaluation's trace in the JSON decision")
	cmd.AddCommand(eval, a.policyTestCmd())
	return cmd
}

// testResult is one Rego test's outcome as policy test reports it.
type testResult struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	Passed   bool   `json:"passed"`
	Message  string `json:"message,omitempty"`
}

func (a *app) policyTestCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "test [POLICY-DIR]",
		Short: "Run the Rego tests (test_* rules) of a policy directory, or of the built-in library; exit 1 when one fails",
		Args:  cobra.MaximumNArgs(1),
		RunE: action(func(cmd *cobra.Command, args []string) error {
			if err := a.formats(cmd, "text", "json"); err != nil {
				return err
			}
			fsys, where := policy.Library(), "the built-in library"
			if len(args) == 1 {
				if _, err := statStore(args[0]); err != nil {
					return usage(err, "pass a directory of .rego files and their _test.rego files")
				}
				fsys, where = os.DirFS(args[0]), args[0]
			}
			results, err := policytest.Results(cmd.Context(), fsys)
			if err != nil {
				return usage(fmt.Errorf("policies of %s: %w", where, err), "fix the Rego errors above")
			}
			views, failed := []testResult{}, 0
			for _, r := range results {
				views = append(views, testResult(r))
				if !r.Passed {
					failed++
				}
			}
			w := cmd.OutOrStdout()
			if a.output == "json" {
				if err := writeJSON(w, views); err != nil {
					return err
				}
			} else {
				for _, r := range views {
					if !r.Passed {
						fmt.Fprintf(w, "FAIL %s (%s): %s\n", r.Name, r.Location, r.Message)
					}
				}
				fmt.Fprintf(w, "%d tests, %d passed, %d failed\n", len(views), len(views)-failed, failed)
			}
			if len(views) == 0 {
				return usage(fmt.Errorf("no Rego tests in %s", where), "tests are rules named test_* in _test.rego files")
			}
			if failed > 0 {
				return denied(fmt.Errorf("%d of %d policy tests failed in %s", failed, len(views), where), "")
			}
			return nil
		}),
	}
}
