package vuln_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/openvex/go-vex/pkg/vex"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/vuln"
)

var scanTime = time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return scanTime }

// shopSBOM generates the SBOM of testdata/shop, a module that depends on
// example.com/vulnlib v1.0.0 (through a local replace), testify and yaml.
func shopSBOM(t testing.TB) *sbom.SBOM {
	t.Helper()
	bom, err := sbom.GenerateModule(context.Background(), "testdata/shop")
	require.NoError(t, err)
	s, err := sbom.FromCycloneDX(bom)
	require.NoError(t, err)
	return s
}

func loadVEX(t testing.TB, name string) *vex.VEX {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/vex", name))
	require.NoError(t, err)
	doc, err := vex.Parse(data)
	require.NoError(t, err)
	return doc
}

func TestPlantedVulnerabilityFoundThenSuppressedByVEX(t *testing.T) {
	db, err := vuln.LoadDir(context.Background(), "testdata/osv")
	require.NoError(t, err)
	s := shopSBOM(t)

	m, err := vuln.NewMatcher(db, vuln.WithClock(clock))
	require.NoError(t, err)
	rep := m.Match(s)
	require.Len(t, rep.Findings, 1, "only vulnlib is affected: yaml 3.0.6 is past last_affected, the testify record is withdrawn")
	f := rep.Findings[0]
	assert.Equal(t, "CVE-2026-99901", f.ID, "the CVE alias is the primary ID")
	assert.Equal(t, []string{"GHSA-pavd-0001-test", "PAVED-2026-0001"}, f.Aliases)
	assert.Equal(t, []string{"GHSA-pavd-0001-test", "PAVED-2026-0001"}, f.Records, "two records, one finding")
	assert.Equal(t, "example.com/vulnlib", f.Package)
	assert.Equal(t, "Go", f.Ecosystem)
	assert.Equal(t, "v1.0.0", f.Component.Version)
	assert.Equal(t, []string{"1.2.0"}, f.FixedIn)
	assert.Equal(t, vuln.Critical, f.Severity.Rating)
	assert.Equal(t, "CVSS_V4", f.Severity.Source, "the v4 vector scores higher than the v3.1 one")
	assert.Equal(t, time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC), f.Published)
	assert.Equal(t, time.Date(2026, 2, 8, 8, 0, 0, 0, time.UTC), f.FixBy, "critical: 7 days from publication")
	assert.Equal(t, vuln.StatusAffected, f.Status)
	assert.False(t, f.Suppressed)
	assert.Len(t, rep.Active(), 1)

	m, err = vuln.NewMatcher(db, vuln.WithClock(clock), vuln.WithVEX(loadVEX(t, "not-affected.json")))
	require.NoError(t, err)
	rep = m.Match(s)
	require.Len(t, rep.Findings, 1, "a suppressed finding stays visible")
	f = rep.Findings[0]
	assert.True(t, f.Suppressed)
	assert.Equal(t, vuln.StatusNotAffected, f.Status)
	require.NotNil(t, f.VEX)
	assert.Equal(t, &vuln.Statement{
		Document:        "https://example.com/vex/shop-2026-03",
		Vulnerability:   "CVE-2026-99901",
		Status:          vuln.StatusNotAffected,
		Justification:   "vulnerable_code_not_in_execute_path",
		ImpactStatement: "The shop never calls vulnlib.Hello with untrusted input.",
		Timestamp:       time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
	}, f.VEX)
	assert.Empty(t, rep.Active())
	assert.Equal(t, 3, rep.Unindexed, "the three bad records of testdata/osv are counted")
}

