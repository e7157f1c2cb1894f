package capability

import (
	"bytes"
	_ "embed"
	"slices"
)

//go:embed default.yaml
var defaultDocument []byte

// DefaultDocument returns the YAML document of the built-in map, a starting
// point for a team's own map file. The caller owns the returned bytes.
func DefaultDocument() []byte { return slices.Clone(defaultDocument) }

// Default returns a fresh copy of paved's built-in map: the eight areas with
// about fifty controls, each owned, marked mandatory or advisory, and mapped
// to NIST SSDF, SLSA, OpenSSF Scorecard, NIST SP 800-53, SOC 2 and the CIS
// Software Supply Chain Security Guide. The caller may change the copy.
//
// Default panics only if the embedded map fails to load, which the package's
// tests rule out.
func Default() *Map {
	m, err := Load(bytes.NewReader(defaultDocument), WithFilename("default.yaml"))
	if err != nil {
		panic("capability: built-in map is invalid: " + err.Error())
	}
	return m
}
