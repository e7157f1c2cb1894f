package csv_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/paved-dev/paved/metrics/csv"
)

// Read deployments from CSV; a cell that does not parse is reported with
// its line and column.
func ExampleReadDeployments() {
	deps, err := csv.ReadDeployments(strings.NewReader(`id,service,environment,finished_at,changes,kind
d1,shop,prod,2024-06-03T10:00:00Z,c1 c2,normal
d2,shop,prod,2024-06-04T10:00:00+02:00,,rollback
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range deps {
		fmt.Println(d.ID, d.FinishedAt.UTC(), d.Changes, d.Kind)
	}

	_, err = csv.ReadDeployments(strings.NewReader("id,finished_at\nd3,tuesday\n"))
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Line, pe.Column, err)
	}
	// Output:
	// d1 2024-06-03 10:00:00 +0000 UTC [c1 c2] normal
	// d2 2024-06-04 08:00:00 +0000 UTC [] rollback
	// 2 finished_at csv: line 2: finished_at: "tuesday" is not an RFC 3339 time
}
