package layout_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/layout"
)

// party is a key holder: a project owner or a functionary.
type party struct {
	priv    in_toto.Key // for signing
	pub     in_toto.Key // as a layout lists it
	pem     []byte      // PKIX public key
	pavedID string      // hex sha256 of the PKIX DER public key
}

func newParty(t testing.TB, kind string) party {
	t.Helper()
	var signer crypto.Signer
	var block *pem.Block
	var err error
	switch kind {
	case "ed25519":
		_, signer, err = ed25519.GenerateKey(rand.Reader)
	case "ecdsa":
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	require.NoError(t, err)
	if k, ok := signer.(*rsa.PrivateKey); ok {
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	} else {
		der, err := x509.MarshalPKCS8PrivateKey(signer)
		require.NoError(t, err)
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	var priv in_toto.Key
	require.NoError(t, priv.LoadKeyReaderDefaults(bytes.NewReader(pem.EncodeToMemory(block))))
	pub := priv
	pub.KeyVal.Private = ""
	der, err := x509.MarshalPKIXPublicKey(signer.Public())
	require.NoError(t, err)
	sum := sha256.Sum256(der)
	return party{
		priv:    priv,
		pub:     pub,
		pem:     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		pavedID: hex.EncodeToString(sum[:]),
	}
}

func (p party) functionary() layout.Functionary {
	f := layout.Functionary{InTotoKeyID: p.pub.KeyID}
	f.Identity.KeyID = p.pavedID
	return f
}

// The commands of the test supply chain: build upper-cases src.txt into
// app.txt; package prefixes it with a header into app.pkg.
var (
	buildCmd   = []string{"sh", "-c", "tr a-z A-Z < src.txt > app.txt"}
	packageCmd = []string{"sh", "-c", "(echo package; cat app.txt) > app.pkg"}
)

const (
	srcContent = "hello\n"
	pkgContent = "package\nHELLO\n"
)

// chain is a supply chain under construction: keys, a work directory where
// steps run, and a link directory.
type chain struct {
	t                                 testing.TB
	owner, alice, bob, carol, mallory party
	work, links                       string
	dsse                              bool // record links as DSSE envelopes
	expires                           time.Time
}

func newChain(t testing.TB) *chain {
	t.Helper()
	c := &chain{
		t:       t,
		owner:   newParty(t, "ed25519"),
		alice:   newParty(t, "ecdsa"),
		bob:     newParty(t, "ed25519"),
		carol:   newParty(t, "ed25519"),
		mallory: newParty(t, "ed25519"),
		work:    t.TempDir(),
		links:   t.TempDir(),
		expires: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second),
	}
	c.write("src.txt", srcContent)
	return c
}

func (c *chain) write(name, content string) {
	c.t.Helper()
	require.NoError(c.t, os.WriteFile(filepath.Join(c.work, name), []byte(content), 0o600))
}

func step(name string, threshold int, cmd []string, materials, products [][]string, by ...party) in_toto.Step {
	s := in_toto.Step{
		Type:            "step",
		Threshold:       threshold,
		ExpectedCommand: cmd,
		SupplyChainItem: in_toto.SupplyChainItem{Name: name, ExpectedMaterials: materials, ExpectedProducts: products},
	}
	for _, p := range by {
		s.PubKeys = append(s.PubKeys, p.pub.KeyID)
	}
	return s
}

// layout returns the two-step layout: alice builds, bob packages.
func (c *chain) layout() in_toto.Layout {
	return in_toto.Layout{
		Type:    "layout",
		Expires: c.expires.Format(in_toto.ISO8601DateSchema),
		Readme:  "paved test supply chain",
		Keys:    keys(c.alice, c.bob),
		Steps: []in_toto.Step{
			step("build", 1, buildCmd,
				[][]string{{"ALLOW", "src.txt"}, {"DISALLOW", "*"}},
				[][]string{{"CREATE", "app.txt"}, {"DISALLOW", "*"}}, c.alice),
			step("package", 1, packageCmd,
				[][]string{{"MATCH", "app.txt", "WITH", "PRODUCTS", "FROM", "build"}, {"DISALLOW", "*"}},
				[][]string{{"CREATE", "app.pkg"}, {"DISALLOW", "*"}}, c.bob),
		},
		Inspect: []in_toto.Inspection{},
	}
}

func keys(ps ...party) map[string]in_toto.Key {
	out := map[string]in_toto.Key{}
	for _, p := range ps {
		out[p.pub.KeyID] = p.pub
	}
	return out
}

// sign signs a layout (or link) with each signer: a metablock, or, with
// dsse, an envelope (in-toto-golang's envelopes hold one signature).
func (c *chain) sign(payload any, dsse bool, signers ...party) []byte {
	c.t.Helper()
	if dsse {
		require.Len(c.t, signers, 1, "in-toto-golang signs an envelope with one key")
		env := &in_toto.Envelope{}
		require.NoError(c.t, env.SetPayload(payload))
		require.NoError(c.t, env.Sign(signers[0].priv))
		path := filepath.Join(c.t.TempDir(), "envelope.json")
		require.NoError(c.t, env.Dump(path))
		data, err := os.ReadFile(path)
		require.NoError(c.t, err)
		return data
	}
	mb := &in_toto.Metablock{Signed: payload, Signatures: []in_toto.Signature{}}
	for _, s := range signers {
		require.NoError(c.t, mb.Sign(s.priv))
	}
	data, err := json.Marshal(mb)
	require.NoError(c.t, err)
	return data
}

// linkPath is where a functionary's link for a step belongs in dir.
func linkPath(dir, step string, by party) string {
	return filepath.Join(dir, fmt.Sprintf(in_toto.LinkNameFormat, step, by.pub.KeyID))
}

// run performs a step in the work directory with in-toto-run and stores
// the signed link in the link directory.
func (c *chain) run(name string, by party, materials, products []string, cmd ...string) {
	c.runInto(c.links, name, by, materials, products, cmd...)
}

func (c *chain) runInto(linkDir, name string, by party, materials, products []string, cmd ...string) {
	c.t.Helper()
	abs := func(names []string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(c.work, n))
		}
		return out
	}
	md, err := in_toto.InTotoRun(name, c.work, abs(materials), abs(products), cmd, by.priv,
		[]string{"sha256"}, nil, []string{c.work + string(filepath.Separator)}, false, false, c.dsse)
	require.NoError(c.t, err)
	require.NoError(c.t, os.MkdirAll(linkDir, 0o700))
	require.NoError(c.t, md.Dump(linkPath(linkDir, name, by)))
}

// buildAndPackage performs both steps of the default layout.
func (c *chain) buildAndPackage() {
	c.run("build", c.alice, []string{"src.txt"}, []string{"app.txt"}, buildCmd...)
	c.run("package", c.bob, []string{"app.txt"}, []string{"app.pkg"}, packageCmd...)
}

// verifier returns a verifier trusting the owner's key.
func (c *chain) verifier(opts ...layout.Option) *layout.Verifier {
	c.t.Helper()
	keys, err := layout.ParsePublicKeys(c.owner.pem)
	require.NoError(c.t, err)
	v, err := layout.NewVerifier(keys, opts...)
	require.NoError(c.t, err)
	return v
}

// verify parses layoutJSON and verifies it against the chain's links with
// the owner's key.
func (c *chain) verify(layoutJSON []byte, opts ...layout.Option) (*layout.Result, error) {
	c.t.Helper()
	l, err := layout.Parse(layoutJSON)
	if err != nil {
		return nil, err
	}
	return c.verifier(opts...).Verify(c.t.Context(), l, c.links)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
