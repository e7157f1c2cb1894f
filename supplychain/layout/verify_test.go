package layout_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/layout"
)

func TestVerifyAcceptsSupplyChain(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsse bool
	}{
		{"metablock", false},
		{"dsse", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t)
			c.dsse = tc.dsse
			c.buildAndPackage()

			res, err := c.verify(c.sign(c.layout(), tc.dsse, c.owner))
			require.NoError(t, err)

			assert.Equal(t, map[string]supplychain.DigestSet{"app.pkg": {"sha256": sha256Hex(pkgContent)}}, res.Products)
			require.Len(t, res.Steps, 2)
			assert.Equal(t, layout.StepResult{Name: "build", Functionaries: []layout.Functionary{c.alice.functionary()}, Command: buildCmd}, res.Steps[0])
			assert.Equal(t, layout.StepResult{Name: "package", Functionaries: []layout.Functionary{c.bob.functionary()}, Command: packageCmd}, res.Steps[1])
			assert.Equal(t, []layout.Functionary{c.owner.functionary()}, res.LayoutSigners)
			assert.True(t, c.expires.Equal(res.Expires), "expires %s, want %s", res.Expires, c.expires)
			assert.Empty(t, res.Inspections)
			assert.Empty(t, res.SkippedInspections)
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	tests := []struct {
		name string
		// setup performs the supply chain and returns the signed layout.
		setup    func(c *chain) []byte
		opts     func(c *chain) []layout.Option
		want     error
		wantStep string
		also     error // another error the failure wraps
	}{
		{
			name: "tampered layout",
			setup: func(c *chain) []byte {
				c.buildAndPackage()
				signed := c.sign(c.layout(), false, c.owner)
				later := c.expires.AddDate(10, 0, 0).Format(in_toto.ISO8601DateSchema)
				tampered := bytes.Replace(signed, []byte(c.layout().Expires), []byte(later), 1)
				require.NotEqual(c.t, signed, tampered)
				return tampered
			},
			want: layout.ErrLayoutSignature,
		},
		{
			name: "tampered dsse layout",
			setup: func(c *chain) []byte {
				c.buildAndPackage()
				lay := c.layout()
				signed := c.sign(lay, true, c.owner)
				lay.Steps[1].ExpectedProducts = [][]string{{"ALLOW", "*"}}
				other := c.sign(lay, true, c.mallory)
				// Keep the owner's signature, swap in another payload.
				var env, evil map[string]any
				require.NoError(c.t, json.Unmarshal(signed, &env))
				require.NoError(c.t, json.Unmarshal(other, &evil))
				env["payload"] = evil["payload"]
				tampered, err := json.Marshal(env)
				require.NoError(c.t, err)
				return tampered
			},
			want: layout.ErrLayoutSignature,
		},
		{
			name: "layout signed by another key",
			setup: func(c *chain) []byte {
				c.buildAndPackage()
				return c.sign(c.layout(), false, c.mallory)
			},
			want: layout.ErrLayoutSignature,
		},
		{
			name: "expired layout",
			setup: func(c *chain) []byte {
				c.buildAndPackage()
				return c.sign(c.layout(), false, c.owner)
			},
			opts: func(c *chain) []layout.Option {
				return []layout.Option{layout.WithClock(func() time.Time { return c.expires.Add(time.Second) })}
			},
			want: layout.ErrLayoutExpired,
		},
		{
			name: "missing link",
			setup: func(c *chain) []byte {
				c.buildAndPackage()
				require.NoError(c.t, os.Remove(linkPath(c.links, "package", c.bob)))
				return c.sign(c.layout(), false, c.owner)
			},
			want: layout.ErrLinkThreshold, wantStep: "package",
		},
		{
			name: "link signed by a non-functionary",
			setup: func(c *chain) []byte {
				c.run("build", c.alice, []string{"src.txt"}, []string{"app.txt"}, buildCmd...)
				c.run("package", c.mallory, []string{"app.txt"}, []string{"app.pkg"}, packageCmd...)
				return c.sign(c.layout(), false, c.owner)
			},
			want: layout.ErrLinkThreshold, wantStep: "package",
		},
		{
			name: "link signed by the functionary of another step",
			setup: func(c *chain) []byte {
				c.run("build", c.alice, []string{"src.txt"}, []string{"app.txt"}, buildCmd...)
				c.run("package", c.alice, []string{"app.txt"}, []string{"app.pkg"}, packageCmd...)
				return c.sign(c.layout(), false, c.owner)
			},
			want: layout.ErrLinkThreshold, wantStep: "package",
		},
		{
			name: "threshold not met",
			setup: func(c *chain) []byte {
				c.buildAndPackage()
				lay := c.layout()
				lay.Keys = keys(c.alice, c.bob, c.carol)
				lay.Steps[1].Threshold = 2
				lay.Steps[1].PubKeys = []string{c.bob.pub.KeyID, c.carol.pub.KeyID}
				return c.sign(lay, false, c.owner)
			},
			want: layout.ErrLinkThreshold, wantStep: "package",
		},
		{
			name: "tampered link",
			setup: func(c *chain) []byte {
				c.buildAndPackage()
				path := linkPath(c.links, "package", c.bob)
				data, err := os.ReadFile(path)
				require.NoError(c.t, err)
				tampered := bytes.Replace(data, []byte(sha256Hex(pkgContent)), []byte(sha256Hex("evil")), 1)
				require.NotEqual(c.t, data, tampered)
				require.NoError(c.t, os.WriteFile(path, tampered, 0o600))
				return c.sign(c.layout(), false, c.owner)
			},
			want: layout.ErrLinkThreshold, wantStep: "package",
		},
		{
			name: "link of another step under this step's name",
			setup: func(c *chain) []byte {
				c.run("build", c.alice, []string{"src.txt"}, []string{"app.txt"}, buildCmd...)
				data, err := os.ReadFile(linkPath(c.links, "build", c.alice))
				require.NoError(c.t, err)
				require.NoError(c.t, os.WriteFile(linkPath(c.links, "package", c.alice), data, 0o600))
				lay := c.layout()
				lay.Steps[1].PubKeys = append(lay.Steps[1].PubKeys, c.alice.pub.KeyID)
				return c.sign(lay, false, c.owner)
			},
			want: layout.ErrLinkThreshold, wantStep: "package", also: layout.ErrInvalidLink,
		},
		{
			name: "product modified between steps",
			setup: func(c *chain) []byte {
				c.run("build", c.alice, []string{"src.txt"}, []string{"app.txt"}, buildCmd...)
				c.write("app.txt", "EVIL\n")
				c.run("package", c.bob, []string{"app.txt"}, []string{"app.pkg"}, packageCmd...)
				return c.sign(c.layout(), false, c.owner)
			},
			want: layout.ErrArtifactRule, wantStep: "package",
		},
		{
			name: "unexpected product",
			setup: func(c *chain) []byte {
				c.write("stray.txt", "stray\n")
				c.run("build", c.alice, []string{"src.txt"}, []string{"app.txt", "stray.txt"}, buildCmd...)
				c.run("package", c.bob, []string{"app.txt"}, []string{"app.pkg"}, packageCmd...)
				return c.sign(c.layout(), false, c.owner)
			},
			want: layout.ErrArtifactRule, wantStep: "build",
		},
		{
			name: "links of one step disagree",
			setup: func(c *chain) []byte {
				c.run("build", c.alice, []string{"src.txt"}, []string{"app.txt"}, buildCmd...)
				c.run("package", c.bob, []string{"app.txt"}, []string{"app.pkg"}, packageCmd...)
				c.run("package", c.carol, []string{"app.txt"}, []string{"app.pkg"}, "sh", "-c", "echo other > app.pkg")
				lay := c.layout()
				lay.Keys = keys(c.alice, c.bob, c.carol)
				lay.Steps[1].Threshold = 2
				lay.Steps[1].PubKeys = []string{c.bob.pub.KeyID, c.carol.pub.KeyID}
				return c.sign(lay, false, c.owner)
			},
			want: layout.ErrLinksDisagree, wantStep: "package",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t)
			signed := tc.setup(c)
			var opts []layout.Option
			if tc.opts != nil {
				opts = tc.opts(c)
			}
			res, err := c.verify(signed, opts...)
			require.Error(t, err)
			assert.Nil(t, res)
			assert.ErrorIs(t, err, tc.want)
			if tc.also != nil {
				assert.ErrorIs(t, err, tc.also)
			}
			var ve *layout.VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.wantStep, ve.Step)
			assert.Equal(t, "verify", ve.Op)
			prefix := "layout: verify: "
			if tc.wantStep != "" {
				prefix = `layout: verify step "` + tc.wantStep + `": `
			}
			assert.True(t, strings.HasPrefix(err.Error(), prefix+strings.TrimPrefix(tc.want.Error(), "layout: ")), err.Error())
		})
	}
}

