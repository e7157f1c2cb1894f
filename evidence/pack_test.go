package evidence_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// packFixture is a store with a few signed records and a checkpoint.
type packFixture struct {
	store  *evidence.Store
	trust  *sign.Trust
	vkey   string
	cp     *evidence.Checkpoint
	pack   []byte
	stored []evidence.Record
}

func newPackFixture(t testing.TB) *packFixture {
	ctx := context.Background()
	ci, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: ci.Verifier}}, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci"}}})
	require.NoError(t, err)
	skey, vkey, err := note.GenerateKey(nil, "example.com/pack")
	require.NoError(t, err)
	store, err := evidence.Open(ctx, backend(t), evidence.WithTrust(trust), evidence.WithCheckpointKey(skey))
	require.NoError(t, err)
	var entries []evidence.Entry
	for i, p := range attesttest.Samples()[:5] {
		st, err := attest.Build(p, attesttest.Subject())
		require.NoError(t, err)
		env, err := sign.Sign(ctx, ci, st)
		require.NoError(t, err)
		raw, err := json.Marshal(env)
		require.NoError(t, err)
		entries = append(entries, evidence.Entry{Envelope: raw, Stage: "build", Labels: map[string]string{"n": string(rune('a' + i))}})
	}
	stored, err := store.Append(ctx, entries...)
	require.NoError(t, err)
	cp, err := store.Checkpoint(ctx)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, store.Export(ctx, &buf, evidence.Query{Limit: 2}, cp))
	return &packFixture{store: store, trust: trust, vkey: vkey, cp: cp, pack: buf.Bytes(), stored: stored}
}

func TestExportVerifyImport(t *testing.T) {
	ctx := context.Background()
	f := newPackFixture(t)

	v, err := evidence.VerifyPack(bytes.NewReader(f.pack), f.vkey)
	require.NoError(t, err)
	require.Len(t, v.Records, 5, "every page of the query is exported")
	assert.Equal(t, f.cp.Size, v.Checkpoint.Size)
	for i, r := range v.Records {
		assert.Equal(t, f.stored[i].ID, r.ID)
		assert.NotEmpty(t, r.Envelope)
	}

	other, err := evidence.Open(ctx, backend(t), evidence.WithTrust(f.trust))
	require.NoError(t, err)
	imported, err := other.Import(ctx, bytes.NewReader(f.pack), f.vkey)
	require.NoError(t, err)
	require.Len(t, imported, 5)
	for i, r := range imported {
		assert.Equal(t, f.stored[i].ID, r.ID, "the same envelopes")
		assert.Equal(t, f.stored[i].Labels, r.Labels)
		assert.Equal(t, "build", r.Stage)
	}
	_, err = other.Audit(ctx)
	require.NoError(t, err)
}

// rewritePack applies edit to every file of a pack.
func rewritePack(t *testing.T, pack []byte, edit func(name string, data []byte) []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(pack))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		data = edit(h.Name, data)
		h.Size = int64(len(data))
		require.NoError(t, tw.WriteHeader(h))
		_, err = tw.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return out.Bytes()
}

func TestVerifyPackRejects(t *testing.T) {
	f := newPackFixture(t)
	_, otherKey, err := note.GenerateKey(nil, "example.com/pack")
	require.NoError(t, err)
	tests := map[string]struct {
		pack []byte
		key  string
	}{
		"another key": {f.pack, otherKey},
		"rewritten stage": {rewritePack(t, f.pack, func(name string, data []byte) []byte {
			return bytes.Replace(data, []byte(`"Stage":"build"`), []byte(`"Stage":"release"`), 1)
		}), f.vkey},
		"corrupted envelope": {rewritePack(t, f.pack, func(name string, data []byte) []byte {
			if bytes.HasPrefix([]byte(name), []byte("envelopes/")) {
				data = bytes.Clone(data)
				data[len(data)/2] ^= 1
			}
			return data
		}), f.vkey},
		"tampered proof": {rewritePack(t, f.pack, func(name string, data []byte) []byte {
			return bytes.Replace(data, []byte(`"proof":["`), []byte(`"proof":["AAAA`), 1)
		}), f.vkey},
		"not a tar": {[]byte("hello"), f.vkey},
		"empty":     {nil, f.vkey},
		"truncated": {f.pack[:len(f.pack)/2], f.vkey},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := evidence.VerifyPack(bytes.NewReader(tt.pack), tt.key)
			assert.ErrorIs(t, err, evidence.ErrInvalidPack)
		})
	}
}

// FuzzVerifyPack: VerifyPack never panics and accepts nothing that the
// fixture's key did not sign.
func FuzzVerifyPack(f *testing.F) {
	pf := newPackFixture(f)
	f.Add(pf.pack)
	_, otherKey, err := note.GenerateKey(nil, "example.com/pack")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := evidence.VerifyPack(bytes.NewReader(data), otherKey); err == nil {
			t.Fatal("a pack verified with a key that signed nothing")
		}
	})
}

func TestExportRecords(t *testing.T) {
	ctx := context.Background()
	f := newPackFixture(t)
	var buf bytes.Buffer
	require.NoError(t, f.store.ExportRecords(ctx, &buf, []string{f.stored[3].ID, f.stored[1].ID}, f.cp))
	p, err := evidence.VerifyPack(&buf, f.vkey)
	require.NoError(t, err)
	var ids []string
	for _, r := range p.Records {
		ids = append(ids, r.ID)
		assert.NotEmpty(t, r.Envelope)
	}
	assert.Equal(t, []string{f.stored[3].ID, f.stored[1].ID}, ids, "exactly the records asked for, in that order")

	buf.Reset()
	err = f.store.ExportRecords(ctx, &buf, []string{"sha256:" + strings.Repeat("0", 64)}, f.cp)
	assert.ErrorIs(t, err, evidence.ErrNotFound, "an unknown record is an error, not a silent gap")
}
