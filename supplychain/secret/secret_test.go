package secret_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zricethezav/gitleaks/v8/logging"

	"github.com/paved-dev/paved/internal/testenv"
	"github.com/paved-dev/paved/supplychain/secret"
)

// gitleaksLog stands in for gitleaks' own logger at its most verbose level
// before any Scanner exists; New must silence it, so it stays empty.
var gitleaksLog syncBuffer

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMain(m *testing.M) {
	logging.Logger = zerolog.New(&gitleaksLog).Level(zerolog.TraceLevel)
	code := m.Run()
	if out := gitleaksLog.String(); out != "" {
		fmt.Fprintf(os.Stderr, "gitleaks' logger was not silenced; it wrote %d bytes\n", len(out))
		code = 1
	}
	os.Exit(code)
}

// awsKey returns an AWS-style access key ID, built at run time so that
// the repository holds no key; it is not AWS's documented example key.
func awsKey() string {
	return "AKIA" + strings.Join([]string{"Q3T7", "ZK2M", "P6WB", "R4XN"}, "")
}

// pavedToken returns a token for the custom rule of the tests.
func pavedToken() string {
	return "paved_" + strings.Repeat("k3x9", 8)
}

// gitRepo makes a repository in a temporary directory with the real git
// command and returns its path and a function that runs git in it.
func gitRepo(t *testing.T) (string, func(args ...string) string) {
	t.Helper()
	testenv.Tool(t, "git", "the test works in a git repository")
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "-b", "main")
	return dir, run
}

func write(t testing.TB, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

// assertNoSecret fails if any of the secrets appears in out.
func assertNoSecret(t *testing.T, what string, out []byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		assert.NotContains(t, string(out), s, "%s holds a secret", what)
		// Also not in part: the first and last 8 characters.
		assert.NotContains(t, string(out), s[:8], "%s holds part of a secret", what)
		assert.NotContains(t, string(out), s[len(s)-8:], "%s holds part of a secret", what)
	}
}

// checkRedacted renders the report every way it leaves the package and
// checks that no secret shows.
func checkRedacted(t *testing.T, r *secret.Report, logs *bytes.Buffer, secrets ...string) {
	t.Helper()
	js, err := json.Marshal(r)
	require.NoError(t, err)
	assertNoSecret(t, "JSON", js, secrets...)
	sarif, err := r.SARIF()
	require.NoError(t, err)
	assertNoSecret(t, "SARIF", sarif, secrets...)
	assertNoSecret(t, "%+v", fmt.Appendf(nil, "%+v %#v", r, r), secrets...)
	assertNoSecret(t, "logs", logs.Bytes(), secrets...)
}

// The done-when case: an AWS-style key planted in a test repository is
// found, in the work tree and in history, and never printed.
func TestAWSKeyFoundAndNeverPrinted(t *testing.T) {
	ctx := context.Background()
	dir, run := gitRepo(t)
	write(t, dir, "README.md", "# service\n")
	run("add", ".")
	run("commit", "-q", "-m", "init")
	write(t, dir, "deploy/config.env", "REGION=eu-west-1\nAWS_ACCESS_KEY_ID="+awsKey()+"\n")
	run("add", ".")
	run("commit", "-q", "-m", "add deploy config")
	commit := run("rev-parse", "HEAD")

	var logs bytes.Buffer
	s, err := secret.New(secret.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, err)

	r, err := s.ScanPath(ctx, dir)
	require.NoError(t, err)
	require.Len(t, r.Findings, 1, "%+v", r.Findings)
	f := r.Findings[0]
	assert.Equal(t, "aws-access-token", f.RuleID)
	assert.Equal(t, "deploy/config.env", f.File)
	assert.Equal(t, 2, f.StartLine)
	assert.Equal(t, 2, f.EndLine)
	assert.Equal(t, len("AWS_ACCESS_KEY_ID=")+1, f.StartColumn)
	assert.Equal(t, len("AWS_ACCESS_KEY_ID=")+len(awsKey()), f.EndColumn)
	assert.Equal(t, "deploy/config.env:aws-access-token:2", f.Fingerprint)
	assert.Empty(t, f.Commit)
	assert.Equal(t, 2, r.Files, "README.md and deploy/config.env, not .git")
	checkRedacted(t, r, &logs, awsKey())

	h, err := s.ScanGitLog(ctx, dir, "")
	require.NoError(t, err)
	require.Len(t, h.Findings, 1, "%+v", h.Findings)
	f = h.Findings[0]
	assert.Equal(t, "aws-access-token", f.RuleID)
	assert.Equal(t, "deploy/config.env", f.File)
	assert.Equal(t, 2, f.StartLine)
	assert.Equal(t, commit, f.Commit)
	assert.Equal(t, "Dev", f.Author)
	assert.Equal(t, "dev@example.com", f.Email)
	assert.Equal(t, commit+":deploy/config.env:aws-access-token:2", f.Fingerprint)
	assert.Equal(t, 2, h.Commits)
	checkRedacted(t, h, &logs, awsKey())
	assert.Contains(t, logs.String(), `"findings":1`, "the scan is logged, without content")
}