func TestLoadReportsEveryProblem(t *testing.T) {
	db, err := vuln.LoadDir(context.Background(), "testdata/osv")
	require.NoError(t, err)
	assert.Len(t, db.Records(), 5, "the four Go records and the Fortran one parse")
	problems := map[string]string{}
	for _, p := range db.Problems() {
		var re *vuln.RecordError
		require.ErrorAs(t, p, &re)
		assert.ErrorIs(t, p, vuln.ErrInvalidRecord)
		problems[filepath.Base(re.Source)+"|"+re.ID+"|"+re.Field] = p.Error()
	}
	assert.Contains(t, problems, "bad-range.json|PAVED-2026-0004|affected[0].ranges[0].events")
	assert.Contains(t, problems, "truncated.json||")
	assert.Contains(t, problems, ".|PAVED-2026-0005|affected[0]", "unknown ecosystem: %v", problems)
	assert.Len(t, problems, 3)
	for _, p := range db.Problems() {
		var re *vuln.RecordError
		if assert.ErrorAs(t, p, &re) && re.ID == "PAVED-2026-0005" {
			assert.ErrorIs(t, p, vuln.ErrUnsupported)
		}
	}
}

func TestLoadZip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "all.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for _, name := range []string{"PAVED-2026-0001.json", "GHSA-pavd-0001-test.json"} {
		data, err := os.ReadFile(filepath.Join("testdata/osv/go", name))
		require.NoError(t, err)
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	w, err := zw.Create("broken.json")
	require.NoError(t, err)
	_, err = w.Write([]byte("{"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())

	db, err := vuln.LoadZip(context.Background(), path)
	require.NoError(t, err)
	assert.Len(t, db.Records(), 2)
	require.Len(t, db.Problems(), 1)
	assert.Contains(t, db.Problems()[0].Error(), "all.zip:broken.json")
	m, err := vuln.NewMatcher(db, vuln.WithClock(clock))
	require.NoError(t, err)
	assert.Len(t, m.Match(shopSBOM(t)).Findings, 1)
}

func TestEcosystemOrdering(t *testing.T) {
	for _, tc := range []struct {
		eco, a, b string
		want      int
	}{
		{"Go", "v1.10.0", "v1.9.0", 1},
		{"Go", "1.2.0-rc.1", "1.2.0", -1},
		{"npm", "1.0.0-alpha.10", "1.0.0-alpha.9", 1},
		{"PyPI", "1.0.post1", "1.0", 1},
		{"PyPI", "1.0rc1", "1.0", -1},
		{"PyPI", "2!0.1", "1.9", 1},
		{"Maven", "2.17.1", "2.17.0", 1},
		{"Maven", "1.0-SNAPSHOT", "1.0", -1},
		{"Maven", "1.0.RELEASE", "1.0", 0},
		{"crates.io", "0.10.0", "0.9.9", 1},
		{"RubyGems", "1.0.0.pre", "1.0.0", -1},
	} {
		got, err := vuln.Compare(tc.eco, tc.a, tc.b)
		require.NoError(t, err, tc)
		assert.Equal(t, tc.want, got, "%s: %s vs %s", tc.eco, tc.a, tc.b)
	}
	_, err := vuln.Compare("Fortran", "1", "2")
	assert.ErrorIs(t, err, vuln.ErrUnsupported)
}

