package capability

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/paved-dev/paved/internal/yamldoc"
)

// MaxDocumentSize is the largest map document Load reads: 8 MiB, far above
// any real map, so that a hostile file cannot exhaust memory.
const MaxDocumentSize = 8 << 20

// LoadOption configures Load and LoadFile.
type LoadOption interface{ apply(*loadConfig) }

type loadConfig struct {
	file  string
	clock func() time.Time
}

type loadOptionFunc func(*loadConfig)

func (f loadOptionFunc) apply(c *loadConfig) { f(c) }

// WithFilename names the document in errors. LoadFile sets it to the path;
// the default for Load is no name.
func WithFilename(name string) LoadOption {
	return loadOptionFunc(func(c *loadConfig) { c.file = name })
}

// WithClock sets the clock that validation uses to judge exception expiry.
// The default is time.Now.
func WithClock(now func() time.Time) LoadOption {
	return loadOptionFunc(func(c *loadConfig) {
		if now != nil {
			c.clock = now
		}
	})
}

// LoadFile reads a map from a YAML or JSON file and validates it, as Load
// does.
func LoadFile(path string, opts ...LoadOption) (*Map, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capability: load map: %w", err)
	}
	defer f.Close()
	return Load(f, append([]LoadOption{WithFilename(path)}, opts...)...)
}

// Load reads a map from YAML or JSON and validates it with the clock from
// WithClock. A document whose first character is '{' must be valid JSON; it
// is then read as the YAML subset JSON is, so both report positions alike. It reports every problem
// it finds at once: the error is an errors.Join of *FieldError values, each
// with the file, line, column and field path of the problem. Unknown fields,
// duplicate keys, YAML aliases and documents larger than MaxDocumentSize are
// errors.
func Load(r io.Reader, opts ...LoadOption) (*Map, error) {
	cfg := loadConfig{clock: time.Now}
	for _, o := range opts {
		o.apply(&cfg)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("capability: load map: %w", err)
	}
	m := &Map{}
	src, err := decodeDocument(data, cfg.file, m)
	if err != nil {
		return nil, err
	}
	m.src = src
	if err := m.ValidateAt(cfg.clock()); err != nil {
		return nil, err
	}
	return m, nil
}

// decodeDocument decodes one YAML or JSON document strictly into v, a
// pointer to a struct, and returns where each field was found. Every problem
// is reported, as an errors.Join of *FieldError.
func decodeDocument(data []byte, file string, v any) (*source, error) {
	src := &source{file: file, pos: yamldoc.Positions{}}
	probs := &problems{src: src}
	if len(data) > MaxDocumentSize {
		probs.add("", ErrTooLarge, "more than %d bytes", MaxDocumentSize)
		return nil, probs.err()
	}
	pos, found := yamldoc.Decode(data, v)
	src.pos = pos
	for _, p := range found {
		probs.errs = append(probs.errs, &FieldError{File: file, Line: p.Pos.Line, Column: p.Pos.Column, Field: p.Field, Err: p.Err})
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return src, nil
}

// source remembers where each field of a loaded map came from, so that
// validation can point at the line of a problem.
type source struct {
	file string
	pos  yamldoc.Positions
}
