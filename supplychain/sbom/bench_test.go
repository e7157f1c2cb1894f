package sbom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/paved-dev/paved/supplychain/sbom"
)

// benchDir is a module that requires OPA, sigstore-go and cyclonedx-go:
// about 420 modules in its graph, about 90 of them needed.
const benchDir = "testdata/bench"

// BenchmarkGenerateModule generates the SBOM of benchDir, and beside it
// runs `cyclonedx-gomod mod` (v1.10.0) when PAVED_CYCLONEDX_GOMOD names the
// binary (bench.sh installs it), checking that both list the same module
// versions.
func BenchmarkGenerateModule(b *testing.B) {
	ctx := context.Background()
	ours, err := sbom.GenerateModule(ctx, benchDir)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("paved", func(b *testing.B) {
		for b.Loop() {
			if _, err := sbom.GenerateModule(ctx, benchDir); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(*ours.Components)), "components")
	})
	tool := os.Getenv("PAVED_CYCLONEDX_GOMOD")
	if tool == "" {
		b.Log("PAVED_CYCLONEDX_GOMOD is not set: run bench.sh to compare with cyclonedx-gomod")
		return
	}
	run := func() []byte {
		cmd := exec.Command(tool, "mod", "-json", "-noserial", "-notimestamp", benchDir)
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("cyclonedx-gomod: %v", err)
		}
		return out
	}
	var theirs cdx.BOM
	if err := json.Unmarshal(run(), &theirs); err != nil {
		b.Fatal(err)
	}
	if a, t := moduleVersions(ours), moduleVersions(&theirs); !slices.Equal(a, t) {
		b.Fatalf("component sets differ:\npaved:           %v\ncyclonedx-gomod: %v", a, t)
	}
	b.Run("cyclonedx-gomod", func(b *testing.B) {
		for b.Loop() {
			run()
		}
		b.ReportMetric(float64(len(*theirs.Components)), "components")
	})
}

// moduleVersions lists the components of bom as path@version, sorted.
func moduleVersions(bom *cdx.BOM) []string {
	var out []string
	for _, c := range *bom.Components {
		out = append(out, c.Name+"@"+c.Version)
	}
	slices.Sort(out)
	return out
}

// bigCycloneDX encodes a CycloneDX 1.6 JSON document of n components,
// each with a purl, a hash, a license and a supplier, in a chain of
// dependencies.
func bigCycloneDX(n int) []byte {
	comps := make([]cdx.Component, n)
	deps := make([]cdx.Dependency, 0, n)
	for i := range comps {
		ref := fmt.Sprintf("pkg:npm/package-%d@1.%d.0", i, i%17)
		comps[i] = cdx.Component{
			BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: fmt.Sprintf("package-%d", i), Version: fmt.Sprintf("1.%d.0", i%17),
			PackageURL: ref,
			Supplier:   &cdx.OrganizationalEntity{Name: fmt.Sprintf("Supplier %d", i%100)},
			Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: fmt.Sprintf("%064x", i)}},
			Licenses:   &cdx.Licenses{{License: &cdx.License{ID: "MIT"}}},
		}
		if i > 0 {
			deps = append(deps, cdx.Dependency{Ref: comps[i-1].BOMRef, Dependencies: &[]string{ref}})
		}
	}
	bom := cdx.NewBOM()
	bom.Components = &comps
	bom.Dependencies = &deps
	var buf bytes.Buffer
	if err := sbom.Encode(&buf, bom, sbom.CycloneDXJSON); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// BenchmarkIngestCycloneDX decodes a 10,000-component CycloneDX JSON SBOM
// into the normalized model.
func BenchmarkIngestCycloneDX(b *testing.B) {
	doc := bigCycloneDX(10_000)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		s, err := sbom.Decode(bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Components) != 10_000 {
			b.Fatal(len(s.Components))
		}
	}
}