func TestArtifactRules(t *testing.T) {
	allowAll := [][]string{{"ALLOW", "*"}}
	tests := []struct {
		name                string
		cmd                 string
		materials, products [][]string
		ok                  bool
	}{
		{"create", "echo new > out.txt", allowAll, [][]string{{"CREATE", "out.txt"}, {"ALLOW", "*.txt"}, {"DISALLOW", "*"}}, true},
		{"create of an existing file", "true", allowAll, [][]string{{"CREATE", "in.txt"}, {"ALLOW", "keep.txt"}, {"DISALLOW", "*"}}, false},
		{"modify", "echo more >> in.txt", allowAll, [][]string{{"MODIFY", "in.txt"}, {"ALLOW", "keep.txt"}, {"DISALLOW", "*"}}, true},
		{"modify of an unchanged file", "true", allowAll, [][]string{{"MODIFY", "in.txt"}, {"ALLOW", "keep.txt"}, {"DISALLOW", "*"}}, false},
		{"delete", "rm in.txt", [][]string{{"DELETE", "in.txt"}, {"ALLOW", "keep.txt"}, {"DISALLOW", "*"}}, allowAll, true},
		{"delete of a kept file", "true", [][]string{{"DELETE", "in.txt"}, {"ALLOW", "keep.txt"}, {"DISALLOW", "*"}}, allowAll, false},
		{"require", "true", allowAll, [][]string{{"REQUIRE", "keep.txt"}, {"ALLOW", "*"}}, true},
		{"require of a missing file", "true", allowAll, [][]string{{"REQUIRE", "missing.txt"}, {"ALLOW", "*"}}, false},
		{"disallow", "echo s > secret.key", allowAll, [][]string{{"DISALLOW", "*.key"}, {"ALLOW", "*"}}, false},
		{"allow by pattern", "echo s > sub.txt", allowAll, [][]string{{"ALLOW", "*.txt"}, {"DISALLOW", "*"}}, true},
		{"match own materials", "true", allowAll, [][]string{{"MATCH", "*", "WITH", "MATERIALS", "FROM", "only"}, {"DISALLOW", "*"}}, true},
		{"match own materials after a change", "echo more >> in.txt", allowAll, [][]string{{"MATCH", "*", "WITH", "MATERIALS", "FROM", "only"}, {"DISALLOW", "*"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t)
			c.write("in.txt", "in\n")
			c.write("keep.txt", "keep\n")
			require.NoError(t, os.Remove(filepath.Join(c.work, "src.txt")))
			cmd := []string{"sh", "-c", tc.cmd}
			c.run("only", c.alice, []string{"."}, []string{"."}, cmd...)
			lay := c.layout()
			lay.Steps = []in_toto.Step{step("only", 1, cmd, tc.materials, tc.products, c.alice)}

			_, err := c.verify(c.sign(lay, false, c.owner))
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, layout.ErrArtifactRule)
			var ve *layout.VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "only", ve.Step)
		})
	}
}

