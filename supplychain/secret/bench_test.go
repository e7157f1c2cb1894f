package secret_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fatih/semgroup"
	"github.com/stretchr/testify/require"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/paved-dev/paved/supplychain/secret"
)

// benchTree writes a source tree of 1,000 files of about 4 KiB (4 MiB of
// Go-like code and config in 50 directories) with 10 planted keys.
func benchTree(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	var body strings.Builder
	for i := range 60 {
		fmt.Fprintf(&body, "func handler%d(w http.ResponseWriter, r *http.Request) { log.Printf(\"request %%s\", r.URL.Path) }\n", i)
	}
	for i := range 1000 {
		content := "package pkg\n\n" + body.String()
		if i%100 == 7 {
			content += "\nconst awsAccessKeyID = \"" + awsKey() + "\"\n"
		}
		write(b, dir, filepath.Join(fmt.Sprintf("pkg%02d", i%50), fmt.Sprintf("file%04d.go", i)), content)
	}
	return dir
}

// BenchmarkScanPath scans the tree with this package; the baseline,
// gitleaks' own detector over its Files source (what `gitleaks dir`
// runs), scans the same tree in the same run.
func BenchmarkScanPath(b *testing.B) {
	dir := benchTree(b)
	ctx := context.Background()
	b.Run("paved", func(b *testing.B) {
		s, err := secret.New()
		require.NoError(b, err)
		for b.Loop() {
			r, err := s.ScanPath(ctx, dir)
			require.NoError(b, err)
			require.Len(b, r.Findings, 10)
		}
	})
	b.Run("gitleaks-baseline", func(b *testing.B) {
		base, err := detect.NewDetectorDefaultConfig()
		require.NoError(b, err)
		for b.Loop() {
			d := detect.NewDetector(base.Config)
			d.MaxDecodeDepth = secret.DefaultMaxDecodeDepth
			d.MaxArchiveDepth = secret.DefaultMaxArchiveDepth
			src := &sources.Files{Path: dir, Config: &d.Config, Sema: semgroup.NewGroup(ctx, 40), MaxArchiveDepth: d.MaxArchiveDepth}
			found, err := d.DetectSource(ctx, src)
			require.NoError(b, err)
			require.Len(b, found, 10)
		}
	})
}
