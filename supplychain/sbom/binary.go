package sbom

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// ErrNoBuildInfo: a file that is not a Go binary or carries no build
// information.
var ErrNoBuildInfo = errors.New("sbom: no Go build information")

// GenerateBinary makes a CycloneDX 1.6 BOM of a compiled Go binary from
// the build information the linker embedded (debug/buildinfo), so exactly
// the modules `go version -m` shows: the main module as the metadata
// component, with the Go version (PropertyGoVersion) and every build
// setting (PropertyGoBuildPrefix) as properties; each dependency, or its
// replacement module, with its go.sum hash (see binaryComponent for
// replacements). The main component depends on every
// module, since a binary records no module graph. Only WithClock and
// WithRand apply; the options of GenerateModule are an error.
func GenerateBinary(path string, opts ...Option) (*cdx.BOM, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if len(cfg.moduleOnly) > 0 {
		return nil, fmt.Errorf("sbom: GenerateBinary: %s applies only to GenerateModule", strings.Join(cfg.moduleOnly, ", "))
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNoBuildInfo, path, err)
	}
	bom, err := cfg.newBOM()
	if err != nil {
		return nil, err
	}
	main := binaryComponent(&info.Main)
	main.Type = cdx.ComponentTypeApplication
	if main.Name == "" {
		main.Name = info.Path
	}
	props := []cdx.Property{{Name: PropertyGoVersion, Value: info.GoVersion}}
	for _, s := range info.Settings {
		props = append(props, cdx.Property{Name: PropertyGoBuildPrefix + s.Key, Value: s.Value})
	}
	main.Properties = &props
	bom.Metadata.Component = &main

	components := make([]cdx.Component, 0, len(info.Deps))
	refs := make([]string, 0, len(info.Deps))
	for _, d := range info.Deps {
		c := binaryComponent(d)
		components = append(components, c)
		refs = append(refs, c.BOMRef)
	}
	slices.Sort(refs)
	refs = slices.Compact(refs)
	bom.Components = &components
	bom.Dependencies = &[]cdx.Dependency{{Ref: main.BOMRef, Dependencies: &refs}}
	return bom, nil
}

// binaryComponent makes the component of one module of a binary's build
// information. A module replaced by another module version becomes that
// version, marked as replacing it; one replaced by a local directory keeps
// its path and version, with the directory (PropertyReplaceDir), as
// GenerateModule does.
func binaryComponent(m *debug.Module) cdx.Component {
	c := cdx.Component{Type: cdx.ComponentTypeLibrary, Name: m.Path, Version: m.Version}
	sum := m.Sum
	if r := m.Replace; r != nil {
		if isLocalPath(r.Path) {
			c.Properties = &[]cdx.Property{{Name: PropertyReplaceDir, Value: r.Path}}
			sum = ""
		} else {
			c.Properties = &[]cdx.Property{{Name: PropertyReplaces, Value: m.Path + "@" + m.Version}}
			c.Name, c.Version, sum = r.Path, r.Version, r.Sum
		}
	}
	version := c.Version
	if version == "(devel)" {
		version = ""
	}
	c.PackageURL = goPURL(c.Name, version)
	c.BOMRef = c.PackageURL
	if h := h1Hex(sum); h != "" {
		c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: h}}
	}
	return c
}

// isLocalPath reports whether a replacement path is a directory, as go.mod
// spells one: absolute, or relative starting with "./" or "../".
func isLocalPath(p string) bool {
	return filepath.IsAbs(p) || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || p == "." || p == ".."
}
