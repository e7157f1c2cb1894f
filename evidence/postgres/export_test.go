package postgres

import "github.com/paved-dev/paved/evidence"

// BuildQuery exposes buildQuery to the tests.
func BuildQuery(q evidence.Query) (string, []any, bool) { return buildQuery(q) }

// Migrations is the number of migrations this code knows.
func Migrations() int { return len(migrations()) }

// AcquiredConns is the number of the pool's connections in use.
func (b *Backend) AcquiredConns() int32 { return b.pool.Stat().AcquiredConns() }
