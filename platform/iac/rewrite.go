package iac

import (
	"encoding/json"
	"slices"
	"strconv"
)

// rewriter copies one JSON value from data to out, compacted, replacing
// what the sensitive mask marks with Redacted and what the unknown mask
// marks with Unknown, in a single pass over the bytes: only the masks,
// which are small, are decoded. Parts of the value that no mask marks are
// copied without being decoded.
type rewriter struct {
	cursor
	r   *redactor
	out []byte
}

// marker writes m as a JSON string.
func (w *rewriter) marker(m string) { w.out = strconv.AppendQuote(w.out, m) }

// value rewrites the value at w.i under masks s and u (nil: nothing
// marked) found at path.
func (w *rewriter) value(s, u any, path string) error {
	w.space()
	if w.i >= len(w.data) {
		return errMalformed
	}
	if s == true {
		w.r.sensitive = append(w.r.sensitive, path)
		w.marker(Redacted)
		return w.skip()
	}
	if u == true {
		w.r.unknown = append(w.r.unknown, path)
		w.marker(Unknown)
		return w.skip()
	}
	sMarks, uMarks := maskHasTrue(s), maskHasTrue(u)
	if !sMarks && !uMarks {
		return w.copyValue()
	}
	switch c := w.data[w.i]; {
	case c == '{':
		sm, sOK := s.(map[string]any)
		um, uOK := u.(map[string]any)
		if (sMarks && !sOK) || (uMarks && !uOK && !sMarks) {
			return w.mismatch(s, path)
		}
		return w.object(sm, um, path)
	case c == '[':
		sa, sOK := s.([]any)
		ua, uOK := u.([]any)
		if (sMarks && !sOK) || (uMarks && !uOK && !sMarks) {
			return w.mismatch(s, path)
		}
		return w.array(sa, ua, path)
	case c == 'n' && uMarks:
		// null where unknown values are marked: the value is built from
		// the mask alone.
		return w.fromMask(u, path)
	case c == 'n':
		return w.copyValue()
	default:
		return w.mismatch(s, path)
	}
}

// mismatch handles masks whose shape differs from the value's: anything
// sensitive under the mask redacts the whole value (a malformed mask never
// lets a value through); otherwise the value is copied.
func (w *rewriter) mismatch(s any, path string) error {
	if maskHasTrue(s) {
		w.r.sensitive = append(w.r.sensitive, path)
		w.marker(Redacted)
		return w.skip()
	}
	return w.copyValue()
}

// fromMask replaces a null value with what the unknown mask marks.
func (w *rewriter) fromMask(u any, path string) error {
	if err := w.skip(); err != nil {
		return err
	}
	v := w.r.markUnknown(nil, u, path)
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.out = append(w.out, b...)
	return nil
}

func (w *rewriter) object(sm, um map[string]any, path string) error {
	w.i++ // {
	w.out = append(w.out, '{')
	var seen []string
	first := true
	for {
		w.space()
		if w.i >= len(w.data) {
			return errMalformed
		}
		if w.data[w.i] == '}' {
			w.i++
			break
		}
		if w.data[w.i] == ',' {
			w.i++
			continue
		}
		start := w.i
		if err := w.skipString(); err != nil {
			return err
		}
		rawKey := w.data[start:w.i]
		key, err := strconv.Unquote(string(rawKey))
		if err != nil {
			if err := json.Unmarshal(rawKey, &key); err != nil {
				return errMalformed
			}
		}
		w.space()
		if w.i >= len(w.data) || w.data[w.i] != ':' {
			return errMalformed
		}
		w.i++
		if !first {
			w.out = append(w.out, ',')
		}
		first = false
		w.out = append(w.out, rawKey...)
		w.out = append(w.out, ':')
		var sc, uc any
		if sm != nil {
			sc = sm[key]
		}
		if um != nil {
			uc = um[key]
			seen = append(seen, key)
		}
		childPath := path
		if sc != nil || uc != nil {
			childPath = path + step(key)
		}
		if err := w.value(sc, uc, childPath); err != nil {
			return err
		}
	}
	// Unknown values are absent from the plan's after value: add them.
	for _, k := range sortedMaskKeys(um) {
		if slices.Contains(seen, k) || !maskHasTrue(um[k]) {
			continue
		}
		if !first {
			w.out = append(w.out, ',')
		}
		first = false
		w.out = strconv.AppendQuote(w.out, k)
		w.out = append(w.out, ':')
		b, err := json.Marshal(w.r.markUnknown(nil, um[k], path+step(k)))
		if err != nil {
			return err
		}
		w.out = append(w.out, b...)
	}
	w.out = append(w.out, '}')
	return nil
}

func (w *rewriter) array(sa, ua []any, path string) error {
	w.i++ // [
	w.out = append(w.out, '[')
	n := 0
	for {
		w.space()
		if w.i >= len(w.data) {
			return errMalformed
		}
		if w.data[w.i] == ']' {
			w.i++
			break
		}
		if w.data[w.i] == ',' {
			w.i++
			continue
		}
		if n > 0 {
			w.out = append(w.out, ',')
		}
		var sc, uc any
		if n < len(sa) {
			sc = sa[n]
		}
		if n < len(ua) {
			uc = ua[n]
		}
		childPath := path
		if sc != nil || uc != nil {
			childPath = path + "[" + strconv.Itoa(n) + "]"
		}
		if err := w.value(sc, uc, childPath); err != nil {
			return err
		}
		n++
	}
	for ; n < len(ua); n++ {
		if n > 0 {
			w.out = append(w.out, ',')
		}
		b, err := json.Marshal(w.r.markUnknown(nil, ua[n], path+"["+strconv.Itoa(n)+"]"))
		if err != nil {
			return err
		}
		w.out = append(w.out, b...)
	}
	w.out = append(w.out, ']')
	return nil
}

func sortedMaskKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// copyValue copies the value at the cursor to out, compacted.
func (w *rewriter) copyValue() error { return w.scan(&w.out) }
