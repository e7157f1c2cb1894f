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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/layout"
)

var update = flag.Bool("update", false, "regenerate testdata/demo and the FuzzParse seed corpus")

// demoExpires is when the demo layout in testdata/demo expires.
var demoExpires = time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC)

// TestDemoFixtures checks the committed fixtures: the supply chain the
// example verifies (testdata/demo: the owner's public key, the signed
// layout and the two links) parses with the expected steps and expiry, and
// the FuzzParse seed corpus is there. With -update it first regenerates
// them, with new keys, through in-toto-golang.
func TestDemoFixtures(t *testing.T) {
	if *update {
		regenerateFixtures(t)
	}
	l, err := layout.ReadFile(filepath.Join("testdata", "demo", "root.layout"))
	require.NoError(t, err)
	assert.Equal(t, []string{"build", "package"}, l.Steps())
	assert.True(t, demoExpires.Equal(l.Expires()))
	keys, err := layout.ReadPublicKeysFile(filepath.Join("testdata", "demo", "owner.pub"))
	require.NoError(t, err)
	assert.Len(t, keys, 1)
	links, err := filepath.Glob(filepath.Join("testdata", "demo", "*.link"))
	require.NoError(t, err)
	assert.Len(t, links, 2)
	seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParse", "*"))
	require.NoError(t, err)
	assert.Len(t, seeds, 5)
}

// regenerateFixtures rewrites testdata/demo and the FuzzParse seed corpus.
func regenerateFixtures(t *testing.T) {
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
