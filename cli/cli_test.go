package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/cli"
)

func TestCode(t *testing.T) {
	assert.Equal(t, cli.ExitOK, cli.Code(nil))
	assert.Equal(t, cli.ExitInternal, cli.Code(errors.New("disk full")))
	denied := &cli.ExitError{Code: cli.ExitDenied, Err: errors.New("blocked")}
	assert.Equal(t, cli.ExitDenied, cli.Code(fmt.Errorf("run: %w", denied)), "the code survives wrapping")
	assert.Equal(t, "blocked", denied.Error())
	assert.Equal(t, denied.Err, errors.Unwrap(denied))
}

func TestMainPrintsWhatFailedAndWhatNext(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), []string{"--dir", dir, "evidence", "audit"}, &out, &errOut, cli.WithName("acme-paved"))
	assert.Equal(t, cli.ExitUsage, code)
	assert.Equal(t, "acme-paved evidence audit: no paved directory at "+dir+": stat "+dir+": no such file or directory\n"+
		"  run 'paved init --dir "+dir+"' first, or pass the right --dir\n", errOut.String())
	assert.Empty(t, out.String())
}

func TestWithOpenOptions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	var out, errOut bytes.Buffer
	// An option paved.Open rejects reaches it: the run fails as an
	// internal error naming the option.
	code := cli.Main(context.Background(), []string{"--dir", dir, "init"}, &out, &errOut,
		cli.WithOpenOptions(paved.WithMap(nil)))
	assert.Equal(t, cli.ExitInternal, code)
	assert.Contains(t, errOut.String(), "WithMap: nil map")

	out.Reset()
	errOut.Reset()
	require.Equal(t, cli.ExitOK, cli.Main(context.Background(), []string{"--dir", dir, "init"}, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "paved directory "+dir+" ready: 0 records")
}
