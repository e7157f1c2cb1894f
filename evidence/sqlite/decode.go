package sqlite

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

// The JSON columns are decoded on every row a query returns, and
// encoding/json's reflection is most of a query's cost. What encode writes
// (json.Marshal of the values, strings without escapes) is therefore
// parsed directly; anything else (escaped characters, whitespace, keys in
// another case, repeated keys) falls back to encoding/json, so the result
// is always what json.Unmarshal would return. FuzzDecode checks that.

func decodeSubjects(b []byte) ([]supplychain.Subject, error) {
	if v, ok := fastSubjects(b); ok {
		return v, nil
	}
	var v []supplychain.Subject
	err := json.Unmarshal(b, &v)
	return v, err
}

func decodeLabels(b []byte) (map[string]string, error) {
	if v, ok := fastLabels(b); ok {
		return v, nil
	}
	var v map[string]string
	err := json.Unmarshal(b, &v)
	return v, err
}

func decodeSigners(b []byte) ([]sign.Identity, error) {
	if v, ok := fastSigners(b); ok {
		return v, nil
	}
	var v []sign.Identity
	err := json.Unmarshal(b, &v)
	return v, err
}

// lexer reads the subset of JSON that the fast paths accept.
type lexer struct {
	b []byte
	i int
}

// next consumes c if it comes next.
func (l *lexer) next(c byte) bool {
	if l.i < len(l.b) && l.b[l.i] == c {
		l.i++
		return true
	}
	return false
}

// null consumes null if it comes next.
func (l *lexer) null() bool {
	if len(l.b)-l.i >= 4 && string(l.b[l.i:l.i+4]) == "null" {
		l.i += 4
		return true
	}
	return false
}

// str reads a string without escapes or control characters, in valid
// UTF-8.
func (l *lexer) str() (string, bool) {
	if !l.next('"') {
		return "", false
	}
	start := l.i
	for ; l.i < len(l.b); l.i++ {
		switch c := l.b[l.i]; {
		case c == '"':
			s := l.b[start:l.i]
			l.i++
			if !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		}
	}
	return "", false
}

// end reports whether all input is consumed.
func (l *lexer) end() bool { return l.i == len(l.b) }

// object reads an object, calling field for each key with the lexer at its
// value; a key seen twice fails.
func (l *lexer) object(field func(key string) bool) bool {
	if !l.next('{') {
		return false
	}
	if l.next('}') {
		return true
	}
	var seen []string
	for {
		k, ok := l.str()
		if !ok || !l.next(':') {
			return false
		}
		if len(seen) == 32 { // not worth a faster check
			return false
		}
		for _, s := range seen {
			if s == k {
				return false
			}
		}
		seen = append(seen, k)
		if !field(k) {
			return false
		}
		if l.next('}') {
			return true
		}
		if !l.next(',') {
			return false
		}
	}
}

// array reads an array, calling elem for each element.
func (l *lexer) array(elem func() bool) bool {
	if !l.next('[') {
		return false
	}
	if l.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if l.next(']') {
			return true
		}
		if !l.next(',') {
			return false
		}
	}
}

// stringMap reads null or an object of strings.
func (l *lexer) stringMap() (map[string]string, bool) {
	if l.null() {
		return nil, true
	}
	m := map[string]string{}
	ok := l.object(func(k string) bool {
		v, ok := l.str()
		m[k] = v
		return ok
	})
	return m, ok
}

func fastLabels(b []byte) (map[string]string, bool) {
	l := lexer{b: b}
	m, ok := l.stringMap()
	return m, ok && l.end()
}

func fastSubjects(b []byte) ([]supplychain.Subject, bool) {
	l := lexer{b: b}
	if l.null() {
		return nil, l.end()
	}
	out := []supplychain.Subject{}
	ok := l.array(func() bool {
		var s supplychain.Subject
		ok := l.object(func(k string) (ok bool) {
			switch k {
			case "name":
				s.Name, ok = l.str()
			case "digest":
				s.Digest, ok = l.stringMap()
			case "uri":
				s.URI, ok = l.str()
			case "purl":
				s.PURL, ok = l.str()
			}
			return ok
		})
		out = append(out, s)
		return ok
	})
	return out, ok && l.end()
}

func fastSigners(b []byte) ([]sign.Identity, bool) {
	l := lexer{b: b}
	if l.null() {
		return nil, l.end()
	}
	out := []sign.Identity{}
	ok := l.array(func() bool {
		var s sign.Identity
		ok := l.object(func(k string) (ok bool) {
			switch k {
			case "keyid":
				s.KeyID, ok = l.str()
			case "name":
				s.Name, ok = l.str()
			case "subject":
				s.Subject, ok = l.str()
			case "issuer":
				s.Issuer, ok = l.str()
			}
			return ok
		})
		out = append(out, s)
		return ok
	})
	return out, ok && l.end()
}