// inspectionLayout is the default layout with an inspection that unpacks
// the final product and checks it against what the steps produced.
func (c *chain) inspectionLayout(run ...string) in_toto.Layout {
	if len(run) == 0 {
		run = []string{"sh", "-c", "mkdir -p out && sed 1d app.pkg > out/app.txt"}
	}
	lay := c.layout()
	lay.Inspect = []in_toto.Inspection{{
		Type: "inspection",
		Run:  run,
		SupplyChainItem: in_toto.SupplyChainItem{
			Name:              "unpack",
			ExpectedMaterials: [][]string{{"MATCH", "app.pkg", "WITH", "PRODUCTS", "FROM", "package"}, {"DISALLOW", "*"}},
			ExpectedProducts: [][]string{
				{"MATCH", "app.pkg", "WITH", "PRODUCTS", "FROM", "package"},
				{"MATCH", "app.txt", "IN", "out", "WITH", "PRODUCTS", "FROM", "build"},
				{"DISALLOW", "*"},
			},
		},
	}}
	return lay
}

// inspectionDir returns a directory holding the final product.
func (c *chain) inspectionDir(pkg string) string {
	dir := c.t.TempDir()
	require.NoError(c.t, os.WriteFile(filepath.Join(dir, "app.pkg"), []byte(pkg), 0o600))
	return dir
}

