package sqlite_test

import (
	"testing"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/evidencetest"
)

// TestConformance runs the evidence backend conformance suite against
// SQLite files, tampering with them through direct SQL.
func TestConformance(t *testing.T) {
	evidencetest.TestBackend(t, func(t *testing.T) (evidence.Backend, evidencetest.Tamperer) {
		return OpenTampered(t)
	})
}
