package sbom_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/paved-dev/paved/supplychain/sbom"
)

// Generate the SBOM of a Go module, offline, and read it back in the
// normalized model.
func ExampleGenerateModule() {
	bom, err := sbom.GenerateModule(context.Background(), "testdata/shop", sbom.WithTests(), sbom.WithMainVersion("v1.4.0"))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := sbom.FromCycloneDX(bom)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range s.Components {
		fmt.Println(strings.TrimSpace(c.PURL + " " + strings.Join(c.Licenses, " ")))
	}
	// Output:
	// pkg:golang/example.com/shop@v1.4.0
	// pkg:golang/example.com/vulnlib@v1.0.0
	// pkg:golang/github.com/stretchr/testify@v1.12.1 MIT
	// pkg:golang/go.yaml.in/yaml/v3@v3.0.6 Apache-2.0
}

// Read an SBOM in any supported format and list its components.
func ExampleDecode() {
	f, err := os.Open("testdata/app.spdx.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	s, err := sbom.Decode(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Format, s.SpecVersion, "root:", s.Root)
	for _, c := range s.Components {
		fmt.Printf("%s %s %s\n", c.Name, c.Version, c.PURL)
	}
	fmt.Println("root depends on", s.DependsOn(s.Root))
	for _, gap := range sbom.NTIA(s) {
		fmt.Println(gap)
	}
	// Output:
	// spdx+json SPDX-2.3 root: SPDXRef-app
	// shop 1.4.0 pkg:golang/example.com/shop@v1.4.0
	// golang.org/x/text v0.3.7 pkg:golang/golang.org/x/text@v0.3.7
	// log4j-core 2.14.1 pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1
	// root depends on [SPDXRef-log4j SPDXRef-text]
	// sbom: component SPDXRef-log4j: missing supplier name
}

// Compare two releases' SBOMs.
func ExampleDiff() {
	old := &sbom.SBOM{Components: []sbom.Component{
		{Ref: "a", Name: "log4j-core", Version: "2.14.1", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		{Ref: "b", Name: "lodash", Version: "4.17.20", PURL: "pkg:npm/lodash@4.17.20"},
	}}
	new := &sbom.SBOM{Components: []sbom.Component{
		{Ref: "a", Name: "log4j-core", Version: "2.17.1", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"},
		{Ref: "c", Name: "express", Version: "4.18.0", PURL: "pkg:npm/express@4.18.0"},
	}}
	ch := sbom.Diff(old, new)
	for _, c := range ch.Changed {
		fmt.Println("changed:", c.Old.Name, c.Old.Version, "->", c.New.Version)
	}
	for _, c := range ch.Added {
		fmt.Println("added:", c.Name, c.Version)
	}
	for _, c := range ch.Removed {
		fmt.Println("removed:", c.Name, c.Version)
	}
	// Output:
	// changed: log4j-core 2.14.1 -> 2.17.1
	// added: express 4.18.0
	// removed: lodash 4.17.20
}

// Validate a CycloneDX JSON document against the official schema of its
// version; every violation is reported with its JSON pointer.
func ExampleValidator_Validate() {
	v, err := sbom.NewValidator()
	if err != nil {
		fmt.Println(err)
		return
	}
	doc := `{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
	  "components": [{"type": "library", "name": "a", "hashes": [{"alg": "SHA-256", "content": "not hex"}]}]}`
	fmt.Println(v.Validate([]byte(doc)))
	// Output:
	// sbom: invalid sbom: cyclonedx+json: /components/0/hashes/0/content: sbom: schema violation: 'not hex' does not match pattern '^([a-fA-F0-9]{32}|[a-fA-F0-9]{40}|[a-fA-F0-9]{64}|[a-fA-F0-9]{96}|[a-fA-F0-9]{128})$'
}
