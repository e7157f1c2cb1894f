package policy_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/policy"
)

// compileErrors returns the *CompileErrors in err.
func compileErrors(t *testing.T, err error) []*policy.CompileError {
	t.Helper()
	require.ErrorIs(t, err, policy.ErrCompile)
	var out []*policy.CompileError
	var walk func(error)
	walk = func(err error) {
		if ce, ok := err.(*policy.CompileError); ok {
			out = append(out, ce)
			return
		}
		if u, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range u.Unwrap() {
				walk(e)
			}
		} else if e := errors.Unwrap(err); e != nil {
			walk(e)
		}
	}
	walk(err)
	return out
}

func TestCompileErrorsHaveFileAndLine(t *testing.T) {
	fsys := fstest.MapFS{
		"a/syntax.rego": {Data: []byte("package paved.a\n\ndeny contains v if {\n\tv := \n}\n")},
		"b/types.rego":  {Data: []byte("package paved.b\n\ndeny contains v if {\n\tv := {\"control\": \"X\", \"msg\": concat(\",\", 7)}\n}\n")},
	}
	_, err := policy.New(context.Background(), policy.FS(fsys))
	errs := compileErrors(t, err)
	require.Len(t, errs, 1, "parse errors stop before compilation")
	assert.Equal(t, "a/syntax.rego", errs[0].Location.File)
	assert.Equal(t, 5, errs[0].Location.Line)
	assert.Contains(t, errs[0].Error(), "policy: compile: a/syntax.rego:5:")

	delete(fsys, "a/syntax.rego")
	_, err = policy.New(context.Background(), policy.FS(fsys))
	errs = compileErrors(t, err)
	require.Len(t, errs, 1)
	assert.Equal(t, "b/types.rego", errs[0].Location.File)
	assert.Equal(t, 4, errs[0].Location.Line)
	assert.Equal(t, "rego_type_error", errs[0].Code)
}

func TestDirNamesFilesInErrors(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.rego"), []byte("package paved.x\n\ndeny contains v if {\n\tv := input.\n}\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad_test.rego"), []byte("this is not rego, and is not loaded"), 0o600))
	_, err := policy.New(context.Background(), policy.Dir(dir))
	errs := compileErrors(t, err)
	require.NotEmpty(t, errs)
	assert.Equal(t, filepath.Join(dir, "bad.rego"), errs[0].Location.File)
	assert.Equal(t, 5, errs[0].Location.Line)
}

func TestDisabledBuiltinsDoNotCompile(t *testing.T) {
	for _, call := range []string{
		`http.send({"method": "GET", "url": "https://example.com"})`,
		`net.lookup_ip_addr("example.com")`,
		`opa.runtime()`,
		`rand.intn("x", 10)`,
		`uuid.rfc4122("x")`,
	} {
		name, _, _ := bytes.Cut([]byte(call), []byte("("))
		t.Run(string(name), func(t *testing.T) {
			src := fmt.Sprintf("package paved.net\n\ndeny contains v if {\n\tx := %s\n\tv := {\"control\": \"N-1\", \"msg\": sprintf(\"%%v\", [x])}\n}\n", call)
			_, err := policy.New(context.Background(), policy.FS(fstest.MapFS{"net.rego": {Data: []byte(src)}}))
			errs := compileErrors(t, err)
			require.Len(t, errs, 1)
			assert.Equal(t, "undefined function "+string(name), errs[0].Message)
			assert.Equal(t, policy.Location{File: "net.rego", Line: 4, Column: 7}, errs[0].Location)
		})
	}
	src := "package paved.net\n\ndeny contains v if {\n\tx := http.send({\"method\": \"GET\", \"url\": \"https://example.com\"})\n\tv := {\"control\": \"N-1\", \"msg\": sprintf(\"%v\", [x])}\n}\n"
	_, err := policy.New(context.Background(), policy.FS(fstest.MapFS{"net.rego": {Data: []byte(src)}}), policy.WithNetworkUnsafe())
	require.NoError(t, err, "WithNetworkUnsafe brings http.send back")
	for _, b := range policy.Capabilities().Builtins {
		assert.NotEqual(t, "http.send", b.Name)
		assert.False(t, b.Nondeterministic && b.Name != "time.now_ns", b.Name)
	}
}

func TestTimeIsTheClock(t *testing.T) {
	src := `package paved.clock

# METADATA
# custom:
#   control: CLK-1
warn contains v if {
	v := {"control": "CLK-1", "msg": sprintf("%d %s", [time.now_ns(), input.time])}
}
`
	e, err := policy.New(context.Background(), policy.FS(fstest.MapFS{"c.rego": {Data: []byte(src)}}), policy.WithClock(clock))
	require.NoError(t, err)
	d := mustEvaluate(t, e, releaseRequest(1, 6))
	c, _ := d.Control("CLK-1")
	require.Len(t, c.Violations, 1)
	assert.Equal(t, fmt.Sprintf("%d %s", when.UnixNano(), "2026-11-28T12:00:00Z"), c.Violations[0].Msg)
}