func TestScanGitLogRange(t *testing.T) {
	ctx := context.Background()
	dir, run := gitRepo(t)
	write(t, dir, "a.env", "AWS_ACCESS_KEY_ID="+awsKey()+"\n")
	run("add", ".")
	run("commit", "-q", "-m", "leak")
	run("rm", "-q", "a.env")
	run("commit", "-q", "-m", "remove the leak")
	write(t, dir, "b.txt", "clean\n")
	run("add", ".")
	run("commit", "-q", "-m", "clean")

	s, err := secret.New()
	require.NoError(t, err)

	// The secret is gone from the work tree, but not from history.
	r, err := s.ScanPath(ctx, dir)
	require.NoError(t, err)
	assert.Empty(t, r.Findings)

	all, err := s.ScanGitLog(ctx, dir, "")
	require.NoError(t, err)
	require.Len(t, all.Findings, 1)
	assert.Equal(t, run("rev-parse", "HEAD~2"), all.Findings[0].Commit)

	recent, err := s.ScanGitLog(ctx, dir, "HEAD~2..HEAD")
	require.NoError(t, err)
	assert.Empty(t, recent.Findings, "the range excludes the leaking commit")
	assert.Equal(t, 1, recent.Commits, "the removal adds no lines; only the last commit has a patch to scan")

	leak, err := s.ScanGitLog(ctx, dir, "HEAD~3..HEAD~2")
	require.Error(t, err, "HEAD~3 does not exist")
	assert.Nil(t, leak)
	var ge *secret.GitError
	require.ErrorAs(t, err, &ge)
	assert.ErrorIs(t, err, secret.ErrGit)
	assert.NotEmpty(t, ge.Stderr)
}

func TestScanGitDiff(t *testing.T) {
	ctx := context.Background()
	dir, run := gitRepo(t)
	write(t, dir, "app.yaml", "name: app\n")
	run("add", ".")
	run("commit", "-q", "-m", "init")

	s, err := secret.New()
	require.NoError(t, err)

	write(t, dir, "app.yaml", "name: app\naws_key: "+awsKey()+"\n")
	unstaged, err := s.ScanGitDiff(ctx, dir, false)
	require.NoError(t, err)
	require.Len(t, unstaged.Findings, 1)
	assert.Equal(t, "app.yaml", unstaged.Findings[0].File)
	assert.Equal(t, 2, unstaged.Findings[0].StartLine)
	assert.Equal(t, "app.yaml:aws-access-token:2", unstaged.Findings[0].Fingerprint)

	staged, err := s.ScanGitDiff(ctx, dir, true)
	require.NoError(t, err)
	assert.Empty(t, staged.Findings, "nothing staged yet")

	run("add", "app.yaml")
	staged, err = s.ScanGitDiff(ctx, dir, true)
	require.NoError(t, err)
	require.Len(t, staged.Findings, 1)
	assert.Equal(t, "aws-access-token", staged.Findings[0].RuleID)
}

