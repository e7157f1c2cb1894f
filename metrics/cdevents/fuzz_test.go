package cdevents_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/paved-dev/paved/metrics/cdevents"
)

// FuzzRead: Read never panics; it returns events or an error wrapping one
// of the sentinels (or a read error), never both.
func FuzzRead(f *testing.F) {
	doc, err := os.ReadFile("testdata/delivery.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc)
	for _, line := range bytes.Split(doc, []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte(`[` + string(bytes.Split(doc, []byte("\n"))[0]) + `]`))
	f.Add([]byte(`{"context":{"specversion":"0.4.0"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := cdevents.Read(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, cdevents.ErrInvalidEvent) && !errors.Is(err, cdevents.ErrUnsupportedVersion) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			if len(ev.Changes)+len(ev.Deployments)+len(ev.Incidents) > 0 {
				t.Fatal("events returned with an error")
			}
			return
		}
		for _, d := range ev.Deployments {
			if d.ID == "" || d.Service == "" || d.Environment == "" || d.FinishedAt.IsZero() {
				t.Fatalf("accepted a deployment without its required fields: %+v", d)
			}
		}
	})
}
