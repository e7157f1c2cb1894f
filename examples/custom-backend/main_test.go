//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/evidencetest"
)

// TestConformance runs the suite every evidence backend must pass against
// JSONL, tampering with the file directly.
func TestConformance(t *testing.T) {
	evidencetest.TestBackend(t, func(t *testing.T) (evidence.Backend, evidencetest.Tamperer) {
		path := filepath.Join(t.TempDir(), "evidence.jsonl")
		b, err := OpenJSONL(path)
		require.NoError(t, err)
		return b, tamperer{path}
	})
}

// TestCrash kills an appending process 20 times: nothing it was told is
// stored may be lost, and the log must audit clean after each kill.
func TestCrash(t *testing.T) {
	evidencetest.CrashTest(t, 20,
		func(t *testing.T) string { return filepath.Join(t.TempDir(), "evidence.jsonl") },
		func(t testing.TB, path string) evidence.Backend {
			b, err := OpenJSONL(path)
			require.NoError(t, err)
			return b
		})
}

// TestTornLine checks that a line cut short by a crash is ignored, and cut
// off by the next append.
func TestTornLine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, dir))
	path := filepath.Join(dir, "evidence.jsonl")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"records":[{"ID":"sha256:half`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	out.Reset()
	require.NoError(t, run(ctx, &out, dir))
	assert.Contains(t, out.String(), "audit: 2 records and 2 checkpoints check out")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "sha256:half")
	assert.Equal(t, 4, bytes.Count(data, []byte("\n")), "two batches and two checkpoints, a line each")
}

// TestRun runs the command twice over one directory: the second run reads
// the first one's log from the file and extends it.
func TestRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, dir))
	assert.Regexp(t, `^recorded sha256:[0-9a-f]{64} at index 0\n`, out.String())
	assert.Contains(t, out.String(), "checkpoint of 1 records, root ")
	assert.Contains(t, out.String(), "audit: 1 records and 1 checkpoints check out")

	out.Reset()
	require.NoError(t, run(ctx, &out, dir))
	assert.Contains(t, out.String(), "at index 1\n")
	assert.Contains(t, out.String(), "audit: 2 records and 2 checkpoints check out")

	// The file is the store: a fresh backend sees both records.
	b, err := OpenJSONL(filepath.Join(dir, "evidence.jsonl"))
	require.NoError(t, err)
	defer b.Close(ctx)
	n, err := b.Size(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
}

// tamperer edits the log file behind the backend's back, as someone with
// access to the disk would, replacing the file whole.
type tamperer struct{ path string }

func (tm tamperer) DeleteRecord(_ context.Context, index uint64) error {
	return tm.edit(func(recs []*evidence.Record, at map[uint64]*line) {
		l := at[index]
		for i, r := range l.Records {
			if r.Index == index {
				l.Records = append(l.Records[:i], l.Records[i+1:]...)
				return
			}
		}
	})
}

func (tm tamperer) RewriteStage(_ context.Context, index uint64, stage string) error {
	return tm.edit(func(recs []*evidence.Record, _ map[uint64]*line) { recs[index].Stage = stage })
}

func (tm tamperer) SwapRecords(_ context.Context, i, j uint64) error {
	return tm.edit(func(recs []*evidence.Record, _ map[uint64]*line) {
		*recs[i], *recs[j] = *recs[j], *recs[i]
		recs[i].Index, recs[j].Index = i, j
	})
}

func (tm tamperer) CorruptEnvelope(_ context.Context, index uint64) error {
	return tm.edit(func(recs []*evidence.Record, _ map[uint64]*line) {
		env := bytes.Clone(recs[index].Envelope)
		env[len(env)/2] ^= 1
		recs[index].Envelope = env
	})
}

// edit decodes the file, lets change edit its records (by index, and the
// line holding each), and writes it back through a new file.
func (tm tamperer) edit(change func(recs []*evidence.Record, at map[uint64]*line)) error {
	data, err := os.ReadFile(tm.path)
	if err != nil {
		return err
	}
	var lines []*line
	var recs []*evidence.Record
	at := map[uint64]*line{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		l := &line{}
		if err := json.Unmarshal(sc.Bytes(), l); err != nil {
			return err
		}
		lines = append(lines, l)
		for i := range l.Records {
			recs = append(recs, &l.Records[i])
			at[l.Records[i].Index] = l
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	change(recs, at)
	var buf bytes.Buffer
	for _, l := range lines {
		b, err := json.Marshal(l)
		if err != nil {
			return err
		}
		buf.Write(append(b, '\n'))
	}
	tmp := tm.path + ".tampered"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("tamper: %w", err)
	}
	return os.Rename(tmp, tm.path)
}
