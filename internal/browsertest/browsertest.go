package browsertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/paved-dev/paved/internal/testenv"
)

// Chromium returns the path of the chromium binary. When it is absent it
// skips t, or fails it when the environment says CI=true.
func Chromium(t testing.TB) string {
	t.Helper()
	return testenv.Tool(t, "chromium", "the HTML rendering test needs it (apt-get install chromium; .ci/run installs it)")
}

// DumpDOM loads page (a complete HTML document) from a file in headless
// Chromium, with no network, lets its scripts run and returns the DOM as
// the browser serialises it.
func DumpDOM(t testing.TB, page []byte) string {
	t.Helper()
	bin := Chromium(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "page.html")
	if err := os.WriteFile(file, page, 0o600); err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(dir, "profile")
	if err := os.Mkdir(profile, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+profile,
		"--dump-dom", "file://"+file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v: %s", err, stderr.String())
	}
	return string(out)
}
