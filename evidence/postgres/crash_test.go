package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/evidencetest"
	"github.com/paved-dev/paved/evidence/postgres"
)

// TestCrash kills an appending process 20 times; nothing it acknowledged
// may be lost and the log must audit clean each time.
func TestCrash(t *testing.T) {
	evidencetest.CrashTest(t, 20,
		func(t *testing.T) string { return freshSchema(t) },
		func(t testing.TB, target string) evidence.Backend {
			b, err := postgres.Open(context.Background(), target)
			require.NoError(t, err)
			return b
		})
}
