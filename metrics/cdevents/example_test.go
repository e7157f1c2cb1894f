package cdevents_test

import (
	"fmt"
	"strings"

	"github.com/paved-dev/paved/metrics/cdevents"
)

// Read CDEvents, one per line, into metrics events.
func ExampleRead() {
	doc := `{"context":{"specversion":"0.4.1","id":"e1","source":"/scm","type":"dev.cdevents.change.merged.0.2.0","timestamp":"2024-06-03T09:00:00Z"},"subject":{"id":"pr-1","content":{"repository":{"id":"acme/shop"}}}}
{"context":{"specversion":"0.4.1","id":"e2","source":"/ci","type":"dev.cdevents.artifact.packaged.0.2.0","timestamp":"2024-06-03T09:30:00Z"},"subject":{"id":"pkg:oci/shop@sha256%3Aab","content":{"change":{"id":"pr-1"}}}}
{"context":{"specversion":"0.5.0","id":"deploy-1","source":"/cd","type":"dev.cdevents.service.deployed.0.3.0","timestamp":"2024-06-03T10:00:00Z"},"subject":{"id":"shop","content":{"environment":{"id":"prod"},"artifactId":"pkg:oci/shop@sha256%3Aab"}}}`
	ev, err := cdevents.Read(strings.NewReader(doc))
	if err != nil {
		fmt.Println(err)
		return
	}
	d := ev.Deployments[0]
	fmt.Println(d.ID, d.Service, d.Environment, d.Kind, d.Changes)
	fmt.Println(ev.Changes[0].ID, ev.Changes[0].MergedAt)
	// Output:
	// deploy-1 shop prod normal [pr-1]
	// pr-1 2024-06-03 09:00:00 +0000 UTC
}
