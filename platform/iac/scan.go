package iac

import (
	"bytes"
	"encoding/json"
	"errors"
)

// errMalformed reports JSON that the validation pass should already have
// rejected; the cursor never reads past the input.
var errMalformed = errors.New("malformed value")

// cursor walks JSON that is known to be valid, value by value, without
// decoding what it skips.
type cursor struct {
	data []byte
	i    int
}

// space moves past insignificant space.
func (c *cursor) space() {
	for c.i < len(c.data) {
		switch c.data[c.i] {
		case ' ', '\t', '\r', '\n':
			c.i++
		default:
			return
		}
	}
}

// peek returns the next significant byte, or 0 at the end.
func (c *cursor) peek() byte {
	c.space()
	if c.i >= len(c.data) {
		return 0
	}
	return c.data[c.i]
}

// skip moves past one value.
func (c *cursor) skip() error { return c.scan(nil) }

// raw returns the bytes of the next value and moves past it.
func (c *cursor) raw() ([]byte, error) {
	c.space()
	start := c.i
	err := c.scan(nil)
	return c.data[start:c.i], err
}

// scan moves past one value, appending it to *out without insignificant
// space when out is not nil.
func (c *cursor) scan(out *[]byte) error {
	depth := 0
	for {
		c.space()
		if c.i >= len(c.data) {
			return errMalformed
		}
		b := c.data[c.i]
		switch b {
		case '"':
			start := c.i
			if err := c.skipString(); err != nil {
				return err
			}
			if out != nil {
				*out = append(*out, c.data[start:c.i]...)
			}
		case '{', '[', ',', ':':
			if b == '{' || b == '[' {
				depth++
			}
			c.i++
			if out != nil {
				*out = append(*out, b)
			}
			continue
		case '}', ']':
			depth--
			c.i++
			if out != nil {
				*out = append(*out, b)
			}
		default: // number, true, false, null
			start := c.i
			for c.i < len(c.data) && !isDelim(c.data[c.i]) {
				c.i++
			}
			if c.i == start {
				return errMalformed
			}
			if out != nil {
				*out = append(*out, c.data[start:c.i]...)
			}
		}
		if depth < 0 {
			return errMalformed
		}
		if depth == 0 {
			return nil
		}
	}
}

func isDelim(b byte) bool {
	switch b {
	case ',', ']', '}', ':', ' ', '\t', '\r', '\n', '"', '[', '{':
		return true
	}
	return false
}

// skipString moves past the string at the cursor.
func (c *cursor) skipString() error {
	if c.i >= len(c.data) || c.data[c.i] != '"' {
		return errMalformed
	}
	for j := c.i + 1; j < len(c.data); j++ {
		switch c.data[j] {
		case '\\':
			j++
		case '"':
			c.i = j + 1
			return nil
		}
	}
	return errMalformed
}

// str reads the string at the cursor, decoding escapes.
func (c *cursor) str() (string, error) {
	start := c.i
	if err := c.skipString(); err != nil {
		return "", err
	}
	raw := c.data[start:c.i]
	plain := true
	for _, b := range raw[1 : len(raw)-1] {
		if b == '\\' || b >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return string(raw[1 : len(raw)-1]), nil
	}
	return c.decodeString(raw)
}

// key reads the object key at the cursor: its bytes in the input when it
// has no escapes, else its decoded bytes.
func (c *cursor) key() ([]byte, error) {
	start := c.i
	if err := c.skipString(); err != nil {
		return nil, err
	}
	raw := c.data[start+1 : c.i-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw, nil
	}
	s, err := c.decodeString(c.data[start:c.i])
	return []byte(s), err
}

// decodeString decodes a JSON string with escapes.
func (c *cursor) decodeString(raw []byte) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errMalformed
	}
	return s, nil
}

// kind names the JSON type of the value starting with b, for errors.
func kind(b byte) string {
	switch b {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
