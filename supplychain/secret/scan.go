package secret

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/fatih/semgroup"
	"github.com/zricethezav/gitleaks/v8/cmd/scm"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/sources"
)

// ErrGit is wrapped by every error of the git command.
var ErrGit = errors.New("secret: git")

// GitError says which git command failed and what git said.
type GitError struct {
	// Repo is the repository directory.
	Repo string
	// Args are the command's arguments after "git".
	Args []string
	// Stderr is git's message, trimmed.
	Stderr string
	// Err is the cause.
	Err error
}

// Error formats the failure as "secret: git args in repo: stderr: cause".
func (e *GitError) Error() string {
	msg := fmt.Sprintf("%v %s in %s", ErrGit, strings.Join(e.Args, " "), e.Repo)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap returns ErrGit and the cause.
func (e *GitError) Unwrap() []error { return []error{ErrGit, e.Err} }

// collector gathers redacted findings from concurrent detections.
type collector struct {
	s        *Scanner
	detector *detect.Detector
	mu       sync.Mutex
	report   Report
	commits  map[string]struct{}
}

func (s *Scanner) collector(ctx context.Context) *collector {
	d := detect.NewDetectorContext(ctx, s.rules)
	d.MaxDecodeDepth = s.maxDecodeDepth
	d.MaxArchiveDepth = s.maxArchive
	return &collector{s: s, detector: d, commits: map[string]struct{}{}}
}

// fragment runs the rules on one fragment and keeps the redacted findings.
func (c *collector) fragment(ctx context.Context, f sources.Fragment) {
	// DetectContext takes the deprecated detect.Fragment in gitleaks v8;
	// DetectSource, the alternative, logs and drops source errors.
	//lint:ignore SA1019 no other per-fragment entry point in gitleaks v8
	found := c.detector.DetectContext(ctx, detect.Fragment(f))
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.CommitSHA != "" {
		c.commits[f.CommitSHA] = struct{}{}
	}
	for _, gf := range found {
		r := redact(gf)
		// gitleaks counts the columns of a fragment's later lines from
		// the newline before them, one too many.
		if r.StartLine > f.StartLine {
			r.StartColumn--
		}
		if r.EndLine > f.StartLine {
			r.EndColumn--
		}
		if c.s.ignored(r) {
			c.report.Ignored++
			continue
		}
		c.report.Findings = append(c.report.Findings, r)
	}
}

func (c *collector) skip(path, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.report.Skipped = append(c.report.Skipped, Skip{Path: path, Reason: reason})
}

// done sorts and returns the report.
func (c *collector) done(op string) *Report {
	c.report.Commits = len(c.commits)
	c.report.sort()
	c.s.logger.Info("secret scan", "op", op, "files", c.report.Files, "commits", c.report.Commits,
		"findings", len(c.report.Findings), "skipped", len(c.report.Skipped), "ignored", c.report.Ignored)
	return &c.report
}

// ignored reports whether WithIgnore lists the finding's fingerprint, or
// (for a finding in history) its fingerprint without the commit.
func (s *Scanner) ignored(f Finding) bool {
	if _, ok := s.ignore[f.Fingerprint]; ok {
		return true
	}
	_, ok := s.ignore[fmt.Sprintf("%s:%s:%d", f.File, f.RuleID, f.StartLine)]
	return ok
}

// ScanPath scans a file, or every file under a directory. Paths in the
// report are relative to a directory root, or the file's base name.
// Directories named ".git" are not entered (ScanGitLog reads history);
// symlinks are not followed; paths the allowlists cover are not read; the
// other files not read are listed in Report.Skipped.
func (s *Scanner) ScanPath(ctx context.Context, root string) (*Report, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("secret: scan: %w", err)
	}
	c := s.collector(ctx)
	type job struct{ path, rel string }
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range s.concurrency() {
		wg.Go(func() {
			for j := range jobs {
				c.file(ctx, j.path, j.rel)
			}
		})
	}
	walkErr := func() error {
		defer close(jobs)
		if !info.IsDir() {
			return c.enqueue(ctx, root, filepath.Base(root), info, func(p, r string) { jobs <- job{p, r} })
		}
		return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			rel, relErr := filepath.Rel(root, path)
			if relErr != nil {
				return relErr
			}
			rel = filepath.ToSlash(rel)
			if err != nil {
				c.skip(rel, "unreadable: "+err.Error())
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if path != root && (d.Name() == ".git" || s.pathAllowed(rel)) {
					return fs.SkipDir
				}
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				c.skip(rel, "unreadable: "+err.Error())
				return nil
			}
			return c.enqueue(ctx, path, rel, fi, func(p, r string) { jobs <- job{p, r} })
		})
	}()
	wg.Wait()
	if walkErr != nil {
		return nil, fmt.Errorf("secret: scan %s: %w", root, walkErr)
	}
	return c.done("path"), nil
}

// enqueue decides whether to scan one file, and queues it.
func (c *collector) enqueue(ctx context.Context, path, rel string, fi fs.FileInfo, queue func(path, rel string)) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		c.skip(rel, "symlink (not followed)")
		return nil
	case !fi.Mode().IsRegular():
		c.skip(rel, "not a regular file")
		return nil
	case fi.Size() > c.s.maxFileSize:
		c.skip(rel, fmt.Sprintf("%d bytes, larger than the limit of %d", fi.Size(), c.s.maxFileSize))
		return nil
	case fi.Size() == 0 || c.s.pathAllowed(rel):
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	queue(path, rel)
	return nil
}