func TestGitErrors(t *testing.T) {
	ctx := context.Background()
	s, err := secret.New()
	require.NoError(t, err)
	dir, _ := gitRepo(t)
	notRepo := t.TempDir()

	for name, scan := range map[string]func() (*secret.Report, error){
		"log outside a repository":  func() (*secret.Report, error) { return s.ScanGitLog(ctx, notRepo, "") },
		"diff outside a repository": func() (*secret.Report, error) { return s.ScanGitDiff(ctx, notRepo, false) },
		"unknown revision":          func() (*secret.Report, error) { return s.ScanGitLog(ctx, dir, "nosuchbranch") },
	} {
		t.Run(name, func(t *testing.T) {
			r, err := scan()
			assert.Nil(t, r)
			var ge *secret.GitError
			require.ErrorAs(t, err, &ge)
			assert.NotEmpty(t, ge.Stderr)
		})
	}
	for _, bad := range []string{"--output=/tmp/x", "main HEAD", "-p"} {
		_, err := s.ScanGitLog(ctx, dir, bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "not a revision range")
	}
}

const customConfig = `
title = "team rules"

[extend]
useDefault = true
disabledRules = ["generic-api-key"]

[[rules]]
id = "paved-token"
description = "paved API token"
regex = '''\b(paved_[a-z0-9]{32})\b'''
secretGroup = 1
keywords = ["paved_"]
tags = ["internal"]

  [[rules.allowlists]]
  description = "test fixtures"
  paths = ['''^fixtures/''']

[[allowlists]]
description = "vendored code"
paths = ['''^vendor/''']

[[allowlists]]
targetRules = ["aws-access-token"]
regexTarget = "line"
regexes = ['''rotated-key''']
`

func TestCustomRulesAndAllowlists(t *testing.T) {
	ctx := context.Background()
	cfg, err := secret.ParseConfig("team.toml", []byte(customConfig))
	require.NoError(t, err)
	s, err := secret.New(secret.WithConfig(cfg))
	require.NoError(t, err)
	assert.Contains(t, s.Rules(), "paved-token")
	assert.Contains(t, s.Rules(), "aws-access-token")
	assert.NotContains(t, s.Rules(), "generic-api-key")

	dir := t.TempDir()
	write(t, dir, "main.go", "package main\n\nconst token = \""+pavedToken()+"\"\n")
	write(t, dir, "fixtures/token.txt", pavedToken()+"\n")
	write(t, dir, "vendor/lib/keys.go", "var k = \""+awsKey()+"\"\n")
	write(t, dir, "old.env", "KEY="+awsKey()+" # rotated-key\n")
	write(t, dir, "new.env", "KEY="+awsKey()+"\n")

	r, err := s.ScanPath(ctx, dir)
	require.NoError(t, err)
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.File+" "+f.RuleID)
	}
	assert.Equal(t, []string{"main.go paved-token", "new.env aws-access-token"}, got)
	assert.Equal(t, []string{"internal"}, r.Findings[0].Tags)
	assert.Equal(t, 3, r.Findings[0].StartLine)
	checkRedacted(t, r, &bytes.Buffer{}, pavedToken(), awsKey())

	// Only the custom rules.
	only, err := secret.New(secret.WithConfig(cfg), secret.WithoutDefaultRules())
	require.NoError(t, err)
	assert.Equal(t, []string{"paved-token"}, only.Rules())
	r, err = only.ScanPath(ctx, dir)
	require.NoError(t, err)
	require.Len(t, r.Findings, 1)
	assert.Equal(t, "main.go", r.Findings[0].File)
}

func TestIgnoreFingerprints(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, dir, "a.env", "KEY="+awsKey()+"\n")
	write(t, dir, "b.env", "KEY="+awsKey()+"\n")
	s, err := secret.New(secret.WithIgnore("a.env:aws-access-token:1"))
	require.NoError(t, err)
	r, err := s.ScanPath(ctx, dir)
	require.NoError(t, err)
	require.Len(t, r.Findings, 1)
	assert.Equal(t, "b.env", r.Findings[0].File)
	assert.Equal(t, 1, r.Ignored)

	_, err = secret.New(secret.WithIgnore("not-a-fingerprint"))
	require.Error(t, err)
}

