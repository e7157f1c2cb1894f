package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/postgres"
)

// The environment of a child process of TestMultiProcess.
const (
	childEnv      = "PAVED_POSTGRES_TEST_CHILD" // the child's number
	childConnEnv  = "PAVED_POSTGRES_TEST_CONN"
	childKeyEnv   = "PAVED_POSTGRES_TEST_NOTE_KEY"
	childOutEnv   = "PAVED_POSTGRES_TEST_OUT"
	childStartEnv = "PAVED_POSTGRES_TEST_START" // Unix nanoseconds
)

const (
	children        = 4
	recordsPerChild = 50
)

// childBatches are the batch sizes in which a child appends its records.
var childBatches = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 5}

// TestMultiProcess runs this test binary as 4 processes that open the same
// empty schema at once (so they race to migrate it) and append 50 records
// each, in batches, at the same moment. The log must come out with indexes
// 0..199, each batch's records consecutive, and pass the Store's Audit.
func TestMultiProcess(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		appendAsChild(t)
		return
	}
	ctx := context.Background()
	conn := freshSchema(t)
	skey, vkey, err := note.GenerateKey(nil, "paved.dev/multiprocess")
	require.NoError(t, err)
	dir := t.TempDir()
	start := time.Now().Add(3 * time.Second)

	var wg sync.WaitGroup
	outputs := make([][]byte, children)
	errs := make([]error, children)
	for c := range children {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMultiProcess$", "-test.count=1", "-test.timeout=5m")
		cmd.Env = append(os.Environ(),
			childEnv+"="+strconv.Itoa(c),
			childConnEnv+"="+conn,
			childKeyEnv+"="+skey,
			childOutEnv+"="+filepath.Join(dir, fmt.Sprint(c, ".json")),
			childStartEnv+"="+strconv.FormatInt(start.UnixNano(), 10),
		)
		wg.Go(func() { outputs[c], errs[c] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for c, err := range errs {
		require.NoError(t, err, "child %d:\n%s", c, outputs[c])
	}

	// What the children were given.
	var got []uint64
	owner := map[uint64]int{}
	for c := range children {
		raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprint(c, ".json")))
		require.NoError(t, err)
		var idx []uint64
		require.NoError(t, json.Unmarshal(raw, &idx))
		require.Len(t, idx, recordsPerChild, "child %d", c)
		got = append(got, idx...)
		for _, i := range idx {
			owner[i] = c
		}
	}
	slices.Sort(got)
	want := make([]uint64, children*recordsPerChild)
	for i := range want {
		want[i] = uint64(i)
	}
	require.Equal(t, want, got, "indexes with gaps or duplicates")
	switches := 0
	for i := 1; i < len(want); i++ {
		if owner[uint64(i)] != owner[uint64(i-1)] {
			switches++
		}
	}
	t.Logf("the log changes hands %d times between the processes", switches)

	// What the log holds.
	b, err := postgres.Open(ctx, conn)
	require.NoError(t, err)
	s, err := evidence.Open(ctx, b, evidence.WithoutVerificationUnsafe(), evidence.WithCheckpointVerifier(vkey))
	require.NoError(t, err)
	defer s.Close(ctx)
	size, err := s.Size(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(children*recordsPerChild), size)
	recs := all(t, s.Query(ctx, evidence.Query{Limit: evidence.MaxQueryLimit}))
	require.Equal(t, want, indexes(recs))
	for _, r := range recs {
		assert.Len(t, r.Signers, 1, "record %d was appended with verification", r.Index)
	}
	rep, err := s.Audit(ctx)
	require.NoError(t, err)
	assert.Equal(t, size, rep.Size)
	assert.GreaterOrEqual(t, rep.Checkpoints, 1)
	t.Logf("%d processes appended %d records; audit checked %d checkpoints", children, rep.Size, rep.Checkpoints)
}

// appendAsChild is one child process of TestMultiProcess.
func appendAsChild(t *testing.T) {
	ctx := context.Background()
	child := os.Getenv(childEnv)
	startNanos, err := strconv.ParseInt(os.Getenv(childStartEnv), 10, 64)
	require.NoError(t, err)

	// Signed entries first, so that the appends themselves start together.
	sg := newSigning(t)
	var entries []evidence.Entry
	for i := range recordsPerChild {
		entries = append(entries, sg.entry(t, fmt.Sprintf("child-%s-artifact-%d", child, i), "build"))
	}
	b, err := postgres.Open(ctx, os.Getenv(childConnEnv)) // all children migrate the empty schema at once
	require.NoError(t, err)
	s, err := evidence.Open(ctx, b, evidence.WithTrust(sg.trust), evidence.WithCheckpointKey(os.Getenv(childKeyEnv)))
	require.NoError(t, err)
	defer s.Close(ctx)

	time.Sleep(time.Until(time.Unix(0, startNanos)))
	var idx []uint64
	next := 0
	for _, n := range childBatches {
		recs, err := s.Append(ctx, entries[next:next+n]...)
		require.NoError(t, err)
		for i, r := range recs {
			require.Equal(t, recs[0].Index+uint64(i), r.Index, "a batch's indexes are not consecutive")
			idx = append(idx, r.Index)
		}
		next += n
	}
	require.Equal(t, recordsPerChild, next)
	_, err = s.Checkpoint(ctx)
	require.NoError(t, err)
	raw, err := json.Marshal(idx)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(os.Getenv(childOutEnv), raw, 0o600))
}
