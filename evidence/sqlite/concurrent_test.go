package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
)

// checkLog checks that the log holds want records with indexes 0 to
// want-1, each ID once, each leaf's node stored, and returns them.
func checkLog(t *testing.T, b *sqlite.Backend, want int) []evidence.Record {
	t.Helper()
	ctx := context.Background()
	n, err := b.Size(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(want), n)
	recs := all(t, b.Scan(ctx, 0))
	require.Len(t, recs, want)
	seen := map[string]bool{}
	var ids []evidence.NodeID
	for i, r := range recs {
		require.Equal(t, uint64(i), r.Index, "indexes have a gap or a repeat")
		require.False(t, seen[r.ID], "%s stored twice", r.ID)
		seen[r.ID] = true
		ids = append(ids, evidence.NodeID{Index: r.Index})
	}
	nodes, err := b.Nodes(ctx, ids)
	require.NoError(t, err)
	for i, r := range recs {
		require.Equal(t, r.LeafHash, nodes[i], "node of leaf %d", i)
	}
	return recs
}

func TestConcurrentAppenders(t *testing.T) {
	ctx := t.Context()
	b, _ := open(t)
	const goroutines, rounds = 16, 12
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		results = map[string]uint64{} // ID -> index Append returned
	)
	for g := range goroutines {
		wg.Go(func() {
			for i := range rounds {
				// Single records and batches, each also repeating a record
				// of another goroutine, so that dedupe races too.
				batch := []evidence.Record{record(fmt.Sprintf("g%d-%d", g, i))}
				if i%3 == 0 {
					batch = append(batch, record(fmt.Sprintf("g%d-%d-b", g, i)), record(fmt.Sprintf("shared-%d", i)))
				}
				out, err := b.Append(ctx, batch, grow)
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				for _, r := range out {
					if prev, ok := results[r.ID]; ok {
						assert.Equal(t, prev, r.Index, "%s got two indexes", r.ID)
					}
					results[r.ID] = r.Index
				}
				mu.Unlock()
			}
		})
	}
	// Readers run alongside.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n, err := b.Size(ctx)
				assert.NoError(t, err)
				got := 0
				for r, err := range b.Query(ctx, evidence.Query{Descending: true, Limit: 5}) {
					assert.NoError(t, err)
					assert.Less(t, r.Index, n+uint64(goroutines*3), "an index beyond the log")
					got++
				}
				assert.LessOrEqual(t, got, 5)
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()

	want := goroutines*rounds + goroutines*(rounds/3) + rounds/3*1 // singles, batch extras, shared ones once
	recs := checkLog(t, b, want)
	require.Len(t, results, want)
	for _, r := range recs {
		assert.Equal(t, results[r.ID], r.Index)
	}
}

// childEnv names the database a child process of TestTwoProcesses appends
// to; childName, the prefix of its records.
const (
	childEnv  = "PAVED_SQLITE_TEST_CHILD_DB"
	childName = "PAVED_SQLITE_TEST_CHILD_NAME"
	childGo   = "PAVED_SQLITE_TEST_CHILD_GO"
	perChild  = 150
)

// TestTwoProcesses runs two copies of the test binary that append to the
// same file at once, then checks the log.
func TestTwoProcesses(t *testing.T) {
	if path := os.Getenv(childEnv); path != "" {
		appendAsChild(t, path, os.Getenv(childName), os.Getenv(childGo))
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "evidence.db")
	goFile := filepath.Join(dir, "go")
	// Both children open the file; the first creates it.
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for _, name := range []string{"left", "right"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTwoProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+path, childName+"="+name, childGo+"="+goFile)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	// Let both get ready, then start them together.
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, os.WriteFile(goFile, nil, 0o600))
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait(), "child %d:\n%s", i, outs[i])
	}

	b, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	defer b.Close(t.Context())
	recs := checkLog(t, b, 2*perChild+1)
	switches := 0
	for i := 1; i < len(recs); i++ {
		if recs[i].Stage != recs[i-1].Stage {
			switches++
		}
	}
	t.Logf("the children's appends alternated %d times", switches)
}

func appendAsChild(t *testing.T, path, name, goFile string) {
	ctx := context.Background()
	b, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer b.Close(ctx)
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := os.Stat(goFile); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "no go")
		time.Sleep(time.Millisecond)
	}
	for i := range perChild {
		batch := []evidence.Record{with(record(name+"-"+strconv.Itoa(i)), func(r *evidence.Record) { r.Stage = name })}
		if i == perChild/2 {
			batch = append(batch, record("both")) // stored once, by whichever comes first
		}
		_, err := b.Append(ctx, batch, grow)
		require.NoError(t, err)
	}
}