func TestMatchAcrossEcosystems(t *testing.T) {
	rec := func(id, eco, name string, events string, versions ...string) *vuln.Record {
		data := `{"id": "` + id + `", "modified": "2026-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "` + eco + `", "name": "` + name + `"}`
		if events != "" {
			data += `, "ranges": [{"type": "ECOSYSTEM", "events": ` + events + `}]`
		}
		if len(versions) > 0 {
			v, _ := json.Marshal(versions)
			data += `, "versions": ` + string(v)
		}
		data += `}]}`
		r, err := vuln.ParseRecord([]byte(data))
		require.NoError(t, err, data)
		return r
	}
	db := vuln.NewDB([]*vuln.Record{
		rec("GHSA-log4j", "Maven", "org.apache.logging.log4j:log4j-core", `[{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}, {"introduced": "2.16.0"}, {"fixed": "2.17.1"}]`),
		rec("PYSEC-1", "PyPI", "django-rest", `[{"introduced": "0"}, {"fixed": "1.0.post1"}]`),
		rec("GHSA-npm", "npm", "@scope/pkg", `[{"introduced": "1.0.0"}, {"last_affected": "1.4.2"}]`),
		rec("RUSTSEC-1", "crates.io", "smallvec", "", "0.6.9", "0.6.10"),
		rec("GO-1", "Go", "github.com/CycloneDX/cyclonedx-go", `[{"introduced": "0"}, {"fixed": "0.13.0"}]`),
		rec("GO-2", "Go", "golang.org/x/text", "", "0.3.7"),
	})
	require.Empty(t, db.Problems())
	comp := func(ref, purl, version string) sbom.Component {
		return sbom.Component{Ref: ref, Name: ref, Version: version, PURL: purl}
	}
	s := &sbom.SBOM{Components: []sbom.Component{
		comp("log4j-2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "2.14.1"),
		comp("log4j-2.15.0", "pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0", "2.15.0"),
		comp("log4j-2.16.0", "pkg:maven/org.apache.logging.log4j/log4j-core@2.16.0", "2.16.0"),
		comp("log4j-2.17.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", "2.17.1"),
		comp("django", "pkg:pypi/Django_Rest@1.0", "1.0"),
		comp("npm-1.4.2", "pkg:npm/%40scope/pkg@1.4.2", "1.4.2"),
		comp("npm-1.4.3", "pkg:npm/%40scope/pkg@1.4.3", "1.4.3"),
		comp("smallvec", "pkg:cargo/smallvec@0.6.10", "0.6.10"),
		comp("cdx", "pkg:golang/github.com/CycloneDX/cyclonedx-go@v0.12.0", "v0.12.0"),
		comp("text", "pkg:golang/golang.org/x/text@v0.3.7", "v0.3.7"),
		comp("nopurl", "", "1.0"),
		comp("deb", "pkg:deb/debian/openssl@3.0.0", "3.0.0"),
	}}
	m, err := vuln.NewMatcher(db, vuln.WithClock(clock))
	require.NoError(t, err)
	rep := m.Match(s)
	var hit []string
	for _, f := range rep.Findings {
		hit = append(hit, f.Component.Ref+":"+f.ID)
	}
	assert.ElementsMatch(t, []string{"log4j-2.14.1:GHSA-log4j", "log4j-2.16.0:GHSA-log4j", "django:PYSEC-1", "npm-1.4.2:GHSA-npm", "smallvec:RUSTSEC-1", "cdx:GO-1", "text:GO-2"}, hit)
	for _, f := range rep.Findings {
		if f.Component.Ref == "cdx" {
			assert.Equal(t, "github.com/CycloneDX/cyclonedx-go", f.Package, "the record's spelling")
		}
		if f.Component.Ref == "log4j-2.16.0" {
			assert.Equal(t, []string{"2.17.1"}, f.FixedIn)
		}
		assert.Equal(t, vuln.Unknown, f.Severity.Rating)
		assert.Equal(t, scanTime.Add(30*24*time.Hour), f.FixBy, "unknown severity, no publication date: 30 days from the scan")
	}
	var skipped []string
	for _, s := range rep.Skipped {
		skipped = append(skipped, s.Component.Ref)
	}
	assert.Equal(t, []string{"nopurl", "deb"}, skipped)
	assert.Equal(t, 12, rep.Components)
}

func TestOutputs(t *testing.T) {
	db, err := vuln.LoadDir(context.Background(), "testdata/osv")
	require.NoError(t, err)
	m, err := vuln.NewMatcher(db, vuln.WithClock(clock), vuln.WithVEX(loadVEX(t, "not-affected.json")))
	require.NoError(t, err)
	rep := m.Match(shopSBOM(t))

	var js bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	var back vuln.Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, rep.Findings, back.Findings)

	var sarif bytes.Buffer
	require.NoError(t, rep.WriteSARIF(&sarif))
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string         `json:"id"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID       string `json:"ruleId"`
				Level        string `json:"level"`
				Suppressions []struct {
					Kind, Status, Justification string
				} `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(sarif.Bytes(), &log))
	assert.Equal(t, "2.1.0", log.Version)
	require.Len(t, log.Runs[0].Results, 1)
	res := log.Runs[0].Results[0]
	assert.Equal(t, "CVE-2026-99901", res.RuleID)
	assert.Equal(t, "error", res.Level)
	require.Len(t, res.Suppressions, 1)
	assert.Equal(t, "accepted", res.Suppressions[0].Status)
	assert.Contains(t, res.Suppressions[0].Justification, "vulnerable_code_not_in_execute_path")
	assert.NotEmpty(t, log.Runs[0].Tool.Driver.Rules[0].Properties["security-severity"])

	p, err := rep.Predicate()
	require.NoError(t, err)
	st, err := attest.Build(p, supplychain.Subject{Name: "shop", Digest: supplychain.DigestSet{"sha256": "2a2a8d3f4e7f9b5ab1ae7c8ecbd3e1df4c1a0a8a8b1b0e0f4f5b1b0e0f4f5b1b"}})
	require.NoError(t, err)
	assert.Equal(t, attest.PredicateVulns, st.PredicateType())
	var got attest.Vulns
	require.NoError(t, st.Decode(&got))
	results := got.Message().GetScanner().GetResult()
	require.Len(t, results, 1)
	assert.Equal(t, "CVE-2026-99901", results[0].GetId())
	ann := results[0].GetAnnotations()[0].AsMap()
	assert.Equal(t, true, ann["suppressed"])
	assert.Equal(t, "not_affected", ann["status"])
	assert.Equal(t, "pkg:golang/example.com/vulnlib@v1.0.0", ann["purl"])
	f := rep.Findings[0]
	require.False(t, f.Published.IsZero())
	assert.Equal(t, f.Published.UTC().Format(time.RFC3339), ann["published"], "policies judge a finding's age by it")
	assert.Equal(t, f.FixBy.UTC().Format(time.RFC3339), ann["fixBy"])
}

