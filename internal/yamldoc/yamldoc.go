package yamldoc

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The kinds of problem; every Problem's Err wraps one.
var (
	ErrSyntax         = errors.New("syntax error")
	ErrUnknownField   = errors.New("unknown field")
	ErrDuplicateField = errors.New("duplicate field")
	ErrInvalidValue   = errors.New("invalid value")
)

// Problem is one thing wrong with a document.
type Problem struct {
	// Field is the path of the field, empty for the document as a whole.
	Field string
	// Pos is where the problem is.
	Pos Pos
	// Err wraps one of the package's sentinels.
	Err error
}

// Decode decodes exactly one YAML or JSON document into v, a pointer to a
// struct, by the fields' `yaml` tags. A document whose first character is
// '{' must be valid JSON; it is then read as the YAML subset JSON is, so
// that both report positions alike. Struct fields may be strings, bools,
// time.Time (RFC 3339 or a date), encoding.TextUnmarshaler values, slices,
// maps with string keys and structs of these. Decode returns where each
// field was found and every problem; v is fully decoded only when there is
// none.
func Decode(data []byte, v any) (Positions, []Problem) {
	pos := Positions{}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if p := checkJSON(data); p != nil {
		return pos, []Problem{*p}
	}
	root, err := parseDocument(data)
	if err != nil {
		p := Problem{Err: err}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			p.Pos.Line, _ = strconv.Atoi(m[1])
		}
		return pos, []Problem{p}
	}
	d := decoder{pos: pos}
	d.value(root, reflect.ValueOf(v).Elem(), "")
	return pos, d.problems
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// checkJSON holds a document that looks like JSON (its first non-space byte
// is '{') to JSON's own grammar, which is stricter than the YAML that then
// reads it: YAML would take `{"a": }` as a null.
func checkJSON(data []byte) *Problem {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Valid(data) {
		return nil
	}
	var v any
	err := json.Unmarshal(data, &v) // only to say what is wrong, and where
	fe := &Problem{Err: fmt.Errorf("%w: %s", ErrSyntax, strings.TrimPrefix(err.Error(), "json: "))}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read up to and including the bad one.
		before := data[:min(max(int(se.Offset)-1, 0), len(data))]
		fe.Pos.Line = bytes.Count(before, []byte("\n")) + 1
		fe.Pos.Column = len(before) - bytes.LastIndexByte(before, '\n')
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

// Pos is a 1-based line and column in a document; zero when unknown.
type Pos struct{ Line, Column int }

// Positions maps each decoded field's path (such as "areas[0].owner") to
// where its value stands in the document; "" is the root.
type Positions map[string]Pos

// Lookup returns the position of field, or of its nearest ancestor that has
// one (a missing field is reported where its parent object is).
func (p Positions) Lookup(field string) Pos {
	for {
		if pos, ok := p[field]; ok {
			return pos
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			return p[""]
		}
		field = field[:i]
	}
}

// decoder fills Go values from YAML nodes by their `yaml` struct tags,
// recording each field's position and every problem instead of stopping at
// the first.
type decoder struct {
	pos      Positions
	problems []Problem
}

// add records a problem with the value at path.
func (d *decoder) add(path string, sentinel error, format string, args ...any) {
	d.addAt(path, d.pos.Lookup(path), sentinel, format, args...)
}

// addAt records a problem at an explicit position.
func (d *decoder) addAt(path string, pos Pos, sentinel error, format string, args ...any) {
	d.problems = append(d.problems, Problem{Field: path, Pos: pos, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))})
}

var (
	timeType            = reflect.TypeFor[time.Time]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	d.pos[path] = Pos{n.Line, n.Column}
	switch {
	case n.Kind == yaml.AliasNode:
		d.add(path, ErrInvalidValue, "YAML aliases are not supported")
		return
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return // absent: leave the zero value
	case v.Type() == timeType:
		if d.scalar(n, path, "a time") {
			t, err := parseTime(n.Value)
			if err != nil {
				d.add(path, ErrInvalidValue, "%v", err)
				return
			}
			v.Set(reflect.ValueOf(t))
		}
		return
	case reflect.PointerTo(v.Type()).Implements(textUnmarshalerType):
		if d.scalar(n, path, "a string") {
			if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
				d.add(path, ErrInvalidValue, "%v", err)
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.object(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.add(path, ErrInvalidValue, "expected a list, found %s", kindName(n))
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
				d.add(path, ErrInvalidValue, "expected true or false, found %q", n.Value)
			}
		}
	case reflect.Int:
		if d.scalar(n, path, "an integer") {
			i, err := strconv.Atoi(n.Value)
			if err != nil {
				d.add(path, ErrInvalidValue, "expected an integer, found %q", n.Value)
				return
			}
			v.SetInt(int64(i))
		}
	default:
		// Only reached if the model gains a field of a kind the decoder
		// does not handle; the load tests exercise every kind in use.
		d.add(path, ErrInvalidValue, "cannot decode into %s", v.Type())
	}
}

// scalar reports whether n is a scalar, recording a problem if not.
func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind == yaml.ScalarNode {
		return true
	}
	d.add(path, ErrInvalidValue, "expected %s, found %s", want, kindName(n))
	return false
}

// object decodes a mapping node into a struct by the fields' yaml tags.
func (d *decoder) object(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.add(path, ErrInvalidValue, "expected an object, found %s", kindName(n))
		return
	}
	t := v.Type()
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		field := join(path, key.Value)
		if seen[key.Value] {
			d.addAt(field, Pos{key.Line, key.Column}, ErrDuplicateField, "%q appears more than once", key.Value)
			continue
		}
		seen[key.Value] = true
		idx := fieldIndex(t, key.Value)
		if idx < 0 {
			d.addAt(field, Pos{key.Line, key.Column}, ErrUnknownField, "%q is not a field of %s", key.Value, typeName(t))
			continue
		}
		d.value(val, v.Field(idx), field)
	}
}

// dict decodes a mapping node into a map with string keys.
func (d *decoder) dict(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.add(path, ErrInvalidValue, "expected an object, found %s", kindName(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		field := join(path, key.Value)
		if m.MapIndex(reflect.ValueOf(key.Value)).IsValid() {
			d.addAt(field, Pos{key.Line, key.Column}, ErrDuplicateField, "%q appears more than once", key.Value)
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

// typeName names a struct type in messages: "map" for Map, "this object"
// for an anonymous struct.
func typeName(t reflect.Type) string {
	if t.Name() == "" {
		return "this object"
	}
	return strings.ToLower(t.Name())
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
