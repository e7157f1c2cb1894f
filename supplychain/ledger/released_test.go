package ledger_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReleased(t *testing.T) {
	f := newFixture(t)
	none, err := f.ledger.Released(f.ctx, "checkout")
	require.NoError(t, err)
	assert.Empty(t, none)

	f.release(t, "checkout", "1.0.0", cyclonedx(t, "checkout", "1.0.0", nil), t0)
	f.release(t, "checkout", "1.1.0", cyclonedx(t, "checkout", "1.1.0", nil), t0.Add(time.Hour))
	f.release(t, "search", "7.0.0", cyclonedx(t, "search", "7.0.0", nil), t0)
	digest := func(service, version string) string { return "sha256:" + artifact(service, version).Digest["sha256"] }

	got, err := f.ledger.Released(f.ctx, "checkout")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{digest("checkout", "1.0.0"), digest("checkout", "1.1.0")}, got)
	all, err := f.ledger.Released(f.ctx, "")
	require.NoError(t, err)
	assert.Len(t, all, 3)
	assert.Contains(t, all, digest("search", "7.0.0"))
}