func TestVEXStatuses(t *testing.T) {
	db, err := vuln.LoadDir(context.Background(), "testdata/osv")
	require.NoError(t, err)
	s := shopSBOM(t)
	doc := loadVEX(t, "history.json")

	// Only the first statement (under investigation, by the GHSA alias).
	early := *doc
	early.Statements = doc.Statements[:1]
	m, err := vuln.NewMatcher(db, vuln.WithClock(clock), vuln.WithVEX(&early))
	require.NoError(t, err)
	f := m.Match(s).Findings[0]
	assert.Equal(t, vuln.StatusUnderInvestigation, f.Status)
	assert.False(t, f.Suppressed, "under investigation is not a reason to suppress")
	require.NotNil(t, f.VEX)
	assert.Equal(t, "GHSA-pavd-0001-test", f.VEX.Vulnerability)

	// The later statement (fixed, by the other alias, naming the package
	// without a version) wins.
	m, err = vuln.NewMatcher(db, vuln.WithClock(clock), vuln.WithVEX(doc))
	require.NoError(t, err)
	f = m.Match(s).Findings[0]
	assert.Equal(t, vuln.StatusFixed, f.Status)
	assert.True(t, f.Suppressed)
	assert.Equal(t, time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC), f.VEX.Timestamp)

	// And the not_affected document, later still, wins over both.
	m, err = vuln.NewMatcher(db, vuln.WithClock(clock), vuln.WithVEX(doc, loadVEX(t, "not-affected.json")))
	require.NoError(t, err)
	f = m.Match(s).Findings[0]
	assert.Equal(t, vuln.StatusNotAffected, f.Status)

	// A statement for another product does not apply.
	other := loadVEX(t, "not-affected.json")
	other.Statements[0].Products[0].ID = "pkg:golang/example.com/other"
	m, err = vuln.NewMatcher(db, vuln.WithClock(clock), vuln.WithVEX(other))
	require.NoError(t, err)
	f = m.Match(s).Findings[0]
	assert.Equal(t, vuln.StatusAffected, f.Status)
	assert.Nil(t, f.VEX)

	// not_affected without a justification or impact statement is refused.
	bad := loadVEX(t, "not-affected.json")
	bad.Statements[0].Justification = ""
	bad.Statements[0].ImpactStatement = ""
	_, err = vuln.NewMatcher(db, vuln.WithVEX(bad))
	assert.Error(t, err)
}

