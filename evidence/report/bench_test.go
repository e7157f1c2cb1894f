package report_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	testresult "github.com/in-toto/attestation/go/predicates/test_result/v0"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/capability/capabilitytest"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/report"
	"github.com/paved-dev/paved/supplychain/attest"
)

// BenchmarkVerifyPack verifies a report pack of a release with 505
// records (500 test runs and the scenario's evidence) and a 200 KB HTML
// report, beside the baseline of evidence.VerifyPack over an evidence pack
// of the same records: what the report's own checks add.
func BenchmarkVerifyPack(b *testing.B) {
	ctx := context.Background()
	s := capabilitytest.New(b)
	for i := range 500 {
		s.Record(b, "test", attest.NewTestResult(&testresult.TestResult{Result: "PASSED", PassedTests: []string{fmt.Sprintf("Test%d", i)}}), capabilitytest.Artifact())
	}
	a, err := capability.Assess(ctx, s.Map, s.Store, s.Engine, s.Scope, capability.WithAssessClock(func() time.Time { return capabilitytest.Now }))
	if err != nil {
		b.Fatal(err)
	}
	var pack bytes.Buffer
	html := bytes.Repeat([]byte("<p>evidence</p>\n"), 200<<10/16)
	if err := report.WritePack(ctx, &pack, s.Store, s.Signer, a, map[string][]byte{"report.html": html}); err != nil {
		b.Fatal(err)
	}
	cp, err := s.Store.Checkpoint(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var plain bytes.Buffer
	if err := s.Store.Export(ctx, &plain, evidence.Query{SubjectDigest: "sha256:" + capabilitytest.Artifact().Digest["sha256"]}, cp); err != nil {
		b.Fatal(err)
	}

	b.Run("report-pack", func(b *testing.B) {
		b.SetBytes(int64(pack.Len()))
		for b.Loop() {
			if _, err := report.VerifyPack(bytes.NewReader(pack.Bytes()), s.VerifierKey); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-evidence-pack", func(b *testing.B) {
		b.SetBytes(int64(plain.Len()))
		for b.Loop() {
			if _, err := evidence.VerifyPack(bytes.NewReader(plain.Bytes()), s.VerifierKey); err != nil {
				b.Fatal(err)
			}
		}
	})
}
