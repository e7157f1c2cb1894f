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
	w := rewriter{r: r, data: val, out: make([]byte, 0, len(val)+32)}
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

// decodeAny decodes a value, keeping numbers exact.
func decodeAny(val json.RawMessage) (any, error) {
	if isNull(val) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(val))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// decodeMask decodes a mask: booleans, objects and arrays of masks.
func decodeMask(mask json.RawMessage) (any, error) {
	m, err := decodeAny(mask)
	if err != nil {
		return nil, err
	}
	if !validMask(m) {
		return nil, errors.New("not booleans in objects and arrays")
	}
	return m, nil
}

func validMask(m any) bool {
	switch m := m.(type) {
	case nil, bool:
		return true
	case map[string]any:
		for _, v := range m {
			if !validMask(v) {
				return false
			}
		}
		return true
	case []any:
		for _, v := range m {
			if !validMask(v) {
				return false
			}
		}
		return true
	}
	return false
}