func TestSLA(t *testing.T) {
	db, err := vuln.LoadDir(context.Background(), "testdata/osv")
	require.NoError(t, err)
	m, err := vuln.NewMatcher(db, vuln.WithClock(clock), vuln.WithSLA(vuln.SLA{vuln.Critical: 48 * time.Hour}))
	require.NoError(t, err)
	f := m.Match(shopSBOM(t)).Findings[0]
	assert.Equal(t, time.Date(2026, 2, 3, 8, 0, 0, 0, time.UTC), f.FixBy)
	_, err = vuln.NewMatcher(db, vuln.WithSLA(vuln.SLA{vuln.High: 0}))
	assert.Error(t, err)
	m, err = vuln.NewMatcher(db, vuln.WithSLA(vuln.SLA{vuln.Low: time.Hour}))
	require.NoError(t, err)
	assert.True(t, m.Match(shopSBOM(t)).Findings[0].FixBy.IsZero(), "no window for critical: no fix-by date")
}

func TestScoreVector(t *testing.T) {
	for _, tc := range []struct {
		vector string
		rating vuln.Rating
		score  float64
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", vuln.Critical, 9.8},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", vuln.Medium, 6.1},
		{"CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", vuln.Low, 1.8},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", vuln.Critical, 9.3},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", vuln.None, 0},
	} {
		got, err := vuln.ScoreVector(tc.vector)
		require.NoError(t, err, tc.vector)
		assert.Equal(t, tc.rating, got.Rating, tc.vector)
		assert.InDelta(t, tc.score, got.Score, 0.001, tc.vector)
	}
	_, err := vuln.ScoreVector("AV:N/AC:L/Au:N/C:P/I:P/A:P")
	assert.ErrorIs(t, err, vuln.ErrUnsupported)
	_, err = vuln.ScoreVector("CVSS:3.1/AV:X")
	assert.Error(t, err)
	assert.NotErrorIs(t, err, vuln.ErrUnsupported)
}

func TestPlantedVulnerabilityFoundInTheBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "shop")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = "testdata/shop"
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	bom, err := sbom.GenerateBinary(bin)
	require.NoError(t, err)
	s, err := sbom.FromCycloneDX(bom)
	require.NoError(t, err)

	db, err := vuln.LoadDir(context.Background(), "testdata/osv")
	require.NoError(t, err)
	m, err := vuln.NewMatcher(db, vuln.WithClock(clock), vuln.WithVEX(loadVEX(t, "not-affected.json")))
	require.NoError(t, err)
	rep := m.Match(s)
	require.Len(t, rep.Findings, 1)
	assert.Equal(t, "CVE-2026-99901", rep.Findings[0].ID)
	assert.True(t, rep.Findings[0].Suppressed, "the VEX product is the binary's main module")
}

func TestFixedInOrderedByEcosystem(t *testing.T) {
	var records []*vuln.Record
	for _, fixed := range []string{"1.10.0", "1.9.0"} {
		r, err := vuln.ParseRecord([]byte(`{"id": "GHSA-` + fixed + `", "modified": "2026-01-01T00:00:00Z", "aliases": ["CVE-2026-1"],
		  "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "` + fixed + `"}]}]}]}`))
		require.NoError(t, err)
		records = append(records, r)
	}
	m, err := vuln.NewMatcher(vuln.NewDB(records))
	require.NoError(t, err)
	rep := m.Match(&sbom.SBOM{Components: []sbom.Component{{Ref: "lp", Name: "left-pad", Version: "1.5.0", PURL: "pkg:npm/left-pad@1.5.0"}}})
	require.Len(t, rep.Findings, 1, "two records, one CVE")
	assert.Equal(t, []string{"1.9.0", "1.10.0"}, rep.Findings[0].FixedIn)
}
