package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The greeter: a small Go HTTP service with one dependency, kept in
// third_party and pinned at v1.2.0, the version the OSV fixture names.
var greeter = map[string]string{
	"go.mod": `module example.com/greeter

go 1.26

require example.com/textfmt v1.2.0

replace example.com/textfmt => ./third_party/textfmt
`,
	"CODEOWNERS": "* @acme/greeters\n",
	".gitignore": "bin/\n",
	"main.go": `// Command greeter greets whoever asks.
package main

import (
	"fmt"
	"log"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, Greet(r.URL.Query().Get("name")))
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
}
`,
	"greet.go": `package main

import "example.com/textfmt"

// Greet says hello to name.
func Greet(name string) string {
	return "Hello, " + textfmt.Title(name) + "!"
}
`,
	"greet_test.go": `package main

import (
	"strings"
	"testing"
)

func TestGreet(t *testing.T) {
	if got := Greet("ada"); got != "Hello, Ada!" {
		t.Fatalf("Greet(ada) = %q", got)
	}
}

func FuzzGreet(f *testing.F) {
	f.Add("ada")
	f.Fuzz(func(t *testing.T, name string) {
		if got := Greet(name); !strings.HasPrefix(got, "Hello, ") {
			t.Fatalf("Greet(%q) = %q", name, got)
		}
	})
}
`,
	"third_party/textfmt/go.mod": "module example.com/textfmt\n\ngo 1.26\n",
	"third_party/textfmt/textfmt.go": `// Package textfmt formats text.
package textfmt

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Title upper-cases the first letter of s.
func Title(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// Wrap breaks s into lines of at most width bytes.
func Wrap(s string, width int) string {
	var b strings.Builder
	for len(s) > 0 {
		n := min(width, len(s))
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	return b.String()
}
`,
}

// fix is the change that resolves the incident: anonymous visitors are
// greeted as "world", and a test says so.
var fix = map[string]string{
	"greet.go": `package main

import "example.com/textfmt"

// Greet says hello to name, or to the world when no name is given.
func Greet(name string) string {
	if name == "" {
		name = "world"
	}
	return "Hello, " + textfmt.Title(name) + "!"
}
`,
	"greet_test.go": `package main

import (
	"strings"
	"testing"
)

func TestGreet(t *testing.T) {
	for name, want := range map[string]string{"ada": "Hello, Ada!", "": "Hello, World!"} {
		if got := Greet(name); got != want {
			t.Errorf("Greet(%q) = %q, want %q", name, got, want)
		}
	}
}

func FuzzGreet(f *testing.F) {
	f.Add("ada")
	f.Add("")
	f.Fuzz(func(t *testing.T, name string) {
		if got := Greet(name); !strings.HasPrefix(got, "Hello, ") || strings.HasPrefix(got, "Hello, !") {
			t.Fatalf("Greet(%q) = %q", name, got)
		}
	})
}
`,
}

// repo is a git repository the quickstart commits to as the service's
// developer.
type repo struct{ dir string }

// newRepo creates dir as a git repository holding the greeter.
func newRepo(ctx context.Context, dir string) (*repo, error) {
	r := &repo{dir}
	if err := r.git(ctx, "init", "-q", "-b", "main"); err != nil {
		return nil, err
	}
	if _, err := r.commit(ctx, "greeter: greet visitors by name", greeter); err != nil {
		return nil, err
	}
	return r, nil
}

// commit writes files (path to content) and commits them, returning the
// new commit.
func (r *repo) commit(ctx context.Context, msg string, files map[string]string) (string, error) {
	for name, content := range files {
		path := filepath.Join(r.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	if err := r.git(ctx, "add", "-A"); err != nil {
		return "", err
	}
	if err := r.git(ctx, "commit", "-q", "-m", msg); err != nil {
		return "", err
	}
	return r.head(ctx)
}

// head returns the commit checked out.
func (r *repo) head(ctx context.Context) (string, error) {
	out, err := r.output(ctx, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

func (r *repo) git(ctx context.Context, args ...string) error {
	_, err := r.output(ctx, args...)
	return err
}

// output runs git in the repository as the developer, with no user or
// system configuration (no hooks, no commit signing), and returns what
// it printed.
func (r *repo) output(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL="+developer, "GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL="+developer)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
