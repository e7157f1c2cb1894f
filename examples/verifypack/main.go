package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/paved-dev/paved/evidence/report"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verifypack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("key", "", "the evidence log's note verifier key")
	keyFile := fs.String("key-file", "", "a file holding the note verifier key")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 || (*key == "") == (*keyFile == "") {
		fmt.Fprintln(stderr, "usage: verifypack (-key KEY | -key-file FILE) PACK")
		return 2
	}
	vkey := *key
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			fmt.Fprintln(stderr, "verifypack:", err)
			return 2
		}
		vkey = strings.TrimSpace(string(b))
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "verifypack:", err)
		return 2
	}
	defer f.Close()
	v, err := report.VerifyPack(f, vkey)
	if err != nil {
		fmt.Fprintln(stderr, "verifypack: NOT VERIFIED:", err)
		if errors.Is(err, report.ErrInvalidPack) {
			return 1
		}
		return 2
	}
	s := v.Summary
	fmt.Fprintf(stdout, "verified: report pack of assessment %s (%s)\n", s.Assessment, s.Programme)
	fmt.Fprintf(stdout, "scope: %s %s in %s at %s\n", s.Service, s.Release, s.Environment, s.At.Format("2006-01-02T15:04:05Z07:00"))
	fmt.Fprintf(stdout, "pass rate: %.1f%%\n", s.PassRate)
	fmt.Fprintf(stdout, "checkpoint: %s, size %d\n", v.Checkpoint.Origin, v.Checkpoint.Size)
	fmt.Fprintf(stdout, "records proven: %d (report statement %s)\n", len(v.Records), v.Statement.ID)
	names := make([]string, 0, len(v.Files))
	for n := range v.Files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		sum := sha256.Sum256(v.Files[n])
		fmt.Fprintf(stdout, "file: %s sha256:%s\n", n, hex.EncodeToString(sum[:]))
	}
	return 0
}
