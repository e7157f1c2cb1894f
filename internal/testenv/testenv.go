// Package testenv finds the tools a test runs for real, such as git or
// chromium: absent on a developer's machine, the test is skipped with a
// message saying what to install; absent in CI (CI=true), where .ci/run
// installs every tool, the test fails.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Tool returns the path of the program name. When it is not installed
// it skips t with why (what the test needs it for, and how to install
// it), or fails t when the environment says CI=true.
func Tool(t testing.TB, name, why string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed, and CI=true: %s", name, why)
		} else {
			t.Skipf("%s is not installed: skipping: %s", name, why)
		}
	}
	return path
}
