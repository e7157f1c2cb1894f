package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/capability"
)

// The exit codes of the reference CLI.
const (
	// ExitOK: the command did what it was asked.
	ExitOK = 0
	// ExitDenied: a policy denied, a step failed or a verification failed.
	ExitDenied = 1
	// ExitUsage: a bad flag, argument or input.
	ExitUsage = 2
	// ExitInternal: something failed that the caller cannot fix by
	// changing the command line.
	ExitInternal = 3
)

// DefaultDir is the directory the commands open when --dir is not given.
const DefaultDir = ".paved"

// ExitError is an error that decides the process's exit code. Hint, when
// set, says what to do next.
type ExitError struct {
	Code int
	Err  error
	Hint string
}

func (e *ExitError) Error() string { return e.Err.Error() }

func (e *ExitError) Unwrap() error { return e.Err }

// Code returns the exit code for err: ExitOK for nil, the code of an
// *ExitError in its chain, ExitInternal otherwise.
func Code(err error) int {
	if err == nil {
		return ExitOK
	}
	if e, ok := errors.AsType[*ExitError](err); ok {
		return e.Code
	}
	return ExitInternal
}

// usage, denied and internal wrap err with an exit code and a hint.
func usage(err error, hint string) error  { return &ExitError{Code: ExitUsage, Err: err, Hint: hint} }
func denied(err error, hint string) error { return &ExitError{Code: ExitDenied, Err: err, Hint: hint} }
func internal(err error, hint string) error {
	return &ExitError{Code: ExitInternal, Err: err, Hint: hint}
}

// Option configures the command tree New builds.
type Option interface{ apply(*config) }

type config struct {
	open []paved.Option
	name string
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithOpenOptions passes opts to paved.Open whenever a command opens the
// Program, for a tool that wires its own map, backend, keys or policies.
// The default is none: paved's defaults under --dir. run adds paved.WithCI
// with the context it reads from the environment, so opts must not hold
// WithCI.
func WithOpenOptions(opts ...paved.Option) Option {
	return optionFunc(func(c *config) { c.open = append(c.open, opts...) })
}

// WithName names the root command (its Use); the default is "paved".
func WithName(name string) Option {
	return optionFunc(func(c *config) { c.name = name })
}

// app is the state the commands share: the configuration and the
// persistent flags.
type app struct {
	cfg        config
	dir        string
	output     string
	mapFile    string
	guardrails string
}

// New returns the root command of the reference CLI. Run it with Main, or
// mount it under another cobra command; its errors carry exit codes (see
// Code).
func New(opts ...Option) *cobra.Command {
	a := &app{cfg: config{name: "paved"}}
	for _, o := range opts {
		o.apply(&a.cfg)
	}
	root := &cobra.Command{
		Use:           a.cfg.name,
		Short:         "Gate, record and prove a delivery pipeline",
		Long:          "paved records every pipeline step as signed evidence in a verifiable log, gates stages with policy and proves what shipped.\n\nExit codes: 0 ok, 1 denied by policy or failed verification, 2 usage error, 3 internal error.",
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			switch a.output {
			case "text", "json", "sarif":
				return nil
			}
			return usage(fmt.Errorf("--output %q: must be text, json or sarif", a.output), "")
		},
	}
	root.PersistentFlags().StringVar(&a.dir, "dir", DefaultDir, "the paved directory: evidence store and keys")
	root.PersistentFlags().StringVar(&a.mapFile, "map", "", "a capability map file (YAML or JSON) to gate with (default: paved's built-in map)")
	root.PersistentFlags().StringVar(&a.guardrails, "guardrails", "", "a JSON file of guardrail settings for the policies, such as trusted_builders, release_signers and teams")
	root.PersistentFlags().StringVarP(&a.output, "output", "o", "text", "output format: text, json (stable, for machines) or sarif where a command supports it")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usage(err, fmt.Sprintf("see '%s --help'", cmd.CommandPath()))
	})
	root.AddCommand(a.initCmd(), a.runCmd(), a.pipelineCmd(), a.evidenceCmd(), a.verifyCmd(), a.sbomCmd(), a.vulnCmd(), a.secretsCmd(), a.policyCmd(), a.ledgerCmd(), a.assessCmd(), a.doraCmd(), a.traceCmd(), a.attestCmd(), a.signCmd(), a.reportCmd())
	return root
}

// Main runs the command tree that New(opts...) builds with args, writing
// to stdout and stderr, and returns the exit code. Errors are printed on
// stderr with what to do next.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, opts ...Option) int {
	root := New(opts...)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	e, ok := errors.AsType[*ExitError](err)
	if !ok { // cobra's own: an unknown command or a wrong number of arguments
		e = &ExitError{Code: ExitUsage, Err: err, Hint: fmt.Sprintf("see '%s --help'", cmd.CommandPath())}
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), e.Err)
	if e.Hint != "" {
		fmt.Fprintf(stderr, "  %s\n", e.Hint)
	}
	return e.Code
}

// action adapts a command's work to cobra: an error without an exit code
// is an internal error.
func action(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := fn(cmd, args)
		if err == nil {
			return nil
		}
		if _, ok := errors.AsType[*ExitError](err); ok {
			return err
		}
		return internal(err, "this is not a problem with the command line; rerun, or report it with the message above")
	}
}

// open opens the Program on --dir. Opening a directory that does not hold
// a store yet is refused unless create is set (only init creates one),
// so that a typo in --dir does not start a new, empty log.
func (a *app) open(ctx context.Context, create bool, extra ...paved.Option) (*paved.Program, error) {
	if !create {
		if _, err := statStore(a.dir); err != nil {
			return nil, usage(fmt.Errorf("no paved directory at %s: %w", a.dir, err),
				fmt.Sprintf("run 'paved init --dir %s' first, or pass the right --dir", a.dir))
		}
	}
	opts := append(slices.Clip(a.cfg.open), extra...)
	if a.mapFile != "" {
		opts = append(opts, paved.WithMapFile(a.mapFile))
	}
	if a.guardrails != "" {
		data, err := os.ReadFile(a.guardrails)
		if err != nil {
			return nil, usage(err, "pass a readable --guardrails file")
		}
		var settings map[string]any
		if err := json.Unmarshal(data, &settings); err != nil || settings == nil {
			return nil, usage(fmt.Errorf("--guardrails %s: want a JSON object of settings: %v", a.guardrails, err),
				`such as {"teams": {"@acme/api": ["ann@example.com"]}}`)
		}
		opts = append(opts, paved.WithGuardrails(settings))
	}
	p, err := paved.Open(ctx, a.dir, opts...)
	if errors.Is(err, fs.ErrNotExist) || errors.As(err, new(*capability.FieldError)) {
		return nil, usage(err, "check the --map file")
	}
	if err != nil {
		return nil, internal(err, fmt.Sprintf("check that %s is readable and writable by you, and that its key files have mode 0600", a.dir))
	}
	return p, nil
}

// formats checks that the command supports the --output chosen.
func (a *app) formats(cmd *cobra.Command, allowed ...string) error {
	for _, f := range allowed {
		if a.output == f {
			return nil
		}
	}
	return usage(fmt.Errorf("--output %s: %s supports %s", a.output, cmd.CommandPath(), strings.Join(allowed, ", ")), "")
}

// writeJSON writes v as indented JSON with a final newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
