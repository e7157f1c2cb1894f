package iac

import (
	"embed"
	"io/fs"
)

//go:embed rego/*.rego
var regoFS embed.FS

// Policies returns the Rego guardrails of the platform foundation (package
// paved.foundation) and their Rego tests: the IaC checks over iac-plan
// evidence (controls DSO-FND-06 to DSO-FND-10) and the deployment checks
// of promotion order and identity boundary (DSO-FND-02, DSO-FND-05). They
// follow the conventions of paved's policy package: `deny contains v if`,
// v = {"msg", "control"}, each rule's METADATA naming its control; the
// settings are read from data.guardrails (iac and environments).
func Policies() fs.FS {
	sub, err := fs.Sub(regoFS, "rego")
	if err != nil { // unreachable: "rego" is a valid, embedded directory
		return regoFS
	}
	return sub
}
