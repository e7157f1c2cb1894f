package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/capability/capabilitytest"
	"github.com/paved-dev/paved/evidence/report"
)

func TestVerifyPackCommand(t *testing.T) {
	ctx := context.Background()
	s := capabilitytest.New(t)
	a, err := capability.Assess(ctx, s.Map, s.Store, s.Engine, s.Scope, capability.WithAssessClock(func() time.Time { return capabilitytest.Now }))
	require.NoError(t, err)
	r, err := report.New(ctx, s.Store, s.Map, a)
	require.NoError(t, err)
	var md, pack bytes.Buffer
	require.NoError(t, r.WriteMarkdown(&md))
	require.NoError(t, report.WritePack(ctx, &pack, s.Store, s.Signer, a, map[string][]byte{"report.md": md.Bytes()}))
	dir := t.TempDir()
	good := filepath.Join(dir, "report.pack")
	require.NoError(t, os.WriteFile(good, pack.Bytes(), 0o600))
	keyFile := filepath.Join(dir, "log.pub")
	require.NoError(t, os.WriteFile(keyFile, []byte(s.VerifierKey+"\n"), 0o600))

	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"-key-file", keyFile, good}, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "verified: report pack of assessment "+a.ID)
	assert.Contains(t, out.String(), "file: report.md sha256:")
	assert.Contains(t, out.String(), "scope: shop 1.4.2 in prod")

	bad := bytes.Replace(pack.Bytes(), []byte("# paved"), []byte("# Paved"), 1)
	badFile := filepath.Join(dir, "bad.pack")
	require.NoError(t, os.WriteFile(badFile, bad, 0o600))
	out.Reset()
	errOut.Reset()
	assert.Equal(t, 1, run([]string{"-key", s.VerifierKey, badFile}, &out, &errOut))
	assert.Contains(t, errOut.String(), "NOT VERIFIED")
	assert.Empty(t, out.String())

	assert.Equal(t, 2, run([]string{good}, &out, &errOut), "no key")
}
