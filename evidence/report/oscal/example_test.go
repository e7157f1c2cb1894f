package oscal_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/capability/capabilitytest"
	"github.com/paved-dev/paved/evidence/report"
	"github.com/paved-dev/paved/evidence/report/oscal"
)

// Convert an assessment report to OSCAL assessment results.
func ExampleFromReport() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "oscal")
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
	doc, err := oscal.FromReport(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range doc.AssessmentResults.Results[0].Findings {
		if f.Target.TargetID == "DSO-TST-01" || f.Target.TargetID == "DSO-BLD-01" {
			fmt.Println(f.Target.TargetID, f.Target.Status.State, f.Target.Status.Reason)
		}
	}
	// Output:
	// DSO-BLD-01 not-satisfied fail
	// DSO-TST-01 satisfied pass
}
