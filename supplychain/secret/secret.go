package secret

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/rs/zerolog"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/logging"
	"github.com/zricethezav/gitleaks/v8/report"
)

// Defaults of a Scanner's limits.
const (
	// DefaultMaxFileSize: files larger than 50 MiB are skipped (and listed
	// in Report.Skipped) unless WithMaxFileSize says otherwise.
	DefaultMaxFileSize = 50 << 20
	// DefaultMaxDecodeDepth: gitleaks decodes base64, hex and percent
	// encoded text up to this many times to find encoded secrets (the
	// gitleaks command's default).
	DefaultMaxDecodeDepth = 5
	// DefaultMaxArchiveDepth: archives (zip, tar, gzip, ...) are scanned
	// inside, up to this nesting.
	DefaultMaxArchiveDepth = 4
)

// Finding is one secret found: where, by which rule, never what.
type Finding struct {
	// RuleID and Description name the rule that matched.
	RuleID      string `json:"ruleId"`
	Description string `json:"description,omitempty"`
	// File is the path, relative to the scanned directory or repository,
	// with "/" separators; a file inside an archive is "archive!inner".
	File string `json:"file"`
	// StartLine and EndLine (1-based) locate the match; StartColumn and
	// EndColumn (1-based, inclusive) its first and last byte on them.
	StartLine   int `json:"startLine"`
	EndLine     int `json:"endLine"`
	StartColumn int `json:"startColumn"`
	EndColumn   int `json:"endColumn"`
	// Commit, Author, Email and Date describe the commit that added the
	// secret, for findings in history.
	Commit string `json:"commit,omitempty"`
	Author string `json:"author,omitempty"`
	Email  string `json:"email,omitempty"`
	Date   string `json:"date,omitempty"`
	// Entropy is the secret's Shannon entropy.
	Entropy float32 `json:"entropy"`
	// Tags are the rule's tags.
	Tags []string `json:"tags,omitempty"`
	// Fingerprint identifies the finding in gitleaks' format,
	// "[commit:]file:rule:line": the entries of a .gitleaksignore file
	// and of WithIgnore.
	Fingerprint string `json:"fingerprint"`
}

// redact makes a Finding from one of gitleaks', keeping nothing of the
// secret, the match, the line or the commit message.
func redact(f report.Finding) Finding {
	out := Finding{
		RuleID:      f.RuleID,
		Description: f.Description,
		File:        f.File,
		StartLine:   f.StartLine,
		EndLine:     f.EndLine,
		StartColumn: f.StartColumn,
		EndColumn:   f.EndColumn,
		Commit:      f.Commit,
		Author:      f.Author,
		Email:       f.Email,
		Date:        f.Date,
		Entropy:     f.Entropy,
		Tags:        slices.Clone(f.Tags),
	}
	out.Fingerprint = fmt.Sprintf("%s:%s:%d", out.File, out.RuleID, out.StartLine)
	if out.Commit != "" {
		out.Fingerprint = out.Commit + ":" + out.Fingerprint
	}
	return out
}

// Skip is a file the scanner did not read, and why.
type Skip struct {
	// Path is the file's path, as in Finding.File.
	Path string `json:"path"`
	// Reason says why, such as "symlink (not followed)".
	Reason string `json:"reason"`
}

// Report is the result of one scan.
type Report struct {
	// Findings are sorted by file, line, column, rule and commit.
	Findings []Finding `json:"findings"`
	// Skipped lists what was not scanned.
	Skipped []Skip `json:"skipped,omitempty"`
	// Files counts the files scanned (for git scans, the changed files).
	Files int `json:"files"`
	// Commits counts the commits a git scan read.
	Commits int `json:"commits,omitempty"`
	// Ignored counts findings dropped by WithIgnore fingerprints.
	Ignored int `json:"ignored,omitempty"`
}

// sort orders the findings and skips deterministically.
func (r *Report) sort() {
	slices.SortFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.StartLine, b.StartLine),
			cmp.Compare(a.StartColumn, b.StartColumn), cmp.Compare(a.RuleID, b.RuleID), cmp.Compare(a.Commit, b.Commit))
	})
	slices.SortFunc(r.Skipped, func(a, b Skip) int { return cmp.Compare(a.Path, b.Path) })
}

// Scanner scans for secrets with a fixed set of rules. It is safe for
// concurrent use by multiple goroutines.
type Scanner struct {
	rules          config.Config
	ignore         map[string]struct{}
	maxFileSize    int64
	maxDecodeDepth int
	maxArchive     int
	workers        int
	logger         *slog.Logger
}

type options struct {
	config      *Config
	noDefaults  bool
	ignore      []string
	maxFileSize int64
	workers     int
	logger      *slog.Logger
}

// Option configures a Scanner at New.
type Option interface{ apply(*options) error }

type optionFunc func(*options) error

func (f optionFunc) apply(o *options) error { return f(o) }

// WithConfig adds the caller's rules, disabled rules and allowlists to the
// defaults (by default there are none). It may be given once.
func WithConfig(c *Config) Option {
	return optionFunc(func(o *options) error {
		switch {
		case c == nil:
			return errors.New("WithConfig: nil config")
		case o.config != nil:
			return errors.New("WithConfig: given twice")
		}
		o.config = c
		return nil
	})
}

// WithoutDefaultRules drops gitleaks' default rules and allowlists: only
// the WithConfig rules apply (by default both do). The Config's
// disabledRules, and its allowlists that target only default rules, then
// have nothing to act on and are not errors.
func WithoutDefaultRules() Option {
	return optionFunc(func(o *options) error { o.noDefaults = true; return nil })
}