func TestScanSingleFileAndSkips(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, dir, "one.env", "KEY="+awsKey()+"\n")
	write(t, dir, "big.log", strings.Repeat("x", 2048)+awsKey()+"\n")
	require.NoError(t, os.Symlink(filepath.Join(dir, "one.env"), filepath.Join(dir, "link.env")))

	s, err := secret.New(secret.WithMaxFileSize(1024))
	require.NoError(t, err)

	r, err := s.ScanPath(ctx, filepath.Join(dir, "one.env"))
	require.NoError(t, err)
	require.Len(t, r.Findings, 1)
	assert.Equal(t, "one.env", r.Findings[0].File)

	r, err = s.ScanPath(ctx, dir)
	require.NoError(t, err)
	require.Len(t, r.Findings, 1, "the symlink and the large file are not read")
	require.Len(t, r.Skipped, 2)
	assert.Equal(t, "big.log", r.Skipped[0].Path)
	assert.Contains(t, r.Skipped[0].Reason, "larger than the limit of 1024")
	assert.Equal(t, "link.env", r.Skipped[1].Path)
	assert.Contains(t, r.Skipped[1].Reason, "symlink")

	_, err = s.ScanPath(ctx, filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestEncodedSecret(t *testing.T) {
	dir := t.TempDir()
	// A base64-encoded key, as in a Kubernetes secret.
	write(t, dir, "secret.yaml", "data:\n  key: "+b64("aws_access_key_id = "+awsKey())+"\n")
	s, err := secret.New()
	require.NoError(t, err)
	r, err := s.ScanPath(context.Background(), dir)
	require.NoError(t, err)
	require.NotEmpty(t, r.Findings)
	assert.Contains(t, ruleIDs(r), "aws-access-token")
	checkRedacted(t, r, &bytes.Buffer{}, awsKey(), b64("aws_access_key_id = "+awsKey()))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func ruleIDs(r *secret.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.RuleID)
	}
	return out
}

func TestConcurrentScans(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for i := range 20 {
		write(t, dir, fmt.Sprintf("f%02d.env", i), "KEY="+awsKey()+"\n")
	}
	s, err := secret.New()
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			r, err := s.ScanPath(ctx, dir)
			assert.NoError(t, err)
			assert.Len(t, r.Findings, 20)
		})
	}
	wg.Wait()
}

