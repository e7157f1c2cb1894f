package secret

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/zricethezav/gitleaks/v8/config"
)

// MaxConfigSize caps the documents ParseConfig reads: 1 MiB.
const MaxConfigSize = 1 << 20

// ErrInvalidConfig is wrapped by every error about a malformed Config.
var ErrInvalidConfig = errors.New("secret: invalid config")

// ConfigError is one problem with a Config: which field and, for a parsed
// document, which file, line and column.
type ConfigError struct {
	// File names the parsed document; empty for a Config built in Go.
	File string
	// Line and Column are 1-based; zero when unknown.
	Line, Column int
	// Field is the path of the field, such as "rules[1].regex".
	Field string
	// Err says what is wrong.
	Err error
}

// Error formats the problem as "secret: invalid config: file:line:col: field: cause".
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidConfig.Error())
	b.WriteString(": ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns ErrInvalidConfig and the cause.
func (e *ConfigError) Unwrap() []error { return []error{ErrInvalidConfig, e.Err} }

// Config is the caller's part of a Scanner's rules: extra rules, default
// rules to disable, and allowlists. Its fields and their TOML names follow
// gitleaks' configuration format, so a .gitleaks.toml's rules can be
// reused.
type Config struct {
	// Rules are added to gitleaks' default rules; a rule with the ID of a
	// default rule replaces it.
	Rules []Rule `toml:"rules"`
	// Allowlists suppress findings of every rule, or of the rules they
	// target.
	Allowlists []Allowlist `toml:"allowlists"`
	// Extend.DisabledRules lists the IDs of default rules to drop.
	Extend Extend `toml:"extend"`
}

// Extend says how the Config extends gitleaks' default rules.
type Extend struct {
	// UseDefault is accepted for compatibility with gitleaks' format: the
	// default rules are used unless the Scanner is built
	// WithoutDefaultRules.
	UseDefault bool `toml:"useDefault"`
	// DisabledRules lists the IDs of default rules to drop.
	DisabledRules []string `toml:"disabledRules"`
}

// Rule finds one kind of secret.
type Rule struct {
	// ID names the rule in findings; required and unique.
	ID string `toml:"id"`
	// Description says what the rule finds.
	Description string `toml:"description"`
	// Regex matches the secret in file content (RE2 syntax).
	Regex string `toml:"regex"`
	// SecretGroup is the capture group of Regex that holds the secret; 0
	// means the first non-empty group, or the whole match.
	SecretGroup int `toml:"secretGroup"`
	// Entropy is the minimum Shannon entropy of the secret; 0 means any.
	Entropy float64 `toml:"entropy"`
	// Path matches the file path; a rule with only Path flags the file
	// itself.
	Path string `toml:"path"`
	// Keywords pre-filter content: the rule runs only on content holding
	// one of them (case-insensitive). Empty means always.
	Keywords []string `toml:"keywords"`
	// Tags are copied to findings.
	Tags []string `toml:"tags"`
	// Allowlists suppress this rule's findings.
	Allowlists []Allowlist `toml:"allowlists"`
}

// Allowlist suppresses findings: those in the listed commits, paths, or
// whose secret (or match, or line) matches a regex or holds a stop word.
type Allowlist struct {
	// Description says why.
	Description string `toml:"description"`
	// Condition is "OR" (the default: any check suppresses) or "AND" (all
	// of the allowlist's checks must hold).
	Condition string `toml:"condition"`
	// Commits lists commit SHAs.
	Commits []string `toml:"commits"`
	// Paths are regexes matched against file paths.
	Paths []string `toml:"paths"`
	// Regexes are matched against the secret, or the target RegexTarget
	// names.
	Regexes []string `toml:"regexes"`
	// RegexTarget is "secret" (the default), "match" or "line".
	RegexTarget string `toml:"regexTarget"`
	// StopWords suppress secrets that contain one of them.
	StopWords []string `toml:"stopwords"`
	// TargetRules limits a top-level allowlist to these rule IDs; empty
	// means every rule. Not allowed in a rule's own allowlists.
	TargetRules []string `toml:"targetRules"`
}

// document is the TOML file: a Config plus the header fields gitleaks'
// format allows.
type document struct {
	Title       string      `toml:"title"`
	Description string      `toml:"description"`
	MinVersion  string      `toml:"minVersion"`
	Rules       []Rule      `toml:"rules"`
	Allowlists  []Allowlist `toml:"allowlists"`
	Extend      struct {
		UseDefault    bool     `toml:"useDefault"`
		DisabledRules []string `toml:"disabledRules"`
		Path          string   `toml:"path"`
		URL           string   `toml:"url"`
	} `toml:"extend"`
}

// ParseConfig parses a gitleaks TOML configuration: [[rules]] (with their
// [[rules.allowlists]]), [[allowlists]] and [extend] disabledRules. Unknown
// keys are errors, as are extend.path and extend.url (the scanner reads no
// other file). file names the document in errors. Every problem is
// returned, each a *ConfigError.
func ParseConfig(file string, data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, &ConfigError{File: file, Err: fmt.Errorf("%d bytes, the limit is %d", len(data), MaxConfigSize)}
	}
	doc, err := decode(data)
	if err != nil {
		return nil, tomlError(file, err)
	}
	var errs []error
	if doc.Extend.Path != "" {
		errs = append(errs, &ConfigError{File: file, Field: "extend.path", Err: errors.New("not supported: give the extended rules in the same Config")})
	}
	if doc.Extend.URL != "" {
		errs = append(errs, &ConfigError{File: file, Field: "extend.url", Err: errors.New("not supported: the scanner fetches nothing")})
	}
	cfg := &Config{Rules: doc.Rules, Allowlists: doc.Allowlists, Extend: Extend{UseDefault: doc.Extend.UseDefault, DisabledRules: doc.Extend.DisabledRules}}
	if _, err := cfg.compile(); err != nil {
		for _, e := range flatten(err) {
			var ce *ConfigError
			if errors.As(e, &ce) {
				ce.File = file
			}
			errs = append(errs, e)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cfg, nil
}

// decode decodes the TOML document strictly. go-toml v2.2.4 panics on
// some malformed array-table headers (such as "[[rules.00]]", found by
// FuzzParseConfig); decode turns that panic into an error.
func decode(data []byte) (doc document, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed document: %v", r)
		}
	}()
	err = toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&doc)
	return doc, err
}