func TestVerifyInspections(t *testing.T) {
	t.Run("rejected and not run without the unsafe option", func(t *testing.T) {
		c := newChain(t)
		c.buildAndPackage()
		dir := c.inspectionDir(pkgContent)
		l, err := layout.Parse(c.sign(c.inspectionLayout("sh", "-c", "touch "+filepath.Join(dir, "ran")), false, c.owner))
		require.NoError(t, err)
		assert.Equal(t, []string{"unpack"}, l.Inspections())

		_, err = c.verifier().Verify(t.Context(), l, c.links)
		require.ErrorIs(t, err, layout.ErrInspectionsDisabled)
		assert.Contains(t, err.Error(), "WithInspectionsUnsafe")
		assert.NoFileExists(t, filepath.Join(dir, "ran"), "the inspection must not run")
	})

	t.Run("run with the unsafe option", func(t *testing.T) {
		c := newChain(t)
		c.buildAndPackage()
		dir := c.inspectionDir(pkgContent)
		res, err := c.verify(c.sign(c.inspectionLayout(), false, c.owner), layout.WithInspectionsUnsafe(dir))
		require.NoError(t, err)
		assert.Equal(t, []string{"unpack"}, res.Inspections)
		assert.Equal(t, map[string]supplychain.DigestSet{"app.pkg": {"sha256": sha256Hex(pkgContent)}}, res.Products)
		got, err := os.ReadFile(filepath.Join(dir, "out", "app.txt"))
		require.NoError(t, err)
		assert.Equal(t, "HELLO\n", string(got))
	})

	t.Run("artifact rules of the inspection fail", func(t *testing.T) {
		c := newChain(t)
		c.buildAndPackage()
		dir := c.inspectionDir("package\nEVIL\n")
		_, err := c.verify(c.sign(c.inspectionLayout(), false, c.owner), layout.WithInspectionsUnsafe(dir))
		require.ErrorIs(t, err, layout.ErrArtifactRule)
		var ve *layout.VerificationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "unpack", ve.Step)
	})

	t.Run("command fails", func(t *testing.T) {
		c := newChain(t)
		c.buildAndPackage()
		_, err := c.verify(c.sign(c.inspectionLayout("sh", "-c", "echo broken >&2; exit 3"), false, c.owner),
			layout.WithInspectionsUnsafe(c.inspectionDir(pkgContent)))
		require.ErrorIs(t, err, layout.ErrInspectionFailed)
		var ve *layout.VerificationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "unpack", ve.Step)
		assert.Equal(t, "inspect", ve.Op)
		assert.Contains(t, err.Error(), "status 3: broken")
	})

	t.Run("command cancelled with the context", func(t *testing.T) {
		c := newChain(t)
		c.buildAndPackage()
		l, err := layout.Parse(c.sign(c.inspectionLayout("sleep", "30"), false, c.owner))
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = c.verifier(layout.WithInspectionsUnsafe(c.inspectionDir(pkgContent))).Verify(ctx, l, c.links)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorIs(t, err, layout.ErrInspectionFailed)
		assert.Less(t, time.Since(start), 10*time.Second)
	})

	t.Run("skipped with the skip option", func(t *testing.T) {
		c := newChain(t)
		c.buildAndPackage()
		dir := c.inspectionDir(pkgContent)
		res, err := c.verify(c.sign(c.inspectionLayout("sh", "-c", "touch "+filepath.Join(dir, "ran")), false, c.owner),
			layout.WithSkipInspectionsUnsafe())
		require.NoError(t, err)
		assert.Equal(t, []string{"unpack"}, res.SkippedInspections)
		assert.Empty(t, res.Inspections)
		assert.NoFileExists(t, filepath.Join(dir, "ran"))
	})
}

