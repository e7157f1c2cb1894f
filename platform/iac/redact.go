package iac

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strconv"
)

// redactor cleans one change's values: it replaces sensitive values with
// Redacted and unknown ones with Unknown, and records their paths.
type redactor struct {
	sensitive, unknown []string
}

// clean returns val (JSON) with the values that the sensitive mask marks
// replaced by Redacted and those the unknown mask marks by Unknown, as
// compact JSON; nil for null or an absent value. The masks have the shape
// of the value, with true at each marked value (or true for the whole
// value). Where a mask's shape does not match the value's, the whole
// value under it is redacted: a malformed mask never lets a value
// through.
func (r *redactor) clean(val, sensitive, unknown json.RawMessage) (json.RawMessage, error) {
	if isNull(val) && !hasTrue(unknown) {
		return nil, nil
	}
	if !hasTrue(sensitive) && !hasTrue(unknown) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, val); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	var s, u any
	var err error
	if hasTrue(sensitive) {
		if s, err = decodeMask(sensitive); err != nil {
			return nil, errors.New("sensitive mask: " + err.Error())
		}
	}
	if hasTrue(unknown) {
		if u, err = decodeMask(unknown); err != nil {
			return nil, errors.New("after_unknown: " + err.Error())
		}
	}
	w := rewriter{cursor: cursor{data: val}, r: r, out: make([]byte, 0, len(val)+32)}
	if isNull(val) {
		w.data = []byte("null")
	}
	if err := w.value(s, u, "$"); err != nil {
		return nil, err
	}
	if bytes.Equal(w.out, []byte("null")) {
		return nil, nil
	}
	return w.out, nil
}

// sorted returns the recorded paths, sorted and without duplicates.
func (r *redactor) sorted() (sensitive, unknown []string) {
	slices.Sort(r.sensitive)
	slices.Sort(r.unknown)
	return slices.Compact(r.sensitive), slices.Compact(r.unknown)
}

// markUnknown sets what mask marks in v to Unknown. Unknown values are
// absent (or null) in the plan's after value; the marker takes their
// place.
func (r *redactor) markUnknown(v, mask any, path string) any {
	switch m := mask.(type) {
	case bool:
		if m {
			r.unknown = append(r.unknown, path)
			return Unknown
		}
		return v
	case map[string]any:
		obj, ok := v.(map[string]any)
		if !ok {
			if v != nil || !maskHasTrue(m) {
				return v
			}
			obj = map[string]any{}
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			inner, present := obj[k]
			if present || maskHasTrue(m[k]) {
				obj[k] = r.markUnknown(inner, m[k], path+step(k))
			}
		}
		return obj
	case []any:
		arr, ok := v.([]any)
		if !ok {
			if v != nil || !maskHasTrue(m) {
				return v
			}
		}
		for len(arr) < len(m) {
			arr = append(arr, nil)
		}
		for i := range m {
			arr[i] = r.markUnknown(arr[i], m[i], path+"["+strconv.Itoa(i)+"]")
		}
		return arr
	}
	return v
}

// identifier matches object keys that a path writes as ".key".
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// step returns the path step to key k.
func step(k string) string {
	if identifier.MatchString(k) {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

// hasTrue reports whether a mask may mark something: its JSON contains
// true. A key spelled "true" gives a false positive, which only costs the
// slow path.
func hasTrue(mask json.RawMessage) bool { return bytes.Contains(mask, []byte("true")) }

func maskHasTrue(mask any) bool {
	switch m := mask.(type) {
	case bool:
		return m
	case map[string]any:
		for _, v := range m {
			if maskHasTrue(v) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(m, maskHasTrue)
	}
	return false
}

func isNull(val json.RawMessage) bool {
	t := bytes.TrimSpace(val)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// decodeMask decodes a mask: booleans (and nulls) in objects and arrays.
func decodeMask(mask json.RawMessage) (any, error) {
	c := cursor{data: mask}
	m, err := c.mask()
	if err != nil {
		return nil, err
	}
	if c.peek() != 0 {
		return nil, errMalformed
	}
	return m, nil
}

// mask reads the mask value at the cursor.
func (c *cursor) mask() (any, error) {
	switch b := c.peek(); b {
	case 't', 'f', 'n':
		start := c.i
		if err := c.skip(); err != nil {
			return nil, err
		}
		switch string(c.data[start:c.i]) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
	case '{':
		c.i++
		m := map[string]any{}
		for {
			switch c.peek() {
			case '}':
				c.i++
				return m, nil
			case ',':
				c.i++
				continue
			}
			k, err := c.str()
			if err != nil {
				return nil, err
			}
			if c.peek() != ':' {
				return nil, errMalformed
			}
			c.i++
			if m[k], err = c.mask(); err != nil {
				return nil, err
			}
		}
	case '[':
		c.i++
		a := []any{}
		for {
			switch c.peek() {
			case ']':
				c.i++
				return a, nil
			case ',':
				c.i++
				continue
			}
			v, err := c.mask()
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	}
	return nil, errors.New("not booleans in objects and arrays")
}
