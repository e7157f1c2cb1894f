package cli_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/cli"
)

// A tool builder mounts paved's command tree under its own root command;
// the error a command returns carries the documented exit code.
func Example_mount() {
	root := &cobra.Command{Use: "acme", SilenceErrors: true, SilenceUsage: true}
	root.AddCommand(cli.New())
	dir, _ := os.MkdirTemp("", "acme-")
	defer os.RemoveAll(dir)

	root.SetOut(io.Discard)
	root.SetArgs([]string{"paved", "init", "--dir", filepath.Join(dir, ".paved")})
	fmt.Println("init:", cli.Code(root.ExecuteContext(context.Background())))

	root.SetArgs([]string{"paved", "verify", "--dir", filepath.Join(dir, ".paved"), filepath.Join(dir, "missing.json")})
	fmt.Println("verify a missing file:", cli.Code(root.ExecuteContext(context.Background())))
	// Output:
	// init: 0
	// verify a missing file: 2
}

// Main runs the tree as a process would and returns its exit code.
func ExampleMain() {
	code := cli.Main(context.Background(), []string{"--output", "yaml", "init"}, io.Discard, os.Stdout)
	fmt.Println("exit", code)
	// Output:
	// paved init: --output "yaml": must be text, json or sarif
	// exit 2
}