func TestVerifySublayout(t *testing.T) {
	// Alice delegates "build" to a sublayout in which carol compiles.
	setup := func(c *chain, subExpires time.Time) []byte {
		sub := in_toto.Layout{
			Type:    "layout",
			Expires: subExpires.UTC().Format(in_toto.ISO8601DateSchema),
			Keys:    keys(c.carol),
			Steps: []in_toto.Step{step("compile", 1, buildCmd,
				[][]string{{"ALLOW", "src.txt"}, {"DISALLOW", "*"}},
				[][]string{{"CREATE", "app.txt"}, {"DISALLOW", "*"}}, c.carol)},
			Inspect: []in_toto.Inspection{},
		}
		require.NoError(t, os.WriteFile(linkPath(c.links, "build", c.alice), c.sign(sub, false, c.alice), 0o600))
		subDir := filepath.Join(c.links, "build."+c.alice.pub.KeyID[:8])
		c.runInto(subDir, "compile", c.carol, []string{"src.txt"}, []string{"app.txt"}, buildCmd...)
		c.run("package", c.bob, []string{"app.txt"}, []string{"app.pkg"}, packageCmd...)
		return c.sign(c.layout(), false, c.owner)
	}

	t.Run("verified", func(t *testing.T) {
		c := newChain(t)
		res, err := c.verify(setup(c, c.expires))
		require.NoError(t, err)
		assert.Equal(t, map[string]supplychain.DigestSet{"app.pkg": {"sha256": sha256Hex(pkgContent)}}, res.Products)
		require.Len(t, res.Steps, 2)
		build := res.Steps[0]
		assert.Equal(t, []layout.Functionary{c.alice.functionary()}, build.Functionaries)
		require.Len(t, build.Sublayouts, 1)
		sub := build.Sublayouts[0]
		assert.Equal(t, []layout.Functionary{c.alice.functionary()}, sub.LayoutSigners)
		require.Len(t, sub.Steps, 1)
		assert.Equal(t, "compile", sub.Steps[0].Name)
		assert.Equal(t, []layout.Functionary{c.carol.functionary()}, sub.Steps[0].Functionaries)
		assert.Equal(t, map[string]supplychain.DigestSet{"app.txt": {"sha256": sha256Hex("HELLO\n")}}, sub.Products)
	})

	t.Run("expired sublayout", func(t *testing.T) {
		c := newChain(t)
		_, err := c.verify(setup(c, time.Now().Add(-time.Hour)))
		require.ErrorIs(t, err, layout.ErrLayoutExpired)
		var ve *layout.VerificationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "build", ve.Step)
	})

	t.Run("missing sublayout link", func(t *testing.T) {
		c := newChain(t)
		signed := setup(c, c.expires)
		require.NoError(t, os.Remove(linkPath(filepath.Join(c.links, "build."+c.alice.pub.KeyID[:8]), "compile", c.carol)))
		_, err := c.verify(signed)
		require.ErrorIs(t, err, layout.ErrLinkThreshold)
		var ve *layout.VerificationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "build/compile", ve.Step)
	})
}

func TestVerifyLayoutThreshold(t *testing.T) {
	c := newChain(t)
	c.buildAndPackage()
	owner2 := newParty(t, "rsa")
	rootKeys, err := layout.ParsePublicKeys(append(append([]byte{}, c.owner.pem...), owner2.pem...))
	require.NoError(t, err)
	require.Len(t, rootKeys, 2)

	verify := func(signed []byte, opts ...layout.Option) (*layout.Result, error) {
		l, err := layout.Parse(signed)
		require.NoError(t, err)
		v, err := layout.NewVerifier(rootKeys, opts...)
		require.NoError(t, err)
		return v.Verify(t.Context(), l, c.links)
	}

	one := c.sign(c.layout(), false, c.owner)
	_, err = verify(one)
	require.ErrorIs(t, err, layout.ErrLayoutSignature, "by default every root key must sign")
	assert.Contains(t, err.Error(), "1 of 2 root keys signed validly, 2 required")

	res, err := verify(one, layout.WithLayoutThreshold(1))
	require.NoError(t, err)
	assert.Equal(t, []layout.Functionary{c.owner.functionary()}, res.LayoutSigners)

	res, err = verify(c.sign(c.layout(), false, c.owner, owner2))
	require.NoError(t, err)
	assert.ElementsMatch(t, []layout.Functionary{c.owner.functionary(), owner2.functionary()}, res.LayoutSigners)
}

