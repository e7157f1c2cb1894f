package vuln_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"

	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/vuln"
)

// Match an SBOM against an OSV export offline, then apply a VEX document:
// the suppressed finding stays in the report, with its statement.
func ExampleMatcher_Match() {
	ctx := context.Background()
	db, err := vuln.LoadDir(ctx, "testdata/osv")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(db.Problems()), "records could not be loaded")

	doc := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
	  "metadata": {"component": {"type": "application", "bom-ref": "shop", "name": "example.com/shop", "purl": "pkg:golang/example.com/shop"}},
	  "components": [{"type": "library", "bom-ref": "lib", "name": "example.com/vulnlib", "version": "v1.0.0", "purl": "pkg:golang/example.com/vulnlib@v1.0.0"}],
	  "dependencies": [{"ref": "shop", "dependsOn": ["lib"]}]}`
	s, err := sbom.Decode(strings.NewReader(doc))
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := os.ReadFile("testdata/vex/not-affected.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	statements, err := vex.Parse(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := vuln.NewMatcher(db,
		vuln.WithVEX(statements),
		vuln.WithClock(func() time.Time { return time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		fmt.Println(err)
		return
	}
	rep := m.Match(s)
	for _, f := range rep.Findings {
		fmt.Printf("%s (%s) in %s %s: %s %.1f, fix by %s, fixed in %v\n",
			f.ID, strings.Join(f.Aliases, ", "), f.Package, f.Component.Version,
			f.Severity.Rating, f.Severity.Score, f.FixBy.Format(time.DateOnly), f.FixedIn)
		fmt.Printf("  %s, suppressed=%t: %s\n", f.Status, f.Suppressed, f.VEX.Justification)
	}
	fmt.Println(len(rep.Active()), "active findings")
	// Output:
	// 3 records could not be loaded
	// CVE-2026-99901 (GHSA-pavd-0001-test, PAVED-2026-0001) in example.com/vulnlib v1.0.0: CRITICAL 9.3, fix by 2026-02-08, fixed in [1.2.0]
	//   not_affected, suppressed=true: vulnerable_code_not_in_execute_path
	// 0 active findings
}