func TestAnnotationErrors(t *testing.T) {
	src := `package paved.a

# METADATA
# custom:
#   control: A-1
#   stages: [deploy]
deny contains v if {
	v := {"control": "A-1", "msg": "x"}
}
`
	_, err := policy.New(context.Background(), policy.FS(fstest.MapFS{"a.rego": {Data: []byte(src)}}))
	errs := compileErrors(t, err)
	require.Len(t, errs, 1)
	assert.Equal(t, policy.Location{File: "a.rego", Line: 3, Column: 1}, errs[0].Location)
	assert.Contains(t, errs[0].Message, "custom.stages")
}

func TestReloadKeepsPreviousSetOnError(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	before := e.PolicyDigest()
	err := e.Reload(ctx, policy.Merge(policy.Builtin(), policy.FS(fstest.MapFS{"x.rego": {Data: []byte("package paved.x\n\ndeny contains v if { v := http.send({}) }\n")}})))
	require.ErrorIs(t, err, policy.ErrCompile)
	assert.Equal(t, before, e.PolicyDigest())
	d := mustEvaluate(t, e, releaseRequest(1, 6))
	assert.Equal(t, before, d.PolicyDigest)
	assert.Equal(t, policy.Allowed, d.Outcome)

	extra := fstest.MapFS{"extra.rego": {Data: []byte(`package paved.extra

# METADATA
# custom:
#   control: EXTRA-1
deny contains v if {
	v := {"control": "EXTRA-1", "msg": "always"}
}
`)}}
	require.NoError(t, e.Reload(ctx, policy.Merge(policy.Builtin(), policy.FS(extra))))
	assert.NotEqual(t, before, e.PolicyDigest())
	d = mustEvaluate(t, e, releaseRequest(1, 6))
	assert.Equal(t, policy.Blocked, d.Outcome)
	c, _ := d.Control("EXTRA-1")
	assert.Equal(t, policy.StatusFail, c.Status)
}

func TestReloadUnderLoad(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	builtin := e.PolicyDigest()
	extra := policy.Merge(policy.Builtin(), policy.FS(fstest.MapFS{"extra.rego": {Data: []byte(`package paved.extra

# METADATA
# custom:
#   control: EXTRA-1
deny contains v if {
	v := {"control": "EXTRA-1", "msg": "always"}
}
`)}}))
	req := releaseRequest(100, 8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]int{}
	for range 4 {
		wg.Go(func() {
			for range 25 {
				d, err := e.Evaluate(ctx, req)
				if !assert.NoError(t, err) {
					return
				}
				_, hasExtra := d.Control("EXTRA-1")
				// A decision is made on one policy set, never on a mix.
				assert.Equal(t, d.PolicyDigest != builtin, hasExtra)
				mu.Lock()
				seen[d.PolicyDigest]++
				mu.Unlock()
			}
		})
	}
	for i := range 10 {
		src := policy.Builtin()
		if i%2 == 0 {
			src = extra
		}
		require.NoError(t, e.Reload(ctx, src))
	}
	wg.Wait()
	assert.NotEmpty(t, seen)
}

// signingKey is an ES256 key pair in PEM.
type signingKey struct{ private, public string }

func newSigningKey(t *testing.T) signingKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	priv, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	require.NoError(t, err)
	return signingKey{
		private: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})),
		public:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
	}
}

const bundlePolicy = `package paved.bundled

# METADATA
# custom:
#   control: BUN-1
warn contains v if {
	v := {"control": "BUN-1", "msg": data.bundled.message}
}
`

// writeBundle writes an OPA bundle of one module and some data, signed
// with key when it is not nil, and then tampered with when tamper is set.
func writeBundle(t *testing.T, key *signingKey, tamper bool) []byte {
	t.Helper()
	b := bundle.Bundle{
		Manifest: bundle.Manifest{Revision: "rev-42"},
		Data:     map[string]any{"bundled": map[string]any{"message": "from the bundle"}},
		Modules:  []bundle.ModuleFile{{URL: "/policy/bundled.rego", Path: "/policy/bundled.rego", Raw: []byte(bundlePolicy)}},
	}
	if key != nil {
		require.NoError(t, b.GenerateSignature(bundle.NewSigningConfig(key.private, "ES256", ""), "release-key", false))
	}
	if tamper {
		b.Modules[0].Raw = bytes.Replace(b.Modules[0].Raw, []byte("warn contains"), []byte("deny contains"), 1)
	}
	var buf bytes.Buffer
	require.NoError(t, bundle.NewWriter(&buf).Write(b))
	return buf.Bytes()
}