func TestVerifyParameters(t *testing.T) {
	c := newChain(t)
	c.buildAndPackage()
	lay := c.layout()
	lay.Steps[1].ExpectedProducts = [][]string{{"CREATE", "{PACKAGE}"}, {"DISALLOW", "*"}}
	l, err := layout.Parse(c.sign(lay, false, c.owner))
	require.NoError(t, err)

	res, err := c.verifier(layout.WithParameters(map[string]string{"PACKAGE": "app.pkg"})).Verify(t.Context(), l, c.links)
	require.NoError(t, err)
	assert.Contains(t, res.Products, "app.pkg")

	// The parsed layout is not changed by substitution.
	_, err = c.verifier().Verify(t.Context(), l, c.links)
	require.ErrorIs(t, err, layout.ErrArtifactRule)

	_, err = c.verifier(layout.WithParameters(map[string]string{"PACKAGE": "[bad"})).Verify(t.Context(), l, c.links)
	require.ErrorIs(t, err, layout.ErrInvalidLayout)
}

func TestVerifyLogsCommandMismatch(t *testing.T) {
	c := newChain(t)
	c.run("build", c.alice, []string{"src.txt"}, []string{"app.txt"}, "sh", "-c", "tr a-z A-Z <src.txt >app.txt")
	c.run("package", c.bob, []string{"app.txt"}, []string{"app.pkg"}, packageCmd...)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))

	_, err := c.verify(c.sign(c.layout(), false, c.owner), layout.WithLogger(logger))
	require.NoError(t, err, "in-toto only warns about a command mismatch")
	assert.Contains(t, logs.String(), "link command differs")
	assert.Contains(t, logs.String(), "step=build")
	assert.NotContains(t, logs.String(), "step=package")
}

func TestVerifyConcurrent(t *testing.T) {
	c := newChain(t)
	c.buildAndPackage()
	l, err := layout.Parse(c.sign(c.layout(), false, c.owner))
	require.NoError(t, err)
	v := c.verifier()

	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			res, err := v.Verify(t.Context(), l, c.links)
			if err == nil && res.Products["app.pkg"]["sha256"] != sha256Hex(pkgContent) {
				err = errors.New("wrong product digest")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
}

func TestNewVerifier(t *testing.T) {
	c := newChain(t)
	rootKeys, err := layout.ParsePublicKeys(c.owner.pem)
	require.NoError(t, err)

	tests := []struct {
		name string
		keys []layout.PublicKey
		opts []layout.Option
		want error
	}{
		{"no keys", nil, nil, layout.ErrInvalidKey},
		{"zero key", []layout.PublicKey{{}}, nil, layout.ErrInvalidKey},
		{"duplicate key", append(rootKeys, rootKeys...), nil, layout.ErrInvalidKey},
		{"nil option", rootKeys, []layout.Option{nil}, layout.ErrInvalidOption},
		{"nil clock", rootKeys, []layout.Option{layout.WithClock(nil)}, layout.ErrInvalidOption},
		{"nil logger", rootKeys, []layout.Option{layout.WithLogger(nil)}, layout.ErrInvalidOption},
		{"zero threshold", rootKeys, []layout.Option{layout.WithLayoutThreshold(0)}, layout.ErrInvalidOption},
		{"threshold above the keys", rootKeys, []layout.Option{layout.WithLayoutThreshold(2)}, layout.ErrInvalidOption},
		{"empty inspection directory", rootKeys, []layout.Option{layout.WithInspectionsUnsafe("")}, layout.ErrInvalidOption},
		{"no parameters", rootKeys, []layout.Option{layout.WithParameters(nil)}, layout.ErrInvalidOption},
		{"bad parameter name", rootKeys, []layout.Option{layout.WithParameters(map[string]string{"a b": "x"})}, layout.ErrInvalidOption},
		{"option given twice", rootKeys, []layout.Option{layout.WithClock(time.Now), layout.WithClock(time.Now)}, layout.ErrInvalidOption},
		{"run and skip inspections", rootKeys, []layout.Option{layout.WithInspectionsUnsafe(t.TempDir()), layout.WithSkipInspectionsUnsafe()}, layout.ErrInvalidOption},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := layout.NewVerifier(tc.keys, tc.opts...)
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, v)
			assert.True(t, strings.HasPrefix(err.Error(), "layout: configure: "), err.Error())
		})
	}

	v, err := layout.NewVerifier(rootKeys, layout.WithClock(time.Now), layout.WithLogger(slog.Default()),
		layout.WithLayoutThreshold(1), layout.WithParameters(map[string]string{"X": "y"}), layout.WithInspectionsUnsafe(t.TempDir()))
	require.NoError(t, err)
	assert.NotNil(t, v)
}

