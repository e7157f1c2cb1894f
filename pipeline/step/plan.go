package step

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hmarr/codeowners"

	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// RiskRule scores one trait of a change. A change's risk is the sum of
// the scores of the rules that match it: 0-2 low, 3-5 medium, 6-9 high,
// 10 and above critical.
type RiskRule struct {
	// Reason says what the rule found, for the change record.
	Reason string
	// Score is what the rule adds when it matches.
	Score int
	// Match reports whether the rule applies to a change.
	Match func(c ChangeFacts) bool
}

// ChangeFacts is what risk rules see of a change.
type ChangeFacts struct {
	// Paths are the changed paths, slash-separated, relative to the
	// repository root.
	Paths []string
	// Commits is the number of commits; Lines the lines added and
	// removed.
	Commits, Lines int
}

// Touches reports whether any changed path is under one of the prefixes
// (such as "auth/").
func (c ChangeFacts) Touches(prefixes ...string) bool {
	for _, p := range c.Paths {
		for _, pre := range prefixes {
			if strings.HasPrefix(p, pre) || strings.Contains(p, "/"+pre) {
				return true
			}
		}
	}
	return false
}

// DefaultRiskRules are the risk rules ChangeRecord applies unless given
// its own: sensitive paths (authentication, infrastructure, CI, crypto),
// dependency changes, size, and code changed without tests.
func DefaultRiskRules() []RiskRule {
	return []RiskRule{
		{Reason: "touches authentication or authorization code", Score: 4,
			Match: func(c ChangeFacts) bool { return c.Touches("auth/", "authz/", "iam/", "login/") }},
		{Reason: "touches infrastructure as code", Score: 3,
			Match: func(c ChangeFacts) bool {
				return c.Touches("infra/", "terraform/", "deploy/") || slices.ContainsFunc(c.Paths, func(p string) bool { return strings.HasSuffix(p, ".tf") })
			}},
		{Reason: "changes the pipeline itself", Score: 3,
			Match: func(c ChangeFacts) bool {
				return c.Touches(".github/workflows/", ".gitlab-ci.yml", "Jenkinsfile", ".paved/")
			}},
		{Reason: "touches cryptography or secrets handling", Score: 3,
			Match: func(c ChangeFacts) bool { return c.Touches("crypto/", "secrets/", "keys/") }},
		{Reason: "changes dependencies", Score: 2,
			Match: func(c ChangeFacts) bool {
				return slices.ContainsFunc(c.Paths, func(p string) bool {
					switch filepath.Base(p) {
					case "go.mod", "go.sum", "package.json", "package-lock.json", "yarn.lock", "requirements.txt", "poetry.lock", "Cargo.lock", "pom.xml", "build.gradle":
						return true
					}
					return false
				})
			}},
		{Reason: "large change (over 500 lines)", Score: 2, Match: func(c ChangeFacts) bool { return c.Lines > 500 }},
		{Reason: "code changed without a test change", Score: 2,
			Match: func(c ChangeFacts) bool {
				code := slices.ContainsFunc(c.Paths, func(p string) bool { return isCode(p) && !isTest(p) })
				return code && !slices.ContainsFunc(c.Paths, isTest)
			}},
	}
}

func isCode(p string) bool {
	switch filepath.Ext(p) {
	case ".go", ".py", ".js", ".ts", ".java", ".kt", ".rs", ".rb", ".cs", ".c", ".cc", ".cpp", ".swift":
		return true
	}
	return false
}

func isTest(p string) bool {
	base := filepath.Base(p)
	return strings.HasSuffix(base, "_test.go") || strings.Contains(base, ".test.") || strings.Contains(base, ".spec.") ||
		strings.HasPrefix(base, "test_") || strings.Contains(p, "/test/") || strings.HasPrefix(p, "test/") || strings.Contains(p, "/tests/")
}

// riskLevel maps a score to the change predicate's risk levels.
func riskLevel(score int) string {
	switch {
	case score >= 10:
		return "critical"
	case score >= 6:
		return "high"
	case score >= 3:
		return "medium"
	}
	return "low"
}

// ChangeRecord is the Plan stage's record of a change: its commits and
// changed paths (from git), author and title, owners from CODEOWNERS, and
// a risk score with its reasons. It records an attest.Change about the
// head commit; the built-in policy asks a high-risk change for an approval
// before Build.
type ChangeRecord struct {
	// StepName names the step; the default is "change-record".
	StepName string
	// Base is the revision the change is compared against (such as
	// "origin/main"); empty compares the head commit with its parent.
	Base string
	// Head is the change's last revision; the default is HEAD.
	Head string
	// ID, Title and Owner override what git and CODEOWNERS say: the
	// default ID is the head commit, the title its subject, the owner the
	// first owner of the changed paths.
	ID, Title, Owner string
	// Services lists the services the change touches.
	Services []string
	// CodeOwners is the CODEOWNERS file; the default looks in the
	// repository's root, .github/ and docs/.
	CodeOwners string
	// Rules score the risk; nil means DefaultRiskRules.
	Rules []RiskRule
}

// Name returns the step's name.
func (s ChangeRecord) Name() string { return cmp.Or(s.StepName, "change-record") }