// tomlError turns go-toml's errors into ConfigErrors with positions.
func tomlError(file string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, 0, len(strict.Errors))
		for _, de := range strict.Errors {
			line, col := de.Position()
			errs = append(errs, &ConfigError{File: file, Line: line, Column: col, Field: strings.Join(de.Key(), "."), Err: errors.New("unknown field")})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		return &ConfigError{File: file, Line: line, Column: col, Field: strings.Join(de.Key(), "."), Err: errors.New(de.Error())}
	}
	return &ConfigError{File: file, Err: err}
}

// flatten returns the errors an errors.Join holds, or err itself.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		if _, isConfig := err.(*ConfigError); !isConfig {
			return j.Unwrap()
		}
	}
	return []error{err}
}

// compiled is a Config in gitleaks' terms.
type compiled struct {
	rules      []config.Rule
	allowlists []*config.Allowlist
	// targeted maps rule IDs to the top-level allowlists that target them.
	targeted map[string][]*config.Allowlist
	disabled []string
}

// compile checks c and translates it to gitleaks' types, returning every
// problem.
func (c *Config) compile() (compiled, error) {
	var (
		out  = compiled{targeted: map[string][]*config.Allowlist{}, disabled: c.Extend.DisabledRules}
		errs []error
		seen = map[string]int{}
	)
	bad := func(field string, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Err: fmt.Errorf(format, args...)})
	}
	for i, r := range c.Rules {
		f := fmt.Sprintf("rules[%d]", i)
		if strings.TrimSpace(r.ID) == "" {
			bad(f+".id", "required")
		} else if j, dup := seen[r.ID]; dup {
			bad(f+".id", "%q repeats rules[%d]", r.ID, j)
		} else {
			seen[r.ID] = i
		}
		cr := config.Rule{RuleID: r.ID, Description: r.Description, SecretGroup: r.SecretGroup, Entropy: r.Entropy, Tags: r.Tags}
		if cr.Tags == nil {
			cr.Tags = []string{}
		}
		cr.Keywords = make([]string, len(r.Keywords))
		for k, kw := range r.Keywords {
			cr.Keywords[k] = strings.ToLower(kw)
		}
		var err error
		if r.Regex != "" {
			if cr.Regex, err = regexp.Compile(r.Regex); err != nil {
				bad(f+".regex", "%v", err)
			}
		}
		if r.Path != "" {
			if cr.Path, err = regexp.Compile(r.Path); err != nil {
				bad(f+".path", "%v", err)
			}
		}
		switch {
		case r.Regex == "" && r.Path == "":
			bad(f, "needs a regex or a path")
		case r.SecretGroup < 0:
			bad(f+".secretGroup", "negative")
		case cr.Regex != nil && r.SecretGroup > cr.Regex.NumSubexp():
			bad(f+".secretGroup", "%d, but the regex has %d groups", r.SecretGroup, cr.Regex.NumSubexp())
		}
		if r.Entropy < 0 {
			bad(f+".entropy", "negative")
		}
		for j, a := range r.Allowlists {
			af := fmt.Sprintf("%s.allowlists[%d]", f, j)
			if len(a.TargetRules) > 0 {
				bad(af+".targetRules", "only top-level allowlists target rules")
			}
			if ca, aerrs := a.compile(af); len(aerrs) > 0 {
				errs = append(errs, aerrs...)
			} else {
				cr.Allowlists = append(cr.Allowlists, ca)
			}
		}
		out.rules = append(out.rules, cr)
	}
	for i, a := range c.Allowlists {
		af := fmt.Sprintf("allowlists[%d]", i)
		ca, aerrs := a.compile(af)
		if len(aerrs) > 0 {
			errs = append(errs, aerrs...)
			continue
		}
		if len(a.TargetRules) == 0 {
			out.allowlists = append(out.allowlists, ca)
		}
		for _, id := range a.TargetRules {
			out.targeted[id] = append(out.targeted[id], ca)
		}
	}
	return out, errors.Join(errs...)
}

