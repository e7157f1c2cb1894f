package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/postgres"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Open a team's shared evidence store on PostgreSQL: every pipeline that
// opens the same database appends to the same log, and every one of them
// can query it. (Not run: it needs a server.)
func ExampleOpen() {
	ctx := context.Background()
	backend, err := postgres.Open(ctx,
		"postgres://paved@db.example.com:5432/evidence?sslmode=verify-full&pool_max_conns=8",
		postgres.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	trust, err := sign.LoadTrust("trust.yaml")
	if err != nil {
		fmt.Println(err)
		_ = backend.Close(ctx)
		return
	}
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust))
	if err != nil {
		fmt.Println(err)
		_ = backend.Close(ctx)
		return
	}
	defer store.Close(ctx) // closes the backend too

	// The ten newest release records.
	for rec, err := range store.Query(ctx, evidence.Query{Stage: "release", Descending: true, Limit: 10}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(rec.Index, rec.PredicateType, rec.RecordedAt)
	}
}
