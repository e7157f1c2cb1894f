package report_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/capability/capabilitytest"
	"github.com/paved-dev/paved/evidence/report"
)

// Report an assessment as HTML, pack it with its evidence, and verify the
// pack offline with nothing but the log's public key.
func ExampleWritePack() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "report")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	s, err := capabilitytest.Open(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Store.Close(ctx)
	a, err := capability.Assess(ctx, s.Map, s.Store, s.Engine, s.Scope,
		capability.WithAssessClock(func() time.Time { return capabilitytest.Now }))
	if err != nil {
		fmt.Println(err)
		return
	}

	r, err := report.New(ctx, s.Store, s.Map, a)
	if err != nil {
		fmt.Println(err)
		return
	}
	var html bytes.Buffer
	if err := r.WriteHTML(&html); err != nil {
		fmt.Println(err)
		return
	}
	var pack bytes.Buffer
	if err := report.WritePack(ctx, &pack, s.Store, s.Signer, a, map[string][]byte{"report.html": html.Bytes()}); err != nil {
		fmt.Println(err)
		return
	}

	v, err := report.VerifyPack(bytes.NewReader(pack.Bytes()), s.VerifierKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("verified: %d records at checkpoint size %d, files %d, assessment matches: %v\n",
		len(v.Records), v.Checkpoint.Size, len(v.Files), v.Summary.Assessment == a.ID)

	tampered := bytes.Replace(pack.Bytes(), []byte("<h1>"), []byte("<h2>"), 1)
	_, err = report.VerifyPack(bytes.NewReader(tampered), s.VerifierKey)
	fmt.Println(err)
	// Output:
	// verified: 6 records at checkpoint size 6, files 1, assessment matches: true
	// report: invalid pack: report file report.html: does not match the report statement's digest
}
