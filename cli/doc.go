// Package cli is paved's reference command-line interface as a library: a
// cobra command tree that tool builders can run as it is (examples/paved
// is nothing but its main) or mount under their own root command.
//
// The commands that read or write evidence open a paved.Program on the
// directory --dir names (".paved" by default; --map gates with another
// capability map, --guardrails gives the policies their settings from a
// JSON file):
//
//   - init creates the directory: keys and evidence store (idempotent);
//   - run wraps one CI command as a gated, recorded pipeline step;
//   - pipeline runs a template through all its stages: the go-service
//     paved road, or a template file;
//   - evidence queries, proves, audits and exports the log;
//   - attest and sign make signed statements; verify checks a DSSE
//     envelope offline against the Program's trust;
//   - policy eval decides a gate request, policy test runs Rego tests;
//   - ledger records releases and deployments and says what shipped where;
//   - assess judges a release against the capability map, report writes
//     its reports and a signed report pack;
//   - dora computes the delivery metrics from the log, trace draws what
//     led to what.
//
// sbom generates, records and compares SBOMs, vuln scans one against a
// local OSV directory and secrets scans a tree. No command touches the
// network (sbom generate only with --downloads). Long work shows a spinner on stderr, only when stderr is a
// terminal.
//
// Output is text for people or, with --output json, stable JSON for
// machines (lists are never null); the scans, policy eval and report also
// write SARIF. The exit codes are documented and fixed:
//
//	0  ok
//	1  denied by policy, a failed step or a failed verification
//	2  usage error: a bad flag, argument or input file
//	3  internal error
//
// Errors say what failed, where, and what to do next. Main prints them on
// stderr and returns the code; an error carrying a code is an *ExitError.
package cli
