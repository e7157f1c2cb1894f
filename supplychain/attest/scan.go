package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// maxDepth caps how deeply JSON values may nest.
const maxDepth = 256

// member is one name/value pair of the top-level object, as spans of the
// input.
type member struct {
	name  string
	value []byte
}

// scanner checks that its input is one JSON value (RFC 8259) with no
// duplicate names in any object, and records the members of the top-level
// object. It is a single pass without allocation per value, so that
// verifying a statement costs little beside its signature; encoding/json
// and protojson are many times slower on the same bytes.
type scanner struct {
	data []byte
	i    int
	top  []member
	// names is a stack of the member names of the objects being scanned,
	// shared so that checking for duplicates allocates nothing.
	names [][]byte
}

type syntaxError struct {
	offset int
	msg    string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("offset %d: %s", e.offset, e.msg) }

func (s *scanner) fail(msg string) error { return &syntaxError{offset: s.i, msg: msg} }

// scanTopLevel checks data and returns the members of its top-level
// object.
func scanTopLevel(data []byte) ([]member, error) {
	s := &scanner{data: data, names: make([][]byte, 0, 32)}
	s.space()
	if s.i >= len(s.data) || s.data[s.i] != '{' {
		return nil, s.fail("a statement is a JSON object")
	}
	if err := s.object(0, true); err != nil {
		return nil, err
	}
	s.space()
	if s.i != len(s.data) {
		return nil, s.fail("data after the JSON value")
	}
	return s.top, nil
}

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) error {
	if depth > maxDepth {
		return s.fail("nested too deeply")
	}
	if s.i >= len(s.data) {
		return s.fail("unexpected end of input")
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(depth, false)
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.fail("invalid character")
}

func (s *scanner) literal(word string) error {
	if !bytes.HasPrefix(s.data[s.i:], []byte(word)) {
		return s.fail("invalid literal")
	}
	s.i += len(word)
	return nil
}

// object scans an object at s.i; record keeps its members as the top
// level's.
func (s *scanner) object(depth int, record bool) error {
	start := s.i
	s.i++ // '{'
	base := len(s.names)
	s.space()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return s.fail("expected a member name")
		}
		name, err := s.str()
		if err != nil {
			return err
		}
		s.names = append(s.names, name)
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return s.fail("expected ':'")
		}
		s.i++
		s.space()
		valueStart := s.i
		if err := s.value(depth + 1); err != nil {
			return err
		}
		if record {
			s.top = append(s.top, member{name: string(name), value: s.data[valueStart:s.i]})
		}
		s.space()
		if s.i >= len(s.data) {
			return s.fail("unexpected end of input")
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			dup := duplicate(s.names[base:])
			s.names = s.names[:base]
			if dup != nil {
				s.i = start
				return s.fail(fmt.Sprintf("duplicate name %q", dup))
			}
			return nil
		default:
			return s.fail("expected ',' or '}'")
		}
	}
}

func (s *scanner) array(depth int) error {
	s.i++ // '['
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		s.space()
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.data) {
			return s.fail("unexpected end of input")
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.fail("expected ',' or ']'")
		}
	}
}

// str scans a string at s.i and returns its value: the raw bytes when it
// has no escapes (a subslice of the input), else the decoded text.
func (s *scanner) str() ([]byte, error) {
	start := s.i
	s.i++ // '"'
	escaped := false
	for s.i < len(s.data) {
		c := s.data[s.i]
		if plain[c] {
			s.i++
			continue
		}
		switch {
		case c == '"':
			s.i++
			if !escaped {
				return s.data[start+1 : s.i-1], nil
			}
			var v string
			if err := json.Unmarshal(s.data[start:s.i], &v); err != nil {
				return nil, s.fail("invalid string")
			}
			return []byte(v), nil
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.data) {
				return nil, s.fail("unexpected end of input")
			}
			switch s.data[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.data) || !isHex4(s.data[s.i+2:s.i+6]) {
					return nil, s.fail("invalid \\u escape")
				}
				s.i += 6
			default:
				return nil, s.fail("invalid escape")
			}
		case c < 0x20:
			return nil, s.fail("control character in string")
		default:
			r, size := utf8.DecodeRune(s.data[s.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, s.fail("invalid UTF-8")
			}
			s.i += size
		}
	}
	return nil, s.fail("unterminated string")
}

// plain marks the bytes a string may hold as they are: ASCII other than
// control characters, '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// number scans a JSON number: -? int frac? exp?
func (s *scanner) number() error {
	if s.data[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.data) && s.data[s.i] == '0':
		s.i++
	case s.digits() == 0:
		return s.fail("invalid number")
	}
	if s.i < len(s.data) && s.data[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return s.fail("invalid number")
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		s.i++
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return s.fail("invalid number")
		}
	}
	return nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.data) && '0' <= s.data[s.i] && s.data[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// duplicate returns a name that occurs twice in names, or nil. It reorders
// names. Small objects are searched pairwise, larger ones sorted.
func duplicate(names [][]byte) []byte {
	if len(names) <= 8 {
		for i, a := range names {
			for _, b := range names[i+1:] {
				if bytes.Equal(a, b) {
					return a
				}
			}
		}
		return nil
	}
	slices.SortFunc(names, bytes.Compare)
	for i := 1; i < len(names); i++ {
		if bytes.Equal(names[i-1], names[i]) {
			return names[i]
		}
	}
	return nil
}
