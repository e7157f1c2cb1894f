package evidence_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// TestAuditAcrossChunks audits a log that Audit reads in several chunks at
// once: clean, it recomputes the checkpoint's root; tampered in two chunks,
// it names both records.
func TestAuditAcrossChunks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "evidence.db")
	back, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	skey, _, err := note.GenerateKey(nil, "example.com/chunks")
	require.NoError(t, err)
	store, err := evidence.Open(ctx, back, evidence.WithoutVerificationUnsafe(), evidence.WithCheckpointKey(skey))
	require.NoError(t, err)
	defer store.Close(ctx)
	signer, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	const n = 2*evidence.AuditChunk + 5
	var entries []evidence.Entry
	for i := range n {
		entries = append(entries, signedEntry(t, signer, attest.Generic{Type: "https://example.com/chunk/v1", JSON: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}))
	}
	_, err = store.Append(ctx, entries...)
	require.NoError(t, err)
	cp, err := store.Checkpoint(ctx)
	require.NoError(t, err)

	report, err := store.Audit(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(n), report.Size)
	assert.Equal(t, cp.Root, report.Root)

	// Corrupt an envelope of the second chunk and delete the first record
	// of the third, behind the store's back.
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	corrupt, deleted := uint64(evidence.AuditChunk+1), uint64(2*evidence.AuditChunk)
	_, err = db.ExecContext(ctx, `UPDATE envelopes SET data = CAST(replace(CAST(data AS TEXT), 'payload', 'PAYLOAD') AS BLOB)
		WHERE idx = ?`, corrupt)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `DELETE FROM records WHERE idx = ?`, deleted)
	require.NoError(t, err)

	_, err = store.Audit(ctx)
	require.ErrorIs(t, err, evidence.ErrTampered)
	named := map[uint64]string{}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ae *evidence.AuditError
		require.True(t, errors.As(e, &ae), "%v", e)
		named[ae.Index] = ae.Problem
	}
	assert.Contains(t, named[corrupt], "envelope does not hash", "%v", err)
	assert.Contains(t, named[deleted], "missing", "%v", err)
}
