//go:build unix

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/paved-dev/paved/evidence"
)

// FuzzOpenJSONL reads arbitrary log files: opening, reading and auditing
// them returns errors, never panics. The seeds are a log the example
// wrote (a record and a checkpoint), a torn line and lines of the wrong
// shape.
func FuzzOpenJSONL(f *testing.F) {
	ctx := context.Background()
	dir := f.TempDir()
	if err := run(ctx, io.Discard, dir); err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(dir, "evidence.jsonl")
	seed, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte("{\"records\": [{\"index\": 7}]}\n"))
	f.Add([]byte("{\"nodes\": [{\"level\": 99, \"index\": 18446744073709551615}]}\n{\"checkpoint\": {\"size\": 3}}\n"))
	f.Add([]byte("not json\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "evidence.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := OpenJSONL(path)
		if err != nil {
			return
		}
		defer b.Close(ctx)
		if _, err := b.Size(ctx); err != nil {
			return
		}
		for _, err := range b.Scan(ctx, 0) {
			if err != nil {
				break
			}
		}
		for _, err := range b.Checkpoints(ctx) {
			if err != nil {
				break
			}
		}
		store, err := evidence.Open(ctx, b)
		if err != nil {
			return
		}
		_, _ = store.Audit(ctx)
	})
}