// WithIgnore drops findings with these fingerprints (the lines of a
// .gitleaksignore file; a fingerprint without its commit ignores the
// finding in every commit). The default ignores nothing.
func WithIgnore(fingerprints ...string) Option {
	return optionFunc(func(o *options) error {
		for _, fp := range fingerprints {
			if strings.Count(fp, ":") < 2 {
				return fmt.Errorf("WithIgnore: %q is not a fingerprint ([commit:]file:rule:line)", fp)
			}
		}
		o.ignore = append(o.ignore, fingerprints...)
		return nil
	})
}

// WithMaxFileSize skips (and reports) files larger than n bytes; the
// default is DefaultMaxFileSize.
func WithMaxFileSize(n int64) Option {
	return optionFunc(func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxFileSize: %d is not positive", n)
		}
		o.maxFileSize = n
		return nil
	})
}

// WithConcurrency scans up to n files at once; the default is
// GOMAXPROCS.
func WithConcurrency(n int) Option {
	return optionFunc(func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("WithConcurrency: %d is not positive", n)
		}
		o.workers = n
		return nil
	})
}

// WithLogger sets the logger; the default discards. The scanner logs
// counts, paths and skips, never content.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	})
}

// silenceGitleaks replaces gitleaks' process-wide logger, which writes to
// standard error and logs matched secrets at debug level, with one that
// discards. It runs once, before the first Scanner exists, so that no scan
// of ours is reading the logger while it changes.
var silenceGitleaks = sync.OnceFunc(func() { logging.Logger = zerolog.Nop() })

// defaultRules returns gitleaks' default configuration, translated once.
var defaultRules = sync.OnceValues(func() (config.Config, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		return config.Config{}, err
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return config.Config{}, err
	}
	return vc.Translate()
})

// New returns a Scanner with gitleaks' default rules (unless
// WithoutDefaultRules) and the WithConfig rules. It reads no file.
func New(opts ...Option) (*Scanner, error) {
	silenceGitleaks()
	o := options{maxFileSize: DefaultMaxFileSize, logger: slog.New(slog.DiscardHandler)}
	var errs []error
	for _, opt := range opts {
		if err := opt.apply(&o); err != nil {
			errs = append(errs, fmt.Errorf("secret: new: %w", err))
		}
	}
	if o.noDefaults && (o.config == nil || len(o.config.Rules) == 0) {
		errs = append(errs, errors.New("secret: new: WithoutDefaultRules needs WithConfig with at least one rule"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rules, err := merge(o)
	if err != nil {
		return nil, err
	}
	s := &Scanner{
		rules:          rules,
		ignore:         make(map[string]struct{}, len(o.ignore)),
		maxFileSize:    o.maxFileSize,
		maxDecodeDepth: DefaultMaxDecodeDepth,
		maxArchive:     DefaultMaxArchiveDepth,
		workers:        o.workers,
		logger:         o.logger,
	}
	for _, fp := range o.ignore {
		s.ignore[fp] = struct{}{}
	}
	return s, nil
}

// merge builds the gitleaks configuration: the defaults, minus the
// disabled rules, plus the caller's rules and allowlists.
func merge(o options) (config.Config, error) {
	out := config.Config{Rules: map[string]config.Rule{}, Keywords: map[string]struct{}{}}
	if !o.noDefaults {
		def, err := defaultRules()
		if err != nil {
			return config.Config{}, fmt.Errorf("secret: new: gitleaks default rules: %w", err)
		}
		maps.Copy(out.Rules, def.Rules)
		out.OrderedRules = slices.Clone(def.OrderedRules)
		out.Allowlists = slices.Clone(def.Allowlists)
	}
	if o.config != nil {
		c, err := o.config.compile()
		if err != nil {
			return config.Config{}, err
		}
		var errs []error
		for i, id := range c.disabled {
			if _, ok := out.Rules[id]; !ok && !o.noDefaults {
				errs = append(errs, &ConfigError{Field: fmt.Sprintf("extend.disabledRules[%d]", i), Err: fmt.Errorf("no default rule %q", id)})
			}
			delete(out.Rules, id)
		}
		for _, r := range c.rules {
			if _, ok := out.Rules[r.RuleID]; !ok {
				out.OrderedRules = append(out.OrderedRules, r.RuleID)
			}
			out.Rules[r.RuleID] = r
		}
		for id, als := range c.targeted {
			r, ok := out.Rules[id]
			if !ok && o.noDefaults {
				continue
			}
			if !ok {
				errs = append(errs, &ConfigError{Field: "allowlists", Err: fmt.Errorf("targetRules: no rule %q", id)})
				continue
			}
			r.Allowlists = append(slices.Clone(r.Allowlists), als...)
			out.Rules[id] = r
		}
		if err := errors.Join(errs...); err != nil {
			return config.Config{}, err
		}
		out.Allowlists = append(out.Allowlists, c.allowlists...)
	}
	out.OrderedRules = slices.DeleteFunc(out.OrderedRules, func(id string) bool { _, ok := out.Rules[id]; return !ok })
	for _, r := range out.Rules {
		for _, k := range r.Keywords {
			out.Keywords[k] = struct{}{}
		}
	}
	return out, nil
}

// Rules returns the IDs of the scanner's rules, in order.
func (s *Scanner) Rules() []string { return slices.Clone(s.rules.OrderedRules) }
