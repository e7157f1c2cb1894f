package depcheck

import (
	"fmt"
	"slices"
	"strings"
)

// Module is paved's module path.
const Module = "github.com/paved-dev/paved"

// Rule says what one package (or a subtree, written "dir/...") may import.
// Paths are relative to Module; "." is the root package.
type Rule struct {
	// Package is the package the rule governs, or a subtree "dir/...".
	Package string
	// Imports lists paved packages (or subtrees "dir/...", or "..." for all)
	// the package may import directly.
	Imports []string
	// Modules lists third-party modules the package may import directly;
	// "*" allows any.
	Modules []string
}

// Rules returns the dependency table, as DESIGN.md's package table draws
// it. Packages that do not exist yet keep their place so that the table is
// the whole architecture.
func Rules() []Rule {
	return []Rule{
		{Package: ".", Imports: []string{"...", "!examples/..."}, Modules: []string{"golang.org/x/mod"}},
		{Package: "capability", Imports: []string{"evidence", "policy", "supplychain", "supplychain/attest", "supplychain/ledger", "supplychain/sbom", "supplychain/sign", "internal/yamldoc"}, Modules: []string{"go.yaml.in/yaml/v3"}},
		{Package: "capability/capabilitytest", Imports: []string{"capability", "evidence", "evidence/sqlite", "policy", "supplychain", "supplychain/attest", "supplychain/attest/attesttest", "supplychain/sign"}, Modules: []string{"golang.org/x/mod"}},
		{Package: "capability/route", Imports: []string{"capability", "policy", "supplychain/attest", "supplychain/ledger"}},
		{Package: "capability/route/webhook", Imports: []string{"capability/route"}},
		{Package: "pipeline/...", Imports: []string{"capability", "evidence", "policy", "pipeline/...", "supplychain/...", "platform/iac", "metrics", "internal/yamldoc", "internal/sarif"}, Modules: []string{"go.yaml.in/yaml/v3", "go.opentelemetry.io/otel", "go.opentelemetry.io/otel/trace", "github.com/in-toto/attestation", "google.golang.org/protobuf", "github.com/hmarr/codeowners", "github.com/CycloneDX/cyclonedx-go"}},
		{Package: "supplychain"},
		{Package: "supplychain/attest", Imports: []string{"supplychain"}, Modules: []string{"github.com/in-toto/attestation", "google.golang.org/protobuf"}},
		{Package: "supplychain/attest/attesttest", Imports: []string{"supplychain", "supplychain/attest"}, Modules: []string{"github.com/in-toto/attestation", "google.golang.org/protobuf"}},
		{Package: "supplychain/sign", Imports: []string{"supplychain", "supplychain/attest", "internal/yamldoc"}, Modules: []string{"github.com/secure-systems-lab/go-securesystemslib", "go.yaml.in/yaml/v3"}},
		{Package: "supplychain/sign/sigstore", Imports: []string{"supplychain", "supplychain/attest", "supplychain/sign"}, Modules: []string{"github.com/sigstore/sigstore-go", "github.com/sigstore/sigstore", "github.com/sigstore/protobuf-specs", "github.com/secure-systems-lab/go-securesystemslib", "github.com/theupdateframework/go-tuf/v2"}},
		{Package: "supplychain/layout", Imports: []string{"supplychain", "supplychain/sign"}, Modules: []string{"github.com/in-toto/in-toto-golang", "github.com/secure-systems-lab/go-securesystemslib"}},
		{Package: "supplychain/sbom", Imports: []string{"supplychain", "supplychain/attest"}, Modules: []string{"github.com/CycloneDX/cyclonedx-go", "github.com/spdx/tools-golang", "github.com/santhosh-tekuri/jsonschema/v6", "github.com/package-url/packageurl-go", "golang.org/x/mod"}},
		{Package: "supplychain/vuln", Imports: []string{"supplychain", "supplychain/attest", "supplychain/sbom", "internal/sarif"}, Modules: []string{"github.com/openvex/go-vex", "github.com/google/osv-scalibr", "github.com/pandatix/go-cvss", "github.com/package-url/packageurl-go", "github.com/in-toto/attestation", "google.golang.org/protobuf"}},
		{Package: "supplychain/secret", Imports: []string{"internal/sarif"}, Modules: []string{"github.com/zricethezav/gitleaks/v8", "github.com/rs/zerolog", "github.com/spf13/viper", "github.com/pelletier/go-toml/v2", "github.com/fatih/semgroup"}},
		{Package: "supplychain/ledger", Imports: []string{"supplychain", "supplychain/attest", "supplychain/sbom", "supplychain/sign", "supplychain/vuln", "evidence"}},
		{Package: "platform/drift", Imports: []string{"evidence", "supplychain", "supplychain/attest", "supplychain/ledger", "supplychain/sign"}, Modules: []string{"go.yaml.in/yaml/v3"}},
		{Package: "platform/iac", Imports: []string{"supplychain", "supplychain/attest"}},
		{Package: "policy", Imports: []string{"supplychain", "supplychain/attest", "internal/sarif"}, Modules: []string{"github.com/open-policy-agent/opa", "github.com/in-toto/attestation", "google.golang.org/protobuf"}},
		{Package: "policy/policytest", Imports: []string{"policy"}, Modules: []string{"github.com/open-policy-agent/opa"}},
		{Package: "evidence", Imports: []string{"supplychain", "supplychain/attest", "supplychain/sign"}, Modules: []string{"github.com/transparency-dev/merkle", "golang.org/x/mod"}},
		{Package: "evidence/report", Imports: []string{"capability", "evidence", "supplychain", "supplychain/attest", "supplychain/sign", "internal/sarif"}, Modules: []string{"github.com/in-toto/attestation", "google.golang.org/protobuf"}},
		{Package: "evidence/report/oscal", Imports: []string{"capability", "evidence/report", "supplychain"}},
		{Package: "evidence/trace", Imports: []string{"evidence", "supplychain", "supplychain/attest", "supplychain/ledger", "supplychain/sign"}},
		{Package: "evidence/sqlite", Imports: []string{"evidence", "supplychain", "supplychain/sign"}, Modules: []string{"modernc.org/sqlite"}},
		{Package: "evidence/postgres", Imports: []string{"evidence", "supplychain", "supplychain/sign"}, Modules: []string{"github.com/jackc/pgx/v5"}},
		{Package: "evidence/evidencetest", Imports: []string{"evidence", "supplychain", "supplychain/attest", "supplychain/sign"}, Modules: []string{"golang.org/x/mod"}},
		{Package: "metrics"},
		{Package: "metrics/...", Imports: []string{"metrics", "evidence", "supplychain/ledger", "supplychain/attest", "supplychain/sign"}},
		{Package: "cli", Imports: []string{"...", "!examples/..."}, Modules: []string{"github.com/spf13/cobra", "github.com/spf13/pflag", "golang.org/x/term", "github.com/openvex/go-vex"}},
		{Package: "examples/...", Imports: []string{"...", "!examples/..."}, Modules: []string{"*"}},
		{Package: "internal/..."},
		{Package: "internal/yamldoc", Modules: []string{"go.yaml.in/yaml/v3"}},
		{Package: "internal/browsertest", Imports: []string{"internal/testenv"}},
	}
}

