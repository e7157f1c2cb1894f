package layout_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/layout"
)

// BenchmarkVerify verifies a two-step supply chain whose links record 1,000
// source files each, about the size of a small service's repository.
func BenchmarkVerify(b *testing.B) {
	const files = 1000
	c := newChain(b)
	require.NoError(b, os.Mkdir(filepath.Join(c.work, "src"), 0o700))
	for i := range files {
		c.write(filepath.Join("src", fmt.Sprintf("file%04d.go", i)), fmt.Sprintf("package src // %d\n", i))
	}
	build := []string{"cp", "-r", "src", "out"}
	pack := []string{"tar", "cf", "app.tar", "out"}
	c.run("build", c.alice, []string{"src"}, []string{"src", "out"}, build...)
	c.run("package", c.bob, []string{"out"}, []string{"app.tar"}, pack...)
	lay := c.layout()
	lay.Steps = []in_toto.Step{
		step("build", 1, build,
			[][]string{{"ALLOW", "src/*"}, {"DISALLOW", "*"}},
			[][]string{{"MATCH", "src/*", "WITH", "MATERIALS", "FROM", "build"}, {"CREATE", "out/*"}, {"DISALLOW", "*"}}, c.alice),
		step("package", 1, pack,
			[][]string{{"MATCH", "out/*", "WITH", "PRODUCTS", "FROM", "build"}, {"DISALLOW", "*"}},
			[][]string{{"CREATE", "app.tar"}, {"DISALLOW", "*"}}, c.bob),
	}
	l, err := layout.Parse(c.sign(lay, false, c.owner))
	require.NoError(b, err)
	v := c.verifier()

	for b.Loop() {
		res, err := v.Verify(b.Context(), l, c.links)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Products) != 1 {
			b.Fatalf("products %v", res.Products)
		}
	}
}
