package report_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence/report"
)

// writePack builds the scenario's report pack with its HTML and JSON
// forms, and returns the pack's bytes and the log's verifier key.
func writePack(t testing.TB) ([]byte, string, *report.Report) {
	t.Helper()
	s, r := buildTB(t)
	var html, js bytes.Buffer
	require.NoError(t, r.WriteHTML(&html))
	require.NoError(t, r.WriteJSON(&js))
	var pack bytes.Buffer
	require.NoError(t, report.WritePack(context.Background(), &pack, s.Store, s.Signer, r.Assessment,
		map[string][]byte{"report.html": html.Bytes(), "report.json": js.Bytes()}))
	return pack.Bytes(), s.VerifierKey, r
}

func TestPackVerifiesAfterCopyAndFailsAfterOneByte(t *testing.T) {
	pack, vkey, r := writePack(t)

	// Written in one place, copied to another, verified from the copy
	// with nothing but the verifier key.
	src := filepath.Join(t.TempDir(), "report.pack")
	require.NoError(t, os.WriteFile(src, pack, 0o600))
	dst := filepath.Join(t.TempDir(), "copy.pack")
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, data, 0o600))
	f, err := os.Open(dst)
	require.NoError(t, err)
	defer f.Close()
	v, err := report.VerifyPack(f, vkey)
	require.NoError(t, err)
	assert.Equal(t, r.Assessment.ID, v.Summary.Assessment)
	assert.Equal(t, []string{"report.html", "report.json"}, keys(v.Files))
	for _, ref := range r.Assessment.Records {
		got, ok := v.Records[ref.ID]
		require.True(t, ok, ref.ID)
		assert.Equal(t, ref.Index, got.Index)
		assert.NotNil(t, got.Envelope)
	}
	assert.Equal(t, len(r.Assessment.Records)+1, len(v.Records), "the records and the report statement")

	// One changed byte anywhere that matters rejects the pack.
	cases := map[string]func([]byte) int{
		"report html":      func(b []byte) int { return bytes.Index(b, []byte("<h1>")) + 1 },
		"report json":      func(b []byte) int { return bytes.Index(b, []byte(`"title": "`)) + 10 },
		"envelope":         func(b []byte) int { return bytes.Index(b, []byte(`"sig":"`)) + 12 },
		"inclusion proof":  func(b []byte) int { return bytes.Index(b, []byte(`"proof":["`)) + 12 },
		"record metadata":  func(b []byte) int { return bytes.Index(b, []byte(`"Stage":"`)) + 9 },
		"checkpoint root":  func(b []byte) int { return bytes.Index(b, []byte("paved.test/log\n")) + len("paved.test/log\n") + 4 },
		"checkpoint sig":   func(b []byte) int { return bytes.Index(b, []byte("\u2014 paved.test/log ")) + 25 },
		"statement digest": func(b []byte) int { return bytes.LastIndex(b, []byte(`"payload":"`)) + 40 },
	}
	for name, at := range cases {
		t.Run(name, func(t *testing.T) {
			i := at(pack)
			require.Positive(t, i)
			bad := bytes.Clone(pack)
			bad[i] = flip(bad[i])
			_, err := report.VerifyPack(bytes.NewReader(bad), vkey)
			require.ErrorIs(t, err, report.ErrInvalidPack)
		})
	}

	// Another log's key does not verify it.
	_, other, _ := writePack(t)
	_, err = report.VerifyPack(bytes.NewReader(pack), other)
	assert.ErrorIs(t, err, report.ErrInvalidPack)
}

// flip changes a byte to another of the same kind, so that base64 and
// hex stay well-formed and only the value changes.
func flip(c byte) byte {
	switch {
	case c == 'A':
		return 'B'
	case c >= 'a' && c <= 'e' || c >= '0' && c <= '8':
		return c + 1
	}
	return 'A'
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestWritePackRejectsBadNames(t *testing.T) {
	s, r := buildTB(t)
	for _, name := range []string{"", "a/b", "..", `x\y`} {
		err := report.WritePack(context.Background(), &bytes.Buffer{}, s.Store, s.Signer, r.Assessment, map[string][]byte{name: []byte("x")})
		assert.ErrorContains(t, err, "plain file name", name)
	}
	err := report.WritePack(context.Background(), &bytes.Buffer{}, s.Store, s.Signer, r.Assessment, nil)
	assert.ErrorContains(t, err, "no report files")
}

func FuzzVerifyPack(f *testing.F) {
	pack, vkey, _ := writePack(f)
	f.Add(pack)
	f.Add(pack[:len(pack)/2])
	f.Add([]byte{})
	f.Add([]byte("report/x\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := report.VerifyPack(bytes.NewReader(data), vkey)
		if err != nil {
			require.ErrorIs(t, err, report.ErrInvalidPack)
			return
		}
		require.NotNil(t, v.Checkpoint)
		require.NotEmpty(t, v.Files)
	})
}
