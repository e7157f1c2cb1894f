package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// MaxDocumentSize caps a compared document: 32 MiB.
const MaxDocumentSize = 32 << 20

// ParseError says why a document could not be read: which one, where and
// what. It unwraps to ErrInvalidInput.
type ParseError struct {
	// Document is "desired" or "actual".
	Document string
	// Line is the 1-based line of the problem, when known.
	Line int
	// Err is the cause.
	Err error
}

// Error formats the error as "drift: desired document line 3: cause".
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("drift: %s document line %d: %v", e.Document, e.Line, e.Err)
	}
	return fmt.Sprintf("drift: %s document: %v", e.Document, e.Err)
}

// Unwrap returns ErrInvalidInput and the cause.
func (e *ParseError) Unwrap() []error { return []error{ErrInvalidInput, e.Err} }

var yamlLine = regexp.MustCompile(`line (\d+)`)

// parse reads a JSON or YAML document (one document; JSON is tried first
// when the text starts like JSON) into JSON values with json.Number
// numbers.
func parse(which string, data []byte) (any, error) {
	if len(data) > MaxDocumentSize {
		return nil, &ParseError{Document: which, Err: fmt.Errorf("%d bytes, the limit is %d", len(data), MaxDocumentSize)}
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		v, err := decodeJSON(data)
		if err == nil {
			return v, nil
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &ParseError{Document: which, Line: 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n")), Err: err}
		}
		return nil, &ParseError{Document: which, Err: err}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var v any
	if err := dec.Decode(&v); err != nil && !errors.Is(err, io.EOF) {
		return nil, &ParseError{Document: which, Line: lineOf(err), Err: err}
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &ParseError{Document: which, Err: errors.New("more than one YAML document")}
	}
	// Through JSON, so that YAML and JSON documents compare alike.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &ParseError{Document: which, Err: fmt.Errorf("not representable as JSON: %v", err)}
	}
	out, err := decodeJSON(b)
	if err != nil {
		return nil, &ParseError{Document: which, Err: err}
	}
	return out, nil
}

func lineOf(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// Compare compares a desired document with an actual one, both JSON or
// YAML, and returns their differences sorted by path, with the values of
// keys that redact matches (nil: DefaultRedact) replaced by "(redacted)".
// Numbers compare by value (3 equals 3.0). A document that cannot be read
// fails with a *ParseError.
func Compare(desired, actual []byte, redact *regexp.Regexp) ([]attest.ConfigDifference, error) {
	if redact == nil {
		redact = DefaultRedact
	}
	want, err := parse("desired", desired)
	if err != nil {
		return nil, err
	}
	got, err := parse("actual", actual)
	if err != nil {
		return nil, err
	}
	d := differ{redact: redact, secrets: map[string]bool{}, out: []attest.ConfigDifference{}}
	d.diff([]string{"$"}, want, got, false)
	slices.SortStableFunc(d.out, func(a, b attest.ConfigDifference) int { return strings.Compare(a.Path, b.Path) })
	return d.out, nil
}

type differ struct {
	redact  *regexp.Regexp
	secrets map[string]bool // keys already matched against redact
	out     []attest.ConfigDifference
}

const redacted = "(redacted)"

func (d *differ) add(path []string, kind string, want, got any, hide bool) {
	if hide {
		if want != nil {
			want = redacted
		}
		if got != nil {
			got = redacted
		}
	}
	want, got = d.scrub(want), d.scrub(got)
	d.out = append(d.out, attest.ConfigDifference{Path: strings.Join(path, ""), Kind: kind, Desired: plain(want), Actual: plain(got)})
}

// secret reports whether the value of key k in object m is a secret: the
// key matches the redaction pattern, or it is the "value" of a
// name-value pair whose name does (as in a container's environment).
func (d *differ) secret(m map[string]any, k string) bool {
	if d.matches(k) {
		return true
	}
	if k != "value" {
		return false
	}
	name, ok := m["name"].(string)
	return ok && d.matches(name)
}

// matches reports whether redact matches s, remembering the answer:
// documents repeat their keys.
func (d *differ) matches(s string) bool {
	m, ok := d.secrets[s]
	if !ok {
		m = d.redact.MatchString(s)
		d.secrets[s] = m
	}
	return m
}

// scrub replaces the secrets inside an added or removed value.
func (d *differ) scrub(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if d.secret(x, k) {
				out[k] = redacted
			} else {
				out[k] = d.scrub(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = d.scrub(e)
		}
		return out
	}
	return v
}

// plain turns json.Number values, at any depth, into int64 or float64
// for the record.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// diff compares want and got at path, a list of steps ("$", ".name",
// "[0]") joined only when a difference is recorded.
func (d *differ) diff(path []string, want, got any, hide bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			d.add(path, "changed", want, got, hide)
			return
		}
		// In map order: Compare sorts the differences by path.
		for k, wv := range w {
			p, h := append(path, member(k)), hide || d.secret(w, k) || d.secret(g, k)
			if gv, ok := g[k]; ok {
				d.diff(p, wv, gv, h)
			} else {
				d.add(p, "removed", wv, nil, h)
			}
		}
		for k, gv := range g {
			if _, ok := w[k]; !ok {
				d.add(append(path, member(k)), "added", nil, gv, hide || d.secret(g, k))
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			d.add(path, "changed", want, got, hide)
			return
		}
		for i := range max(len(w), len(g)) {
			p := append(path, "["+strconv.Itoa(i)+"]")
			switch {
			case i >= len(g):
				d.add(p, "removed", w[i], nil, hide)
			case i >= len(w):
				d.add(p, "added", nil, g[i], hide)
			default:
				d.diff(p, w[i], g[i], hide)
			}
		}
	default:
		if !equal(want, got) {
			d.add(path, "changed", want, got, hide)
		}
	}
}

// equal compares two JSON scalars, numbers by value.
func equal(a, b any) bool {
	if an, ok := a.(json.Number); ok {
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		if an == bn {
			return true
		}
		af, errA := an.Float64()
		bf, errB := bn.Float64()
		return errA == nil && errB == nil && af == bf
	}
	return a == b
}

// member formats a key as a path step: ".name", or "['a.b']" for keys
// that are not identifiers ([A-Za-z_][A-Za-z0-9_-]*).
func member(k string) string {
	if identifier(k) {
		return "." + k
	}
	return "['" + quoteEscaper.Replace(k) + "']"
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

func identifier(k string) bool {
	for i, c := range []byte(k) {
		switch {
		case c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		case i > 0 && (c == '-' || c >= '0' && c <= '9'):
		default:
			return false
		}
	}
	return k != ""
}

// ConfigCheck is a recorded configuration drift check.
type ConfigCheck struct {
	// Drift is the check, as recorded.
	Drift attest.ConfigDrift
	// Record is its evidence record.
	Record evidence.Record
}

// Drifted reports whether the actual configuration differs from the
// desired one.
func (c ConfigCheck) Drifted() bool { return len(c.Drift.Differences) > 0 }

// Config compares the desired configuration of name (an IaC plan's
// planned values, a rendered manifest) with the actual one read from an
// environment, both JSON or YAML, and records the check as a signed
// attest.ConfigDrift statement about the two documents (subjects
// "desired:<name>" and "actual:<name>" by digest). Values under keys the
// detector redacts never reach the record. Unreadable documents fail with
// a *ParseError before anything is recorded.
func (d *Detector) Config(ctx context.Context, name, environment string, desired, actual []byte) (ConfigCheck, error) {
	if name == "" {
		return ConfigCheck{}, fmt.Errorf("%w: name: required", ErrInvalidInput)
	}
	diffs, err := Compare(desired, actual, d.cfg.redact)
	if err != nil {
		return ConfigCheck{}, err
	}
	check := attest.ConfigDrift{Name: name, Environment: environment, Desired: digestOf(desired), Actual: digestOf(actual),
		Differences: diffs, CheckedAt: d.cfg.clock().UTC()}
	subjects := []supplychain.Subject{}
	for _, s := range []struct{ role, digest string }{{"desired", check.Desired}, {"actual", check.Actual}} {
		dg, _ := supplychain.ParseDigest(s.digest)
		subjects = append(subjects, supplychain.Subject{Name: s.role + ":" + name, Digest: supplychain.DigestSet{dg.Algorithm: dg.Hex}})
	}
	labels := map[string]string{"paved.drift": "config"}
	if environment != "" {
		labels["paved.environment"] = environment
	}
	rec, err := d.record(ctx, check, subjects, labels)
	if err != nil {
		return ConfigCheck{}, err
	}
	d.cfg.logger.InfoContext(ctx, "drift: configuration checked", "name", name, "differences", len(diffs), "record", rec.ID)
	return ConfigCheck{Drift: check, Record: rec}, nil
}