func TestBundles(t *testing.T) {
	ctx := context.Background()
	key, other := newSigningKey(t), newSigningKey(t)

	unsigned := writeBundle(t, nil, false)
	e, err := policy.New(ctx, policy.BundleBytes("unsigned.tar.gz", unsigned), policy.WithClock(clock))
	require.NoError(t, err, "without a key, an unsigned bundle loads")
	d := mustEvaluate(t, e, releaseRequest(1, 6))
	assert.Equal(t, "rev-42", d.PolicyRevision)
	c, _ := d.Control("BUN-1")
	require.Len(t, c.Violations, 1)
	assert.Equal(t, "from the bundle", c.Violations[0].Msg)
	assert.Equal(t, "data.paved.bundled", c.Violations[0].Package)

	withKey := policy.WithBundleKey("release-key", "ES256", key.public)
	_, err = policy.New(ctx, policy.BundleBytes("unsigned.tar.gz", unsigned), withKey)
	require.ErrorIs(t, err, policy.ErrBundle, "with a key, an unsigned bundle is rejected")
	assert.Contains(t, err.Error(), "missing .signatures.json")

	signed := writeBundle(t, &key, false)
	e, err = policy.New(ctx, policy.BundleBytes("signed.tar.gz", signed), withKey, policy.WithClock(clock))
	require.NoError(t, err)
	assert.Equal(t, policy.Allowed, mustEvaluate(t, e, releaseRequest(1, 6)).Outcome)

	path := filepath.Join(t.TempDir(), "signed.tar.gz")
	require.NoError(t, os.WriteFile(path, signed, 0o600))
	_, err = policy.New(ctx, policy.Bundle(path), withKey)
	require.NoError(t, err)

	_, err = policy.New(ctx, policy.BundleBytes("tampered.tar.gz", writeBundle(t, &key, true)), withKey)
	require.ErrorIs(t, err, policy.ErrBundle, "a module changed after signing is rejected")

	_, err = policy.New(ctx, policy.BundleBytes("other.tar.gz", writeBundle(t, &other, false)), withKey)
	require.ErrorIs(t, err, policy.ErrBundle, "a bundle signed by another key is rejected")

	_, err = policy.New(ctx, policy.BundleBytes("signed.tar.gz", signed))
	require.ErrorIs(t, err, policy.ErrBundle, "a signature nobody can check is not silently ignored")

	_, err = policy.New(ctx, policy.BundleBytes("signed.tar.gz", signed), withKey, policy.WithRevision("rev-41"))
	require.ErrorIs(t, err, policy.ErrInvalidOption)

	_, err = policy.New(ctx, policy.BundleBytes("junk.tar.gz", []byte("not a tarball")))
	require.ErrorIs(t, err, policy.ErrBundle)
}

func TestOptionsValidate(t *testing.T) {
	ctx := context.Background()
	for name, opt := range map[string]policy.Option{
		"nil clock":         policy.WithClock(nil),
		"bad enforcement":   policy.WithBindings(policy.Binding{Control: "X", Enforcement: "sometimes"}),
		"duplicate binding": policy.WithBindings(policy.Binding{Control: "X", Enforcement: policy.Mandatory}, policy.Binding{Control: "X", Enforcement: policy.Advisory}),
		"bad stage":         policy.WithBindings(policy.Binding{Control: "X", Enforcement: policy.Mandatory, Stages: []string{"deploy"}}),
		"zero input cap":    policy.WithMaxInputBytes(0),
		"negative duration": policy.WithMaxExceptionDuration(-time.Hour),
		"bad algorithm":     policy.WithBundleKey("k", "XX256", "key"),
		"empty verifier":    policy.WithVerifier(""),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := policy.New(ctx, policy.Builtin(), opt)
			require.ErrorIs(t, err, policy.ErrInvalidOption)
		})
	}
	_, err := policy.New(ctx, policy.FS(fstest.MapFS{}))
	require.ErrorIs(t, err, policy.ErrCompile, "a policy set needs a module")
}

func TestPolicyDigestCoversData(t *testing.T) {
	a := newEngine(t)
	b, err := policy.New(context.Background(), policy.Builtin(), policy.WithData(map[string]any{"guardrails": map[string]any{}}))
	require.NoError(t, err)
	assert.NotEqual(t, a.PolicyDigest(), b.PolicyDigest())
	assert.Equal(t, a.PolicyDigest(), newEngine(t).PolicyDigest())
	assert.Regexp(t, "^sha256:[0-9a-f]{64}$", a.PolicyDigest())
}