// Run reads the change from git and records it.
func (s ChangeRecord) Run(ctx context.Context, sc *pipeline.StepContext) (*pipeline.Result, error) {
	head := cmp.Or(s.Head, "HEAD")
	git := func(args ...string) (string, error) {
		out, err := sc.Exec(ctx, exec.CommandContext(ctx, "git", args...))
		if err != nil {
			return "", err
		}
		if out.ExitCode != 0 {
			return "", fmt.Errorf("git %s: exit %d: %s", strings.Join(args, " "), out.ExitCode, bytes.TrimSpace(out.Stderr))
		}
		return string(out.Stdout), nil
	}
	commit, err := git("rev-parse", "--verify", head+"^{commit}")
	if err != nil {
		return nil, err
	}
	commit = strings.TrimSpace(commit)
	rng, diffArgs := head, []string{"diff-tree", "--root", "--no-commit-id", "-r", "--numstat", head}
	if s.Base != "" {
		rng = s.Base + ".." + head
		diffArgs = []string{"diff", "--numstat", s.Base + "..." + head}
	} else {
		rng = "-1 " + head
	}
	log, err := git(append([]string{"log", "--format=%H%x00%ae%x00%s"}, strings.Fields(rng)...)...)
	if err != nil {
		return nil, err
	}
	var commits []string
	var author, title string
	for line := range strings.Lines(log) {
		f := strings.SplitN(strings.TrimRight(line, "\n"), "\x00", 3)
		if len(f) != 3 {
			continue
		}
		commits = append(commits, f[0])
		if author == "" { // git log lists the newest first
			author, title = f[1], f[2]
		}
	}
	if len(commits) == 0 {
		return nil, fmt.Errorf("no commits in %s", rng)
	}
	numstat, err := git(diffArgs...)
	if err != nil {
		return nil, err
	}
	facts := ChangeFacts{Commits: len(commits)}
	for line := range strings.Lines(numstat) {
		f := strings.SplitN(strings.TrimRight(line, "\n"), "\t", 3)
		if len(f) != 3 {
			continue
		}
		added, _ := strconv.Atoi(f[0]) // "-" for binary files
		removed, _ := strconv.Atoi(f[1])
		facts.Lines += added + removed
		facts.Paths = append(facts.Paths, f[2])
	}
	owners, err := s.owners(sc.Dir, facts.Paths)
	if err != nil {
		return nil, err
	}
	rules := s.Rules
	if rules == nil {
		rules = DefaultRiskRules()
	}
	score, reasons := 0, []string{}
	for _, r := range rules {
		if r.Match != nil && r.Match(facts) {
			score += r.Score
			reasons = append(reasons, fmt.Sprintf("%s (+%d)", r.Reason, r.Score))
		}
	}
	owner := s.Owner
	if owner == "" && len(owners) > 0 {
		owner = owners[0]
	}
	if owner == "" {
		return nil, errors.New("no owner: the changed paths match no CODEOWNERS rule and the step names none")
	}
	change := attest.Change{
		ID: cmp.Or(s.ID, commit), Title: cmp.Or(s.Title, title), Author: author, Owner: owner,
		Repository: sc.CI.Repository, Commit: commit, Services: s.Services,
		Risk: riskLevel(score), RiskScore: score, RiskReasons: reasons,
		Commits: commits, Paths: facts.Paths, Owners: owners, CreatedAt: sc.Now().UTC(),
	}
	subject := supplychain.Subject{Name: cmp.Or(sc.CI.Repository, "change"), Digest: supplychain.DigestSet{"gitCommit": commit}}
	return &pipeline.Result{
		Command:   []string{"git", "log", rng},
		Materials: []supplychain.Subject{subject},
		Subject:   &subject,
		Evidence:  []pipeline.Evidence{{Predicate: change, Subjects: []supplychain.Subject{subject}}},
		Message:   fmt.Sprintf("%s risk (%d): %s", change.Risk, score, strings.Join(reasons, "; ")),
	}, nil
}

// loadCodeOwners loads the CODEOWNERS file of dir: file if set (relative
// to dir unless absolute), else the first of CODEOWNERS,
// .github/CODEOWNERS and docs/CODEOWNERS there. Without one it returns no
// rules and no error.
func loadCodeOwners(dir, file string) (string, codeowners.Ruleset, error) {
	if file == "" {
		for _, c := range []string{"CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"} {
			if _, err := os.Stat(filepath.Join(dir, c)); err == nil {
				file = c
				break
			}
		}
	}
	if file == "" {
		return "", nil, nil
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	rules, err := codeowners.LoadFile(file)
	if err != nil {
		return file, nil, fmt.Errorf("CODEOWNERS %s: %w", file, err)
	}
	return file, rules, nil
}

// CodeOwners returns every owner the CODEOWNERS file of the repository in
// dir names (looked for as ChangeRecord does), in file order and once
// each: the teams a change's owner is one of, whose rosters (the teams
// guardrail setting) say who may approve.
func CodeOwners(dir string) ([]string, error) {
	_, rules, err := loadCodeOwners(dir, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rules {
		for _, o := range r.Owners {
			if v := o.String(); !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// owners returns the owners of paths, in CODEOWNERS order of first match,
// without duplicates.
func (s ChangeRecord) owners(dir string, paths []string) ([]string, error) {
	file, rules, err := loadCodeOwners(dir, s.CodeOwners)
	if rules == nil || err != nil {
		return nil, err
	}
	var out []string
	for _, p := range paths {
		r, err := rules.Match(p)
		if err != nil {
			return nil, fmt.Errorf("CODEOWNERS %s: %w", file, err)
		}
		if r == nil {
			continue
		}
		for _, o := range r.Owners {
			if v := o.String(); !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

func planKinds(_ Env, k pipeline.Kinds) {
	k["change-record"] = func(name string, p pipeline.Params) (pipeline.Step, error) {
		if err := p.Only("base", "head", "id", "title", "owner", "services", "codeowners"); err != nil {
			return nil, err
		}
		return ChangeRecord{StepName: name, Base: p.Get("base", ""), Head: p.Get("head", ""), ID: p.Get("id", ""),
			Title: p.Get("title", ""), Owner: p.Get("owner", ""), Services: p.List("services"), CodeOwners: p.Get("codeowners", "")}, nil
	}
}
