package layout_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "regenerate testdata/demo and the FuzzParse seed corpus")

// demoExpires is when the demo layout in testdata/demo expires.
var demoExpires = time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC)

// TestGenerateFixtures regenerates, with -update, the supply chain the
// example verifies (testdata/demo: the owner's public key, the signed
// layout and the two links, made with new keys by in-toto-golang) and the
// seed corpus of FuzzParse.
func TestGenerateFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate testdata")
	}
	c := newChain(t)
	c.expires = demoExpires
	c.buildAndPackage()

	demo := filepath.Join("testdata", "demo")
	require.NoError(t, os.RemoveAll(demo))
	require.NoError(t, os.MkdirAll(demo, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(demo, "owner.pub"), c.owner.pem, 0o644))
	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, c.sign(c.layout(), false, c.owner), "", "  "))
	signed := indented.Bytes()
	require.NoError(t, os.WriteFile(filepath.Join(demo, "root.layout"), signed, 0o644))
	links, err := filepath.Glob(filepath.Join(c.links, "*.link"))
	require.NoError(t, err)
	require.Len(t, links, 2)
	var link []byte
	for _, l := range links {
		link, err = os.ReadFile(l)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(demo, filepath.Base(l)), link, 0o644))
	}

	corpus := filepath.Join("testdata", "fuzz", "FuzzParse")
	require.NoError(t, os.RemoveAll(corpus))
	require.NoError(t, os.MkdirAll(corpus, 0o755))
	dsse := c.sign(c.inspectionLayout(), true, c.owner)
	for name, data := range map[string][]byte{
		"metablock":            signed,
		"dsse-with-inspection": dsse,
		"link":                 link,
		"truncated":            signed[:len(signed)/2],
		"dsse-truncated":       dsse[:len(dsse)*3/4],
	} {
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		require.NoError(t, os.WriteFile(filepath.Join(corpus, name), []byte(seed), 0o644))
	}
}
