package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// ErrSecretNotFound: no secret of that name.
var ErrSecretNotFound = errors.New("pipeline: secret not found")

// Secrets hands secret values to steps. A step fetches them through its
// StepContext, which registers each value for redaction; implementations
// need not redact.
type Secrets interface {
	// Secret returns the named secret, or an error wrapping
	// ErrSecretNotFound.
	Secret(ctx context.Context, name string) (string, error)
}

// EnvSecrets reads secrets from environment variables through lookup (such
// as os.LookupEnv), only those named in allow: a step cannot read an
// arbitrary variable.
func EnvSecrets(lookup func(string) (string, bool), allow ...string) Secrets {
	return envSecrets{lookup: lookup, allow: slices.Clone(allow)}
}

type envSecrets struct {
	lookup func(string) (string, bool)
	allow  []string
}

func (e envSecrets) Secret(_ context.Context, name string) (string, error) {
	if !slices.Contains(e.allow, name) || e.lookup == nil {
		return "", fmt.Errorf("%w: %s", ErrSecretNotFound, name)
	}
	v, ok := e.lookup(name)
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrSecretNotFound, name)
	}
	return v, nil
}

// DirSecrets reads each secret from a file of its name in dir (as
// Kubernetes and Docker mount them), without a trailing newline. Names
// that are not plain file names are refused.
func DirSecrets(dir string) Secrets { return dirSecrets(dir) }

type dirSecrets string

func (d dirSecrets) Secret(_ context.Context, name string) (string, error) {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("%w: %q is not a secret name", ErrSecretNotFound, name)
	}
	b, err := os.ReadFile(filepath.Join(string(d), name))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%w: %s", ErrSecretNotFound, name)
	}
	if err != nil {
		return "", fmt.Errorf("pipeline: secret %s: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// StaticSecrets serves secrets from memory, for tests and for callers that
// fetched them elsewhere.
func StaticSecrets(m map[string]string) Secrets {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return staticSecrets(c)
}

type staticSecrets map[string]string

func (s staticSecrets) Secret(_ context.Context, name string) (string, error) {
	v, ok := s[name]
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrSecretNotFound, name)
	}
	return v, nil
}

// Redacted replaces every secret value in captured output, logs and
// evidence.
const Redacted = "[REDACTED]"

// minSecretLen is the shortest value that is redacted: shorter ones
// ("1", "true") would shred ordinary output and hide nothing.
const minSecretLen = 4

// redactor remembers the secret values of one run and removes them. It is
// safe for concurrent use.
type redactor struct {
	mu     sync.RWMutex
	values [][]byte // longest first, so that a secret containing another goes whole
}

// add registers a value, in its raw and its JSON-escaped forms.
func (r *redactor) add(v string) {
	if len(v) < minSecretLen {
		return
	}
	forms := [][]byte{[]byte(v)}
	if q, err := json.Marshal(v); err == nil {
		if esc := q[1 : len(q)-1]; !bytes.Equal(esc, forms[0]) {
			forms = append(forms, esc)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range forms {
		if !slices.ContainsFunc(r.values, func(x []byte) bool { return bytes.Equal(x, f) }) {
			r.values = append(r.values, f)
		}
	}
	slices.SortFunc(r.values, func(a, b []byte) int { return len(b) - len(a) })
}

// bytes returns b with every secret replaced; b itself is not changed.
func (r *redactor) bytes(b []byte) []byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.values {
		if bytes.Contains(b, v) {
			b = bytes.ReplaceAll(b, v, []byte(Redacted))
		}
	}
	return b
}

// string returns s with every secret replaced.
func (r *redactor) string(s string) string { return string(r.bytes([]byte(s))) }

// strings redacts each of ss, in a new slice.
func (r *redactor) strings(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = r.string(s)
	}
	return out
}