func TestVerifyCertificateFunctionary(t *testing.T) {
	c := newChain(t)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test root"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, caKey.Public(), caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	var root in_toto.Key
	require.NoError(t, root.LoadKeyReaderDefaults(bytes.NewReader(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))))

	// Alice's key, certified for the build step's SPIFFE ID.
	spiffe, err := url.Parse("spiffe://example.com/build")
	require.NoError(t, err)
	alicePub, err := x509.ParsePKIXPublicKey(mustPEMBytes(t, c.alice.pem))
	require.NoError(t, err)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "build.example.com"},
		URIs:         []*url.URL{spiffe},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}, caCert, alicePub, caKey)
	require.NoError(t, err)
	c.alice.priv.KeyVal.Certificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}))
	c.buildAndPackage()

	lay := c.layout()
	lay.Keys = keys(c.bob)
	lay.RootCas = map[string]in_toto.Key{root.KeyID: root}
	lay.Steps[0].PubKeys = []string{}
	lay.Steps[0].CertificateConstraints = []in_toto.CertificateConstraint{{
		CommonName: "build.example.com",
		URIs:       []string{spiffe.String()},
		Roots:      []string{root.KeyID},
	}}
	res, err := c.verify(c.sign(lay, false, c.owner))
	require.NoError(t, err)
	want := c.alice.functionary()
	want.Identity.Subject = spiffe.String()
	assert.Equal(t, []layout.Functionary{want}, res.Steps[0].Functionaries)

	lay.Steps[0].CertificateConstraints[0].URIs = []string{"spiffe://example.com/other"}
	_, err = c.verify(c.sign(lay, false, c.owner))
	require.ErrorIs(t, err, layout.ErrLinkThreshold, "a certificate outside the constraints is no functionary")
}

func mustPEMBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	return block.Bytes
}

func TestVerifyIgnoresInvalidLinks(t *testing.T) {
	c := newChain(t)
	c.buildAndPackage()
	require.NoError(t, os.WriteFile(filepath.Join(c.links, "package.00000000.link"), []byte("not json"), 0o600))
	big := filepath.Join(c.links, "package.11111111.link")
	require.NoError(t, os.WriteFile(big, nil, 0o600))
	require.NoError(t, os.Truncate(big, layout.MaxLinkSize+1))
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	res, err := c.verify(c.sign(c.layout(), false, c.owner), layout.WithLogger(logger))
	require.NoError(t, err)
	assert.Equal(t, []layout.Functionary{c.bob.functionary()}, res.Steps[1].Functionaries)
	assert.Contains(t, logs.String(), "package.00000000.link")
	assert.Contains(t, logs.String(), "package.11111111.link")

	// Without bob's link, the reasons come with the threshold failure.
	require.NoError(t, os.Remove(linkPath(c.links, "package", c.bob)))
	_, err = c.verify(c.sign(c.layout(), false, c.owner))
	require.ErrorIs(t, err, layout.ErrLinkThreshold)
	assert.ErrorIs(t, err, layout.ErrInvalidLink)
	assert.Contains(t, err.Error(), "more than the 67108864 allowed")

	for i := range layout.MaxLinksPerStep + 1 {
		name := fmt.Sprintf("package.%08x.link", i)
		require.NoError(t, os.WriteFile(filepath.Join(c.links, name), nil, 0o600))
	}
	_, err = c.verify(c.sign(c.layout(), false, c.owner))
	require.ErrorIs(t, err, layout.ErrLinkThreshold)
	assert.Contains(t, err.Error(), "link files, more than the 256 allowed")
}

func TestVerifyContextAndNilLayout(t *testing.T) {
	c := newChain(t)
	c.buildAndPackage()
	l, err := layout.Parse(c.sign(c.layout(), false, c.owner))
	require.NoError(t, err)
	v := c.verifier()

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = v.Verify(ctx, l, c.links)
	require.ErrorIs(t, err, context.Canceled)

	_, err = v.Verify(t.Context(), nil, c.links)
	require.ErrorIs(t, err, layout.ErrInvalidLayout)

	_, err = v.Verify(t.Context(), l, filepath.Join(t.TempDir(), "absent"))
	require.ErrorIs(t, err, layout.ErrLinkThreshold, "a missing link directory holds no links")
}
