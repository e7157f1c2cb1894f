package sign

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved/internal/yamldoc"
)

// MaxTrustSize caps the trust policy documents ParseTrust reads: 1 MiB.
const MaxTrustSize = 1 << 20

// ErrInvalidTrust is wrapped by every error about a malformed trust policy.
var ErrInvalidTrust = errors.New("sign: invalid trust policy")

// TrustError is one problem with a trust policy: which field and, for a
// parsed document, which line.
type TrustError struct {
	// Line is the 1-based line in the document; zero when unknown.
	Line int
	// Field is the path of the field, such as "rules[0].signers[1]".
	Field string
	// Err says what is wrong.
	Err error
}

// Error formats the problem as "sign: invalid trust policy: line N: field: cause".
func (e *TrustError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%v: line %d: %s: %v", ErrInvalidTrust, e.Line, e.Field, e.Err)
	}
	return fmt.Sprintf("%v: %s: %v", ErrInvalidTrust, e.Field, e.Err)
}

// Unwrap returns ErrInvalidTrust and the cause.
func (e *TrustError) Unwrap() []error { return []error{ErrInvalidTrust, e.Err} }

// TrustedKey is a public key the trust policy knows, by name, with the
// window in which its signatures count.
type TrustedKey struct {
	// Name is how rules refer to the key, such as "builder".
	Name string
	// Key is the public key.
	Key *Verifier
	// NotBefore and NotAfter bound when the key may sign; zero means no
	// bound. Verification judges them at the verification time.
	NotBefore, NotAfter time.Time
	// Revoked keys never count.
	Revoked bool
}

// validAt reports why the key cannot count at time t, or "" if it can.
func (k *TrustedKey) invalidAt(t time.Time) string {
	switch {
	case k.Revoked:
		return "revoked"
	case !k.NotBefore.IsZero() && t.Before(k.NotBefore):
		return "not valid before " + k.NotBefore.Format(time.RFC3339)
	case !k.NotAfter.IsZero() && !t.Before(k.NotAfter):
		return "expired at " + k.NotAfter.Format(time.RFC3339)
	}
	return ""
}

// Rule says which keys may sign which predicate types, at which stages, and
// how many of them must.
type Rule struct {
	// PredicateTypes lists type URIs, exact or, ending in "*", prefixes:
	// "https://paved.dev/attestation/*".
	PredicateTypes []string
	// Stages limits the rule to pipeline stages; empty means any stage,
	// including none.
	Stages []string
	// Signers lists the names of the keys the rule trusts.
	Signers []string
	// Threshold is how many distinct Signers must sign (k of n); zero
	// means one.
	Threshold int
}

func (r *Rule) threshold() int { return max(r.Threshold, 1) }

// covers reports whether the rule applies to predicateType at stage.
func (r *Rule) covers(predicateType, stage string) bool {
	if len(r.Stages) > 0 && !slices.Contains(r.Stages, stage) {
		return false
	}
	for _, p := range r.PredicateTypes {
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(predicateType, prefix) || p == predicateType {
			return true
		}
	}
	return false
}

// Trust is a trust policy: the keys it knows and the rules that say which
// of them may sign what. It is immutable and safe for concurrent use.
type Trust struct {
	keys  []TrustedKey
	byID  map[string]*TrustedKey
	rules []Rule
}

