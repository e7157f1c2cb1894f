// Package secret scans files, directories and git history for secrets with
// the rules of gitleaks (github.com/zricethezav/gitleaks/v8), embedded as a
// library, and reports where they are without ever holding what they are.
//
// A [Scanner] is prepared once by [New] from gitleaks' default rules plus
// the caller's [Config] (extra rules, disabled rules and allowlists, in Go
// or parsed from gitleaks' TOML format by [ParseConfig]), and then scans
// many times: [Scanner.ScanPath] walks a file or a directory,
// [Scanner.ScanGitLog] reads the patches of a commit range with the real
// git command, and [Scanner.ScanGitDiff] the uncommitted changes of a work
// tree.
//
// A [Finding] carries the file, the line and column span, the rule, the
// commit (for history) and a fingerprint in gitleaks' format
// ("[commit:]file:rule:line", what .gitleaksignore files list), and never
// the secret, the matched text or the line: the scanner drops them the
// moment gitleaks reports a match, so they cannot reach a report, a log,
// the evidence store or the [Report.SARIF] output. gitleaks' own logger is
// silenced by the first call of New (it is process-wide state of gitleaks,
// and would print matches at debug level).
//
// What the scanner could not read (unreadable or oversized files,
// symlinks, which it does not follow) is listed in [Report.Skipped], never
// skipped silently.
//
// A Scanner is safe for concurrent use by multiple goroutines.
package secret
