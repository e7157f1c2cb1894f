package capability

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
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
	src := &source{file: file, pos: map[string]position{}}
	probs := &problems{src: src}
	if len(data) > MaxDocumentSize {
		probs.add("", ErrTooLarge, "more than %d bytes", MaxDocumentSize)
		return nil, probs.err()
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if err := checkJSON(data); err != nil {
		err.File = file
		return nil, err
	}
	root, err := parseDocument(data)
	if err != nil {
		fe := &FieldError{File: file, Err: err}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			fe.Line, _ = strconv.Atoi(m[1])
		}
		return nil, fe
	}
	d := decoder{src: src, probs: probs}
	d.value(root, reflect.ValueOf(v).Elem(), "")
	if err := probs.err(); err != nil {
		return nil, err
	}
	return src, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// checkJSON holds a document that looks like JSON (its first non-space byte
// is '{') to JSON's own grammar, which is stricter than the YAML that then
// reads it: YAML would take `{"a": }` as a null.
func checkJSON(data []byte) *FieldError {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Valid(data) {
		return nil
	}
	var v any
	err := json.Unmarshal(data, &v) // only to say what is wrong, and where
	fe := &FieldError{Err: fmt.Errorf("%w: %s", ErrSyntax, strings.TrimPrefix(err.Error(), "json: "))}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read up to and including the bad one.
		before := data[:min(max(int(se.Offset)-1, 0), len(data))]
		fe.Line = bytes.Count(before, []byte("\n")) + 1
		fe.Column = len(before) - bytes.LastIndexByte(before, '\n')
	}
	return fe
}

// parseDocument parses exactly one YAML document and returns its root node.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty document", ErrSyntax)
		}
		return nil, fmt.Errorf("%w: %s", ErrSyntax, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one document", ErrSyntax)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("%w: empty document", ErrSyntax)
	}
	return doc.Content[0], nil
}

// position is a 1-based line and column in a document.
type position struct{ line, col int }

// source remembers where each field of a loaded map came from, so that
// validation can point at the line of a problem.
type source struct {
	file string
	pos  map[string]position
}

// lookup returns the position of field, or of its nearest ancestor that has
// one (a missing field is reported where its parent object is).
func (s *source) lookup(field string) position {
	for {
		if p, ok := s.pos[field]; ok {
			return p
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			return s.pos[""]
		}
		field = field[:i]
	}
}

// decoder fills Go values from YAML nodes by their `yaml` struct tags,
// recording each field's position and every problem instead of stopping at
// the first.
type decoder struct {
	src   *source
	probs *problems
}

var (
	timeType            = reflect.TypeFor[time.Time]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	d.src.pos[path] = position{n.Line, n.Column}
	switch {
	case n.Kind == yaml.AliasNode:
		d.probs.add(path, ErrInvalidValue, "YAML aliases are not supported")
		return
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return // absent: leave the zero value
	case v.Type() == timeType:
		if d.scalar(n, path, "a time") {
			t, err := parseTime(n.Value)
			if err != nil {
				d.probs.add(path, ErrInvalidValue, "%v", err)
				return
			}
			v.Set(reflect.ValueOf(t))
		}
		return
	case reflect.PointerTo(v.Type()).Implements(textUnmarshalerType):
		if d.scalar(n, path, "a string") {
			if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
				d.probs.add(path, ErrInvalidValue, "%v", err)
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.object(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.probs.add(path, ErrInvalidValue, "expected a list, found %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.value(item, s.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
		v.Set(s)
	case reflect.Map:
		d.dict(n, v, path)
	case reflect.String:
		if d.scalar(n, path, "a string") {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		if d.scalar(n, path, "true or false") {
			switch n.Value {
			case "true":
				v.SetBool(true)
			case "false":
				v.SetBool(false)
			default:
				d.probs.add(path, ErrInvalidValue, "expected true or false, found %q", n.Value)
			}
		}
	default:
		// Only reached if the model gains a field of a kind the decoder
		// does not handle; the load tests exercise every kind in use.
		d.probs.add(path, ErrInvalidValue, "cannot decode into %s", v.Type())
	}
}

// scalar reports whether n is a scalar, recording a problem if not.
func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind == yaml.ScalarNode {
		return true
	}
	d.probs.add(path, ErrInvalidValue, "expected %s, found %s", want, kindName(n))
	return false
}

// object decodes a mapping node into a struct by the fields' yaml tags.
func (d *decoder) object(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.probs.add(path, ErrInvalidValue, "expected an object, found %s", kindName(n))
		return
	}
	t := v.Type()
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		field := join(path, key.Value)
		if seen[key.Value] {
			d.probs.addAt(field, position{key.Line, key.Column}, ErrDuplicateField, "%q appears more than once", key.Value)
			continue
		}
		seen[key.Value] = true
		idx := fieldIndex(t, key.Value)
		if idx < 0 {
			d.probs.addAt(field, position{key.Line, key.Column}, ErrUnknownField, "%q is not a field of %s", key.Value, strings.ToLower(t.Name()))
			continue
		}
		d.value(val, v.Field(idx), field)
	}
}

// dict decodes a mapping node into a map with string keys.
func (d *decoder) dict(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.probs.add(path, ErrInvalidValue, "expected an object, found %s", kindName(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		field := join(path, key.Value)
		if m.MapIndex(reflect.ValueOf(key.Value)).IsValid() {
			d.probs.addAt(field, position{key.Line, key.Column}, ErrDuplicateField, "%q appears more than once", key.Value)
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(val, elem, field)
		m.SetMapIndex(reflect.ValueOf(key.Value), elem)
	}
	v.Set(m)
}

// fieldIndex returns the index of the field of struct type t whose yaml tag
// is name, or -1.
func fieldIndex(t reflect.Type, name string) int {
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag == name && tag != "" {
			return i
		}
	}
	return -1
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "an object"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	default:
		return strconv.Quote(n.Value)
	}
}

// parseTime accepts an RFC 3339 time or a date; a date means the start of
// that day in UTC.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a date (YYYY-MM-DD)", s)
}
