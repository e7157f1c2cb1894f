package testenv_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/paved-dev/paved/internal/testenv"
)

// recorder is a testing.TB that records how Tool ended the test instead
// of ending it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = format }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = format }

func TestTool(t *testing.T) {
	assert.Equal(t, "go", filepath.Base(testenv.Tool(t, "go", "it runs the go command")), "found: %s", runtime.Version())

	t.Setenv("CI", "")
	r := &recorder{TB: t}
	testenv.Tool(r, "paved-no-such-tool", "for nothing")
	assert.NotEmpty(t, r.skipped, "absent locally: skipped")
	assert.Empty(t, r.failed)

	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	testenv.Tool(r, "paved-no-such-tool", "for nothing")
	assert.NotEmpty(t, r.failed, "absent in CI: failed")
	assert.Empty(t, r.skipped)
}
