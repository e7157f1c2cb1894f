package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/evidence/report"
	"github.com/paved-dev/paved/internal/testenv"
)

// runQuickstart runs the quickstart in a new working directory and returns
// its output and the directory.
func runQuickstart(t *testing.T) (string, string) {
	t.Helper()
	testenv.Tool(t, "git", "the test works in a git repository")
	work := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), &out, config{work: work})
	require.NoError(t, err, out.String())
	return out.String(), work
}

func TestQuickstartWalksAllFiveStages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds, tests and releases a Go service twice")
	}
	out, work := runQuickstart(t)
	t.Log(out)

	// A second run in another directory prints the same, apart from
	// times, digests and paths.
	again, work2 := runQuickstart(t)
	assert.Equal(t, stable(out, work), stable(again, work2))

	// Two releases down the paved road to dev, each promoted to staging,
	// every gate allowing them.
	for _, version := range []string{"v1.0.0", "v1.0.1"} {
		assert.Contains(t, out, "greeter "+version+" runs in dev: sha256:")
		assert.Contains(t, out, "greeter "+version+" runs in staging\n")
	}
	gates := regexp.MustCompile(`(?m)^(plan|build|test|release|operate) +gate +(\S+)`).FindAllStringSubmatch(out, -1)
	var stages []string
	for _, g := range gates {
		stages = append(stages, g[1])
		assert.Equal(t, "allowed", g[2], "the %s gate", g[1])
	}
	assert.Equal(t, []string{"plan", "build", "test", "release", "operate", "operate", "operate", "plan", "build", "test", "release", "operate", "operate", "operate"}, stages,
		"two runs of five stages, each followed by its promotion, then the incident and its recovery")
	// The promotion found the release's change without recording one, so
	// the trace from commit to deployment holds (DSO-XCT-05), and the
	// deployment names the deployer the gate checked.
	assert.Regexp(t, `operate +deploy +ok +deployed greeter@v1\.0\.0 to staging: succeeded`, out)
	// The OSV fixture's finding is suppressed by the team's VEX statement.
	assert.Contains(t, out, "0 active findings of 1")
	// The incident, linked to the first deployment, and its recovery.
	assert.Contains(t, out, "== Operate: an incident: anonymous visitors are greeted with \"Hello, !\" ==")
	assert.Contains(t, out, "== Operate: recovery: v1.0.1 fixed INC-1 ==")

	// The assessment and the DORA figures.
	assert.Contains(t, out, "== Capability assessment of greeter v1.0.1 in staging ==")
	assert.Regexp(t, `(?m)^overall +\d+ +\d+ +\d+ +\d+$`, out)
	assert.Contains(t, out, "== DORA metrics of greeter in staging, last 30 days ==")
	assert.Regexp(t, `(?m)^change fail rate +50 % +n=2`, out, "v1.0.0 caused INC-1, v1.0.1 did not")
	assert.Regexp(t, `(?m)^failed deployment recovery time +\d+s +n=1`, out, "from the incident's detection to its resolution")
	assert.Regexp(t, `(?m)^lead time for changes +\d+s +n=2`, out, "each promotion carried its release's change")
	assert.Regexp(t, `(?m)^deployment frequency +0\.06667 per day +n=2`, out)

	// The reports, and a pack that verifies with nothing but the key.
	reports := filepath.Join(work, "reports")
	for _, name := range []string{"report.html", "report.md", "report.json", "dora.html", "report.pack"} {
		fi, err := os.Stat(filepath.Join(reports, name))
		require.NoError(t, err)
		assert.NotZero(t, fi.Size(), name)
	}
	key := regexp.MustCompile(`-key '([^']+)'`).FindStringSubmatch(out)
	require.Len(t, key, 2)
	f, err := os.Open(filepath.Join(reports, "report.pack"))
	require.NoError(t, err)
	defer f.Close()
	_, err = report.VerifyPack(f, key[1])
	require.NoError(t, err)

	// The audit covered every record the log holds, and the log is kept.
	audit := regexp.MustCompile(`(\d+) records recomputed`).FindStringSubmatch(out)
	require.Len(t, audit, 2)
	ctx := context.Background()
	prog, err := paved.Open(ctx, filepath.Join(work, ".paved"))
	require.NoError(t, err)
	defer prog.Close(ctx)
	size, err := prog.Store().Size(ctx)
	require.NoError(t, err)
	assert.Equal(t, audit[1], strconv.FormatUint(size, 10))
}

// stable masks what differs between two runs of the quickstart: the
// working directory, digests, commit and run IDs, keys and durations.
func stable(out, work string) string {
	out = strings.ReplaceAll(out, work, "<work>")
	for _, m := range []struct{ re, with string }{
		{`-key '[^']+'`, "-key '<key>'"},
		{`[0-9a-f]{12,}`, "<hex>"},
		{`\b\d+(\.\d+)?(ns|µs|ms|s|m|h)(\d+(\.\d+)?(ms|s|m))*\b`, "<duration>"},
	} {
		out = regexp.MustCompile(m.re).ReplaceAllString(out, m.with)
	}
	return out
}

// -repo takes a repository of the user's down the same road, its
// CODEOWNERS team taking the reviewer onto its roster.
func TestQuickstartOnYourRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("builds, tests and releases a Go service")
	}
	testenv.Tool(t, "git", "the test works in a git repository")
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "shop")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	r, err := newRepo(ctx, dir)
	require.NoError(t, err)
	_, err = r.commit(ctx, "shop: owned by the shop team", map[string]string{"CODEOWNERS": "* @acme/shop\n"})
	require.NoError(t, err)

	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, config{work: t.TempDir(), repo: dir, version: "v0.3.0"}), out.String())
	assert.Contains(t, out.String(), "service   shop in "+dir)
	assert.Contains(t, out.String(), "shop v0.3.0 runs in staging\n")
	assert.NotContains(t, out.String(), "== Operate: an incident", "your repository gets no made-up incident")

	// Without CODEOWNERS no change has an owner: said before anything runs.
	require.NoError(t, os.Remove(filepath.Join(dir, "CODEOWNERS")))
	out.Reset()
	err = run(ctx, &out, config{work: t.TempDir(), repo: dir, version: "v0.3.1"})
	assert.ErrorContains(t, err, "has no CODEOWNERS file")
	assert.Empty(t, out.String())
}