// compile checks a and translates it, returning every problem.
func (a Allowlist) compile(field string) (*config.Allowlist, []error) {
	var errs []error
	bad := func(f, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field + f, Err: fmt.Errorf(format, args...)})
	}
	out := &config.Allowlist{Description: a.Description, Commits: a.Commits, StopWords: a.StopWords}
	switch strings.ToUpper(a.Condition) {
	case "", "OR", "||":
		out.MatchCondition = config.AllowlistMatchOr
	case "AND", "&&":
		out.MatchCondition = config.AllowlistMatchAnd
	default:
		bad(".condition", "%q is not OR or AND", a.Condition)
	}
	switch a.RegexTarget {
	case "", "secret":
	case "match", "line":
		out.RegexTarget = a.RegexTarget
	default:
		bad(".regexTarget", "%q is not secret, match or line", a.RegexTarget)
	}
	for i, s := range a.Paths {
		re, err := regexp.Compile(s)
		if err != nil {
			bad(fmt.Sprintf(".paths[%d]", i), "%v", err)
			continue
		}
		out.Paths = append(out.Paths, re)
	}
	for i, s := range a.Regexes {
		re, err := regexp.Compile(s)
		if err != nil {
			bad(fmt.Sprintf(".regexes[%d]", i), "%v", err)
			continue
		}
		out.Regexes = append(out.Regexes, re)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if err := out.Validate(); err != nil {
		return nil, []error{&ConfigError{Field: field, Err: err}}
	}
	return out, nil
}
