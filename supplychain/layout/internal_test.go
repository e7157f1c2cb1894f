package layout

import (
	"errors"
	"strings"
	"testing"
)

// TestValidPattern pins the pattern syntax of in-toto's artifact rule
// matcher (path.Match's, with '!' negating a class): a pattern is malformed
// exactly when in-toto-golang's matcher returns an error for it.
func TestValidPattern(t *testing.T) {
	tests := []struct {
		pattern string
		valid   bool
	}{
		{"", true},
		{"*", true},
		{"foo.py", true},
		{"dir/*.tar.gz", true},
		{"?x", true},
		{"[abc]", true},
		{"[a-z]*", true},
		{"[!a-z]", true},
		{"[^]", true}, // '^' is an ordinary character, not a negation
		{"[\\]]", true},
		{"[[]*]", true},
		{"a\\*b", true},
		{"[*]", true},
		{"[", false},
		{"[]", false},
		{"[!]", false},
		{"[]a]", false},
		{"[a-]", false},
		{"[-a]", false},
		{"[a", false},
		{"[a-z", false},
		{"a\\", false},
		{"[\\", false},
		{"*[a*", false},
		{"[\xb1]", false},
		{"ok*[x", false},
	}
	for _, tc := range tests {
		if got := validPattern(tc.pattern); got != tc.valid {
			t.Errorf("validPattern(%q) = %v, want %v", tc.pattern, got, tc.valid)
		}
	}
}

// TestCallLibraryRecovers: a panic in a library call becomes an error.
func TestCallLibraryRecovers(t *testing.T) {
	err := callLibrary(func() error { panic("index out of range") })
	if err == nil || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("callLibrary returned %v, want the panic as an error", err)
	}
	want := errors.New("plain")
	if err := callLibrary(func() error { return want }); err != want {
		t.Fatalf("callLibrary returned %v, want %v", err, want)
	}
}

// TestEscapeControls: raw control characters inside strings are escaped,
// others left alone.
func TestEscapeControls(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"b"}`:                `{"a":"b"}`,
		"{\"k\":\"line1\nline2\"}": `{"k":"line1\u000aline2"}`,
		"{\"k\":\"q\\\"\t\"}\n":    "{\"k\":\"q\\\"\\u0009\"}\n",
		"{\"k\":\"\\\\\"}\n":       "{\"k\":\"\\\\\"}\n",
		"{\n\"a\"\t:\r\n\"x\ry\"}": "{\n\"a\"\t:\r\n\"x\\u000dy\"}",
	} {
		if got := string(escapeControls([]byte(in))); got != want {
			t.Errorf("escapeControls(%q) = %q, want %q", in, got, want)
		}
	}
}
