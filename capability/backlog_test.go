package capability_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), string(got))
}

func TestBacklog(t *testing.T) {
	m := validMap()
	m.Areas = append(m.Areas, capability.Area{
		ID: capability.Reliability, Title: "Reliability", Owner: "payments",
		Capabilities: []capability.Capability{{ID: "dora", Title: "DORA", Controls: []capability.Control{
			{ID: "R-1", Title: "Measure lead time", Enforcement: capability.Advisory, Manual: true},
			{ID: "R-2", Title: "Recover fast", Enforcement: capability.Mandatory, Manual: true, Work: capability.PlatformWork},
			{ID: "R-3", Title: "Count toil", Enforcement: capability.Mandatory, Manual: true},
		}}},
	})
	require.NoError(t, m.ValidateAt(now))

	b := m.Backlog(map[string]capability.Status{
		"C-1": capability.StatusNoEvidence,
		"C-2": capability.StatusPass,
		"R-1": capability.StatusWarn,
		"R-2": capability.StatusFail,
		"R-3": capability.StatusNotApplicable,
	})
	require.Len(t, b, 3, "pass and not_applicable are not gaps")
	assert.Equal(t, capability.BacklogItem{
		Control: "R-2", Title: "Recover fast", Area: capability.Reliability, Capability: "dora",
		Enforcement: capability.Mandatory, Status: capability.StatusFail, Work: capability.PlatformWork,
		Owner: "payments", OwnerName: "Payments",
	}, b[0], "mandatory failures first")
	assert.Equal(t, "C-1", b[1].Control)
	assert.Equal(t, capability.SecurityWork, b[1].Work, "supply-chain gaps are security work")
	assert.Equal(t, "appsec", b[1].Owner)
	assert.Equal(t, "#appsec", b[1].Contact)
	assert.Equal(t, "R-1", b[2].Control)
	assert.Equal(t, capability.DeliveryWork, b[2].Work, "reliability gaps are delivery work")

	all := m.Backlog(nil)
	assert.Len(t, all, 5, "without statuses, every control lacks evidence")
	for _, it := range all {
		assert.Equal(t, capability.StatusNoEvidence, it.Status)
	}
}

func TestStatusIsGap(t *testing.T) {
	gaps := map[capability.Status]bool{
		capability.StatusPass: false, capability.StatusNotApplicable: false, capability.StatusManual: false,
		capability.StatusFail: true, capability.StatusError: true, capability.StatusNoEvidence: true,
		capability.StatusWarn: true, capability.StatusWaived: true,
	}
	for s, want := range gaps {
		assert.Equal(t, want, s.IsGap(), s)
	}
}

func TestBacklogWriters(t *testing.T) {
	m := validMap()
	control(m, 1).Title = "=HYPERLINK(\"http://evil\") | review"
	b := m.Backlog(map[string]capability.Status{"C-1": capability.StatusFail, "C-2": capability.StatusWaived})

	var js bytes.Buffer
	require.NoError(t, b.WriteJSON(&js))
	golden(t, "backlog.json", js.Bytes())
	var back capability.Backlog
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, b, back)

	var cs bytes.Buffer
	require.NoError(t, b.WriteCSV(&cs))
	golden(t, "backlog.csv", cs.Bytes())
	rows, err := csv.NewReader(&cs).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, "control", rows[0][0])
	assert.Equal(t, `'=HYPERLINK("http://evil") | review`, rows[2][1], "a formula is defused")

	var md bytes.Buffer
	require.NoError(t, b.WriteMarkdown(&md))
	golden(t, "backlog.md", md.Bytes())
	assert.Contains(t, md.String(), `=HYPERLINK("http://evil") \| review`, "pipes are escaped")

	var empty bytes.Buffer
	require.NoError(t, capability.Backlog(nil).WriteJSON(&empty))
	assert.Equal(t, "[]\n", empty.String())
	empty.Reset()
	require.NoError(t, capability.Backlog(nil).WriteMarkdown(&empty))
	assert.Equal(t, "No gaps.\n", empty.String())
}

func TestMapWriteMarkdown(t *testing.T) {
	m, err := capability.LoadFile("testdata/valid.yaml", capability.WithClock(clock))
	require.NoError(t, err)
	var md bytes.Buffer
	require.NoError(t, m.WriteMarkdown(&md))
	golden(t, "valid.md", md.Bytes())
}