func TestSARIF(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "x/a.env", "\nKEY="+awsKey()+"\n")
	s, err := secret.New()
	require.NoError(t, err)
	r, err := s.ScanPath(context.Background(), dir)
	require.NoError(t, err)
	raw, err := r.SARIF()
	require.NoError(t, err)

	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine, StartColumn, EndLine, EndColumn int
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(raw, &log))
	assert.Equal(t, "2.1.0", log.Version)
	require.Len(t, log.Runs, 1)
	run := log.Runs[0]
	require.Len(t, run.Tool.Driver.Rules, 1)
	assert.Equal(t, "aws-access-token", run.Tool.Driver.Rules[0].ID)
	require.Len(t, run.Results, 1)
	res := run.Results[0]
	assert.Equal(t, "aws-access-token", res.RuleID)
	assert.Equal(t, 0, res.RuleIndex)
	assert.Equal(t, "error", res.Level)
	loc := res.Locations[0].PhysicalLocation
	assert.Equal(t, "x/a.env", loc.ArtifactLocation.URI)
	assert.Equal(t, 2, loc.Region.StartLine)
	assert.Equal(t, 5, loc.Region.StartColumn)
	assert.Equal(t, 2, loc.Region.EndLine)
	assert.Equal(t, 5+len(awsKey()), loc.Region.EndColumn, "exclusive")
	assert.Equal(t, "x/a.env:aws-access-token:2", res.PartialFingerprints["gitleaks/v1"])

	empty, err := (&secret.Report{}).SARIF()
	require.NoError(t, err)
	assert.Contains(t, string(empty), `"rules": []`)
	assert.Contains(t, string(empty), `"results": []`)
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string // substrings of the errors, in order
		line      int
	}{
		{"syntax", "[[rules]]\nid = \"x\nregex = 'a'\n", []string{"team.toml:2:"}, 2},
		{"unknown field", "[[rules]]\nid = \"x\"\nregex = 'a'\nreegex = 'b'\n", []string{"team.toml:4:1: rules.reegex: unknown field"}, 4},
		{"bad regex", "[[rules]]\nid = \"x\"\nregex = '(a'\n", []string{"team.toml: rules[0].regex: error parsing regexp"}, 0},
		{"no id, no regex", "[[rules]]\ndescription = \"x\"\n", []string{"rules[0].id: required", "rules[0]: needs a regex or a path"}, 0},
		{"duplicate id", "[[rules]]\nid = \"x\"\nregex = 'a'\n[[rules]]\nid = \"x\"\nregex = 'b'\n", []string{`rules[1].id: "x" repeats rules[0]`}, 0},
		{"secret group", "[[rules]]\nid = \"x\"\nregex = '(a)'\nsecretGroup = 2\n", []string{"rules[0].secretGroup: 2, but the regex has 1 groups"}, 0},
		{"extend path", "[extend]\npath = \"/etc/other.toml\"\n", []string{"extend.path: not supported"}, 0},
		{"empty allowlist", "[[allowlists]]\ndescription = \"x\"\n", []string{"allowlists[0]: must contain at least one check"}, 0},
		{"bad condition and path", "[[allowlists]]\ncondition = \"XOR\"\npaths = ['(']\n", []string{`allowlists[0].condition: "XOR" is not OR or AND`, "allowlists[0].paths[0]: error parsing regexp"}, 0},
		{"rule allowlist target", "[[rules]]\nid = \"x\"\nregex = 'a'\n[[rules.allowlists]]\ntargetRules = [\"y\"]\nstopwords = [\"z\"]\n", []string{"rules[0].allowlists[0].targetRules: only top-level allowlists target rules"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := secret.ParseConfig("team.toml", []byte(tt.doc))
			require.Error(t, err)
			assert.Nil(t, cfg)
			assert.ErrorIs(t, err, secret.ErrInvalidConfig)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			var ce *secret.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "team.toml", ce.File)
			assert.Equal(t, tt.line, ce.Line)
		})
	}

	_, err := secret.ParseConfig("big.toml", bytes.Repeat([]byte("#"), secret.MaxConfigSize+1))
	require.ErrorIs(t, err, secret.ErrInvalidConfig)
}

func TestNewErrors(t *testing.T) {
	cfg, err := secret.ParseConfig("t.toml", []byte("[extend]\ndisabledRules = [\"no-such-rule\"]\n[[allowlists]]\ntargetRules = [\"nor-this\"]\nstopwords = [\"x\"]\n"))
	require.NoError(t, err)
	_, err = secret.New(secret.WithConfig(cfg))
	require.ErrorIs(t, err, secret.ErrInvalidConfig)
	assert.Contains(t, err.Error(), `extend.disabledRules[0]: no default rule "no-such-rule"`)
	assert.Contains(t, err.Error(), `targetRules: no rule "nor-this"`)

	_, err = secret.New(secret.WithoutDefaultRules())
	assert.ErrorContains(t, err, "WithoutDefaultRules needs WithConfig")
	_, err = secret.New(secret.WithConfig(&secret.Config{}), secret.WithConfig(&secret.Config{}))
	assert.ErrorContains(t, err, "given twice")
	_, err = secret.New(secret.WithMaxFileSize(0), secret.WithConcurrency(-1), secret.WithLogger(nil))
	assert.ErrorContains(t, err, "WithMaxFileSize")
	assert.ErrorContains(t, err, "WithConcurrency")
	assert.ErrorContains(t, err, "WithLogger")

	// A Config built in Go is checked too.
	_, err = secret.New(secret.WithConfig(&secret.Config{Rules: []secret.Rule{{ID: "r", Regex: "[z-a]"}}}))
	var ce *secret.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "rules[0].regex", ce.Field)
	assert.True(t, errors.Is(err, secret.ErrInvalidConfig))
}
