package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/ci"
	"github.com/paved-dev/paved/supplychain"
)

// The exit codes.
const (
	exitAllowed  = 0
	exitBlocked  = 1
	exitUsage    = 2
	exitInternal = 3
)

func main() {
	os.Exit(gate(context.Background(), os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr))
}

// gate runs the command with args and the environment lookup reads, and
// returns its exit code.
func gate(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	dir, _ := lookup("PAVED_DIR")
	fs := flag.NewFlagSet("ci-gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&dir, "dir", cmp.Or(dir, ".paved"), "paved's directory (default $PAVED_DIR, else .paved)")
	stage := fs.String("stage", "", "the stage to gate: plan, build, test, release or operate")
	artifact := fs.String("artifact", "", "the artifact file the gate decides on")
	env := fs.String("environment", "", "the environment the artifact is bound for")
	guardrails := fs.String("guardrails", "", "a JSON file of guardrail settings")
	output := fs.String("output", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ci-gate: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected arguments: %v", fs.Args())
	case *stage == "":
		return usage("--stage is required")
	case *artifact == "":
		return usage("--artifact is required")
	}
	var st pipeline.Stage
	if err := st.UnmarshalText([]byte(*stage)); err != nil {
		return usage("--stage: %v", err)
	}
	if *output != "text" && *output != "json" {
		return usage("--output %q: want text or json", *output)
	}
	subject, err := supplychain.SubjectFromFile(filepath.Base(*artifact), *artifact)
	if err != nil {
		return usage("--artifact: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, paved.StoreFile)); err != nil {
		return usage("no evidence store in %s (run `paved init`, or give --dir): %v", dir, err)
	}
	c := ci.FromEnv(lookup)
	opts := []paved.Option{paved.WithCI(c)}
	if *guardrails != "" {
		settings, err := readGuardrails(*guardrails)
		if err != nil {
			return usage("--guardrails: %v", err)
		}
		opts = append(opts, paved.WithGuardrails(settings))
	}

	prog, err := paved.Open(ctx, dir, opts...)
	if err != nil {
		fmt.Fprintln(stderr, "ci-gate:", err)
		return exitInternal
	}
	defer prog.Close(ctx)
	p, err := pipeline.New("ci-gate", pipeline.In(st, declare{subject: subject, path: *artifact}))
	if err != nil {
		fmt.Fprintln(stderr, "ci-gate:", err)
		return exitInternal
	}
	run, err := prog.Runner().Run(ctx, p, pipeline.ForSubject(subject), pipeline.ToEnvironment(*env))
	if run == nil || !(run.Outcome == pipeline.Succeeded || errors.Is(err, pipeline.ErrBlocked) || errors.Is(err, pipeline.ErrGate)) {
		fmt.Fprintln(stderr, "ci-gate:", err)
		return exitInternal
	}
	res := resultOf(run, st, c)
	if *output == "json" {
		err = json.NewEncoder(stdout).Encode(res)
	} else {
		err = res.text(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "ci-gate:", err)
		return exitInternal
	}
	if run.Outcome != pipeline.Succeeded {
		return exitBlocked
	}
	return exitAllowed
}
