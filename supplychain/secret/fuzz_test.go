package secret_test

import (
	"errors"
	"testing"

	"github.com/paved-dev/paved/supplychain/secret"
)

// FuzzParseConfig feeds arbitrary documents to ParseConfig and New: they
// must return a config or an ErrInvalidConfig error, never panic (gitleaks'
// own loader panics on a bad regex).
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(customConfig))
	f.Add([]byte("[[rules]]\nid = \"x\"\nregex = '(a'\n"))
	f.Add([]byte("[[rules]]\nid = \"x\"\nregex = '(a)(b)'\nsecretGroup = 3\nentropy = -1.5\n"))
	f.Add([]byte("[[allowlists]]\ncondition = \"AND\"\nregexTarget = \"match\"\nregexes = ['x']\ncommits = ['abc']\n"))
	f.Add([]byte("[extend]\nuseDefault = true\ndisabledRules = [\"aws-access-token\"]\n"))
	f.Add([]byte("[[rules]]\nid = \"p\"\npath = '''\\.pem$'''\n"))
	f.Add([]byte("title = 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := secret.ParseConfig("fuzz.toml", data)
		if err != nil {
			if !errors.Is(err, secret.ErrInvalidConfig) {
				t.Fatalf("error without ErrInvalidConfig: %v", err)
			}
			return
		}
		if _, err := secret.New(secret.WithConfig(cfg)); err != nil && !errors.Is(err, secret.ErrInvalidConfig) {
			t.Fatalf("New: error without ErrInvalidConfig: %v", err)
		}
	})
}
