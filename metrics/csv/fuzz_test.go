package csv_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/paved-dev/paved/metrics/csv"
)

// FuzzRead: no reader panics; each returns records or an error wrapping
// ErrInvalid, never both.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"deployments.csv", "changes.csv"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("id,service,environment,detected_at,resolved_at,caused_by,version\ni1,api,prod,2024-06-03T10:00:00Z,,d1,v1\n"))
	f.Add([]byte("run_id,service,environment,started_at,step,manual,duration\nr1,api,prod,2024-06-03T10:00:00Z,approve,true,10m\n"))
	f.Add([]byte("id\n\"a\"\"b\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(n int, err error) {
			if err != nil && !errors.Is(err, csv.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if err != nil && n > 0 {
				t.Fatal("records returned with an error")
			}
		}
		c, err := csv.ReadChanges(bytes.NewReader(data))
		check(len(c), err)
		d, err := csv.ReadDeployments(bytes.NewReader(data))
		check(len(d), err)
		i, err := csv.ReadIncidents(bytes.NewReader(data))
		check(len(i), err)
		r, err := csv.ReadRuns(bytes.NewReader(data))
		check(len(r), err)
	})
}