// Package is what Check needs to know of one package, as `go list -json`
// prints it.
type Package struct {
	// ImportPath is the package's import path.
	ImportPath string
	// Imports lists the package's direct imports (not its tests').
	Imports []string
	// Standard is true for standard-library packages.
	Standard bool
	// Module is the module that provides the package; nil for the standard
	// library.
	Module *struct{ Path string }
}

// Violation is one import that the rules do not allow.
type Violation struct {
	// From and To are import paths: To is the package From may not import.
	// To is empty when From has no rule at all.
	From, To string
	// Reason says which rule was broken.
	Reason string
}

// String names the edge and the rule it breaks.
func (v Violation) String() string {
	if v.To == "" {
		return fmt.Sprintf("%s: %s", v.From, v.Reason)
	}
	return fmt.Sprintf("%s imports %s: %s", v.From, v.To, v.Reason)
}

// Check returns every direct import of a paved package in pkgs that rules do
// not allow, and every paved package that no rule governs. pkgs must include
// the packages imported (as `go list -deps` lists them), so that each
// import's module is known.
func Check(rules []Rule, pkgs []Package) []Violation {
	byPath := make(map[string]Package, len(pkgs))
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	var out []Violation
	for _, p := range pkgs {
		rel, ok := relative(p.ImportPath)
		if !ok {
			continue
		}
		rule, ok := ruleFor(rules, rel)
		if !ok {
			out = append(out, Violation{From: p.ImportPath, Reason: "no dependency rule governs this package; add one to depcheck.Rules"})
			continue
		}
		for _, imp := range p.Imports {
			if v, bad := checkImport(rule, rel, imp, byPath[imp]); bad {
				v.From = p.ImportPath
				out = append(out, v)
			}
		}
	}
	return out
}

func checkImport(rule Rule, from, imp string, dep Package) (Violation, bool) {
	if dep.Standard || (dep.ImportPath == "" && !strings.Contains(strings.Split(imp, "/")[0], ".")) {
		return Violation{}, false
	}
	if to, ok := relative(imp); ok {
		if to == from || allows(rule.Imports, to) {
			return Violation{}, false
		}
		return Violation{To: imp, Reason: fmt.Sprintf("%s may import only %s", rule.Package, list(rule.Imports))}, true
	}
	mod := imp
	if dep.Module != nil {
		mod = dep.Module.Path
	}
	if slices.Contains(rule.Modules, "*") || slices.Contains(rule.Modules, mod) {
		return Violation{}, false
	}
	return Violation{To: imp, Reason: fmt.Sprintf("module %s is not among the modules %s may use (%s)", mod, rule.Package, list(rule.Modules))}, true
}

// relative returns path relative to Module, and whether it is in Module.
func relative(path string) (string, bool) {
	if path == Module {
		return ".", true
	}
	rel, ok := strings.CutPrefix(path, Module+"/")
	return rel, ok
}

// ruleFor returns the rule governing pkg: an exact rule first, else the
// longest subtree rule.
func ruleFor(rules []Rule, pkg string) (Rule, bool) {
	var best Rule
	found := false
	for _, r := range rules {
		if r.Package == pkg {
			return r, true
		}
		if matches(r.Package, pkg) && (!found || len(r.Package) > len(best.Package)) {
			best, found = r, true
		}
	}
	return best, found
}

// allows reports whether patterns allow pkg; a pattern starting with "!"
// denies what it matches, and denials win.
func allows(patterns []string, pkg string) bool {
	ok := false
	for _, p := range patterns {
		if deny, isDeny := strings.CutPrefix(p, "!"); isDeny {
			if matches(deny, pkg) {
				return false
			}
			continue
		}
		ok = ok || matches(p, pkg)
	}
	return ok
}

// matches reports whether pattern ("dir", "dir/..." or "...") covers pkg.
func matches(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == dir || strings.HasPrefix(pkg, dir+"/")
	}
	return pattern == pkg
}

func list(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}