// NewTrust checks keys and rules and returns the policy: key names and key
// IDs are unique, every rule names predicate types and known signers, and
// its threshold is between one and its number of signers.
func NewTrust(keys []TrustedKey, rules []Rule) (*Trust, error) {
	t := &Trust{keys: slices.Clone(keys), byID: map[string]*TrustedKey{}, rules: slices.Clone(rules)}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &TrustError{Field: field, Err: fmt.Errorf(format, args...)})
	}
	names := map[string]bool{}
	for i := range t.keys {
		k := &t.keys[i]
		f := fmt.Sprintf("keys[%d]", i)
		switch {
		case k.Name == "":
			bad(f+".name", "required")
		case names[k.Name]:
			bad(f+".name", "%q is used twice", k.Name)
		}
		names[k.Name] = true
		if k.Key == nil {
			bad(f+".public_key", "required")
			continue
		}
		if _, dup := t.byID[k.Key.KeyID()]; dup {
			bad(f+".public_key", "key %s is listed twice", k.Key.KeyID())
		}
		t.byID[k.Key.KeyID()] = k
		if !k.NotAfter.IsZero() && !k.NotAfter.After(k.NotBefore) {
			bad(f+".not_after", "not after not_before")
		}
	}
	for i, r := range t.rules {
		f := fmt.Sprintf("rules[%d]", i)
		if len(r.PredicateTypes) == 0 || slices.Contains(r.PredicateTypes, "") {
			bad(f+".predicate_types", "required, and each non-empty")
		}
		if len(r.Signers) == 0 {
			bad(f+".signers", "required")
		}
		for j, s := range r.Signers {
			if !names[s] {
				bad(fmt.Sprintf("%s.signers[%d]", f, j), "no key named %q", s)
			}
		}
		if r.Threshold < 0 || r.Threshold > len(r.Signers) {
			bad(f+".threshold", "%d is not between 1 and the %d signers", r.Threshold, len(r.Signers))
		}
		for j, s := range r.Stages {
			if !slices.Contains([]string{"plan", "build", "test", "release", "operate"}, s) {
				bad(fmt.Sprintf("%s.stages[%d]", f, j), "%q is not a pipeline stage", s)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// Keys returns the policy's keys. The caller owns the slice.
func (t *Trust) Keys() []TrustedKey { return slices.Clone(t.keys) }

// Rules returns the policy's rules. The caller owns the slice.
func (t *Trust) Rules() []Rule { return slices.Clone(t.rules) }

// trustDocument is the YAML and JSON form of a trust policy.
type trustDocument struct {
	Keys []struct {
		Name      string    `yaml:"name"`
		PublicKey string    `yaml:"public_key"`
		NotBefore time.Time `yaml:"not_before"`
		NotAfter  time.Time `yaml:"not_after"`
		Revoked   bool      `yaml:"revoked"`
	} `yaml:"keys"`
	Rules []struct {
		PredicateTypes []string `yaml:"predicate_types"`
		Stages         []string `yaml:"stages"`
		Signers        []string `yaml:"signers"`
		Threshold      int      `yaml:"threshold"`
	} `yaml:"rules"`
}

// ParseTrust reads a trust policy from YAML or JSON:
//
//	keys:
//	  - name: builder
//	    public_key: |
//	      -----BEGIN PUBLIC KEY-----
//	      ...
//	    not_after: 2027-06-30
//	rules:
//	  - predicate_types: ["https://slsa.dev/provenance/v1"]
//	    signers: [builder]
//	  - predicate_types: ["https://paved.dev/attestation/*"]
//	    stages: [release]
//	    signers: [release-manager, security-lead]
//	    threshold: 2
//
// Unknown fields are errors; every problem is reported, with its line.
// Documents larger than MaxTrustSize are rejected.
func ParseTrust(data []byte) (*Trust, error) {
	if len(data) > MaxTrustSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidTrust, MaxTrustSize)
	}
	var doc trustDocument
	pos, problems := yamldoc.Decode(data, &doc)
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = &TrustError{Line: p.Pos.Line, Field: p.Field, Err: p.Err}
		}
		return nil, errors.Join(errs...)
	}
	keys := make([]TrustedKey, len(doc.Keys))
	var errs []error
	for i, k := range doc.Keys {
		keys[i] = TrustedKey{Name: k.Name, NotBefore: k.NotBefore, NotAfter: k.NotAfter, Revoked: k.Revoked}
		if k.PublicKey == "" {
			continue // NewTrust reports it
		}
		v, err := ParsePublicKeyPEM([]byte(k.PublicKey))
		if err != nil {
			f := fmt.Sprintf("keys[%d].public_key", i)
			errs = append(errs, &TrustError{Line: pos.Lookup(f).Line, Field: f, Err: err})
			continue
		}
		keys[i].Key = v
	}
	rules := make([]Rule, len(doc.Rules))
	for i, r := range doc.Rules {
		rules[i] = Rule(r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	t, err := NewTrust(keys, rules)
	if err != nil {
		// Locate NewTrust's problems in the document.
		for _, e := range unjoin(err) {
			var te *TrustError
			if errors.As(e, &te) {
				te.Line = pos.Lookup(te.Field).Line
			}
		}
		return nil, err
	}
	return t, nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// LoadTrust reads a trust policy file, as ParseTrust does.
func LoadTrust(path string) (*Trust, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sign: load trust policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxTrustSize+1))
	if err != nil {
		return nil, fmt.Errorf("sign: load trust policy %s: %w", path, err)
	}
	t, err := ParseTrust(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