// file scans one file.
func (c *collector) file(ctx context.Context, path, rel string) {
	f, err := os.Open(path)
	if err != nil {
		c.skip(rel, "unreadable: "+err.Error())
		return
	}
	defer f.Close()
	src := &sources.File{Content: f, Path: rel, Config: &c.s.rules, MaxArchiveDepth: c.s.maxArchive}
	var readErr error
	err = src.Fragments(ctx, func(fr sources.Fragment, err error) error {
		if err != nil {
			readErr = err
			return nil
		}
		c.fragment(ctx, fr)
		return nil
	})
	switch {
	case err != nil:
		c.skip(rel, "unreadable: "+err.Error())
	case readErr != nil:
		c.skip(rel, "partly read: "+readErr.Error())
	default:
		c.mu.Lock()
		c.report.Files++
		c.mu.Unlock()
	}
}

// pathAllowed reports whether a global allowlist covers a path by its
// paths alone, so the file need not be read.
func (s *Scanner) pathAllowed(rel string) bool {
	for _, a := range s.rules.Allowlists {
		if a.MatchCondition == config.AllowlistMatchOr && a.PathAllowed(rel) {
			return true
		}
	}
	return false
}

func (s *Scanner) concurrency() int {
	if s.workers > 0 {
		return s.workers
	}
	return runtime.GOMAXPROCS(0)
}

// ScanGitLog scans the lines that the commits of revisions added (the
// patches of `git log -p`), with the real git command in the repository
// directory repo. revisions is a revision range such as "main..HEAD" or a
// single commit's history such as "HEAD~3..HEAD"; empty means every commit
// of every branch. Findings carry the commit that added the secret.
func (s *Scanner) ScanGitLog(ctx context.Context, repo, revisions string) (*Report, error) {
	if err := checkRevisions(revisions); err != nil {
		return nil, err
	}
	if _, err := git(ctx, repo, "rev-parse", "--git-dir"); err != nil {
		return nil, err
	}
	logOpts := ""
	if revisions != "" {
		if _, err := git(ctx, repo, "rev-parse", revisions, "--"); err != nil {
			return nil, err
		}
		logOpts = "--full-history --diff-filter=tuxdb " + revisions + " --"
	}
	cmd, err := sources.NewGitLogCmdContext(ctx, repo, logOpts)
	if err != nil {
		return nil, &GitError{Repo: repo, Args: []string{"log", "-p", revisions}, Err: err}
	}
	return s.scanGit(ctx, repo, cmd, "git log")
}

// ScanGitDiff scans the lines that the uncommitted changes of the work
// tree repo add: the unstaged changes (`git diff`), or with staged the
// changes staged for the next commit (`git diff --staged`), as a
// pre-commit check does.
func (s *Scanner) ScanGitDiff(ctx context.Context, repo string, staged bool) (*Report, error) {
	if _, err := git(ctx, repo, "rev-parse", "--is-inside-work-tree"); err != nil {
		return nil, err
	}
	cmd, err := sources.NewGitDiffCmdContext(ctx, repo, staged)
	if err != nil {
		return nil, &GitError{Repo: repo, Args: []string{"diff"}, Err: err}
	}
	return s.scanGit(ctx, repo, cmd, "git diff")
}

// scanGit runs the rules over the patches of a started git command.
func (s *Scanner) scanGit(ctx context.Context, repo string, cmd *sources.GitCmd, op string) (*Report, error) {
	c := s.collector(ctx)
	// No links to a hosting platform: the scan makes no network calls.
	src := &sources.Git{Cmd: cmd, Config: &s.rules, Remote: &sources.RemoteInfo{Platform: scm.NoPlatform}, Sema: semgroup.NewGroup(ctx, int64(s.concurrency())), MaxArchiveDepth: s.maxArchive}
	var (
		mu     sync.Mutex
		gitErr error
		files  = map[string]struct{}{}
	)
	err := src.Fragments(ctx, func(fr sources.Fragment, err error) error {
		if err != nil {
			mu.Lock()
			gitErr = err
			mu.Unlock()
			return nil
		}
		mu.Lock()
		files[fr.CommitSHA+"\x00"+fr.FilePath] = struct{}{}
		mu.Unlock()
		c.fragment(ctx, fr)
		return nil
	})
	if semErr := src.Sema.Wait(); err == nil {
		err = semErr
	}
	if err == nil {
		err = gitErr
	}
	if err != nil {
		return nil, &GitError{Repo: repo, Args: []string{op}, Err: err}
	}
	c.report.Files = len(files)
	return c.done(op), nil
}

// checkRevisions refuses what git would read as an option or as several
// arguments.
func checkRevisions(r string) error {
	if strings.HasPrefix(r, "-") || strings.ContainsAny(r, " \t\r\n\x00") {
		return fmt.Errorf("secret: scan git log: revisions %q: not a revision range", r)
	}
	return nil
}

// git runs one git command in repo and returns its standard output.
func git(ctx context.Context, repo string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, &GitError{Repo: repo, Args: args, Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	return out, nil
}
