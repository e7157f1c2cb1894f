package policy

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/paved-dev/paved/supplychain"
)

// Input returns the input document the engine would evaluate req against
// now, as the canonical JSON whose digest decisions record: object keys
// sorted, no insignificant space. It is what `opa eval --input` needs to
// reproduce a decision outside the engine. The schema is InputSchema.
func (e *Engine) Input(req Request) ([]byte, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	v, err := e.inputValue(&req, e.cfg.clock().UTC())
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := canonWriter{out: &buf, max: e.cfg.maxInputBytes}
	if err := w.value(v); err != nil {
		return nil, err
	}
	if err := w.flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inputDigest returns the digest of v's canonical JSON, failing with
// ErrInputTooLarge once it passes the engine's cap.
func (e *Engine) inputDigest(v ast.Value) (string, error) {
	h := sha256.New()
	w := canonWriter{out: h, max: e.cfg.maxInputBytes, buf: make([]byte, 0, 8<<10)}
	if err := w.value(v); err != nil {
		return "", err
	}
	if err := w.flush(); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// inputValue builds the input document in OPA's value form, directly from
// the request's typed values: no JSON round trip of the whole document.
func (e *Engine) inputValue(r *Request, now time.Time) (ast.Value, error) {
	obj := ast.NewObjectWithCapacity(12)
	put := func(k string, v ast.Value) { obj.Insert(ast.InternedTerm(k), ast.NewTerm(v)) }
	put("stage", ast.String(r.Stage))
	if r.Environment != "" {
		put("environment", ast.String(r.Environment))
	}
	if r.Deployer != "" {
		put("deployer", ast.String(r.Deployer))
	}
	put("time", ast.String(timeString(now)))
	put("subject", subjectValue(r.Subject))

	ev, err := evidenceValue(r.Evidence)
	if err != nil {
		return nil, err
	}
	put("evidence", ev)
	if r.Change != nil {
		v, err := jsonValue("change", r.Change)
		if err != nil {
			return nil, err
		}
		put("change", v)
	}
	approvals := make([]*ast.Term, len(r.Approvals))
	for i := range r.Approvals {
		v, err := jsonValue(fmt.Sprintf("approvals[%d]", i), r.Approvals[i])
		if err != nil {
			return nil, err
		}
		approvals[i] = ast.NewTerm(v)
	}
	put("approvals", ast.NewArray(approvals...))
	sigs := make([]*ast.Term, len(r.Signatures))
	for i, s := range r.Signatures {
		o := ast.NewObjectWithCapacity(2)
		o.Insert(ast.InternedTerm("identity"), ast.StringTerm(s.Identity))
		if s.KeyID != "" {
			o.Insert(ast.InternedTerm("keyId"), ast.StringTerm(s.KeyID))
		}
		sigs[i] = ast.NewTerm(o)
	}
	put("signatures", ast.NewArray(sigs...))
	released := ast.NewObjectWithCapacity(len(r.Released))
	for _, d := range r.Released {
		released.Insert(ast.StringTerm(d), ast.InternedTerm(true))
	}
	put("ledger", ast.NewObject([2]*ast.Term{ast.InternedTerm("released"), ast.NewTerm(released)}))
	exceptions := make([]*ast.Term, len(r.Exceptions))
	for i := range r.Exceptions {
		v, err := jsonValue(fmt.Sprintf("exceptions[%d]", i), r.Exceptions[i])
		if err != nil {
			return nil, err
		}
		exceptions[i] = ast.NewTerm(v)
	}
	put("exceptions", ast.NewArray(exceptions...))
	put("exceptionPolicy", ast.NewObject([2]*ast.Term{
		ast.InternedTerm("maxDurationSeconds"),
		ast.InternedTerm(int(e.cfg.maxExceptionDuration / time.Second)),
	}))
	return obj, nil
}

func subjectValue(s supplychain.Subject) ast.Value {
	o := ast.NewObjectWithCapacity(4)
	o.Insert(ast.InternedTerm("name"), ast.StringTerm(s.Name))
	d := ast.NewObjectWithCapacity(len(s.Digest))
	for _, alg := range slices.Sorted(maps.Keys(s.Digest)) {
		d.Insert(ast.StringTerm(alg), ast.StringTerm(s.Digest[alg]))
	}
	o.Insert(ast.InternedTerm("digest"), ast.NewTerm(d))
	if s.URI != "" {
		o.Insert(ast.InternedTerm("uri"), ast.StringTerm(s.URI))
	}
	if s.PURL != "" {
		o.Insert(ast.InternedTerm("purl"), ast.StringTerm(s.PURL))
	}
	return o
}

// evidenceValue groups the evidence by predicate type, each item as
// {digest, signers, predicate, time}, in the order given.
func evidenceValue(evs []Evidence) (ast.Value, error) {
	groups := map[string][]*ast.Term{}
	for i, ev := range evs {
		var pred ast.Value
		switch p := ev.Predicate.(type) {
		case SBOM:
			pred = sbomValue(&p)
		case *SBOM:
			pred = sbomValue(p)
		default:
			var err error
			if pred, err = jsonValue(fmt.Sprintf("evidence[%d].predicate", i), p); err != nil {
				return nil, err
			}
		}
		signers := make([]*ast.Term, len(ev.Signers))
		for j, s := range ev.Signers {
			signers[j] = ast.StringTerm(s)
		}
		item := ast.NewObject(
			[2]*ast.Term{ast.InternedTerm("digest"), ast.StringTerm(ev.Digest)},
			[2]*ast.Term{ast.InternedTerm("signers"), ast.ArrayTerm(signers...)},
			[2]*ast.Term{ast.InternedTerm("predicate"), ast.NewTerm(pred)},
		)
		if !ev.Time.IsZero() {
			item.Insert(ast.InternedTerm("time"), ast.StringTerm(timeString(ev.Time)))
		}
		t := ev.Predicate.PredicateType()
		groups[t] = append(groups[t], ast.NewTerm(item))
	}
	out := ast.NewObjectWithCapacity(len(groups))
	for _, t := range slices.Sorted(maps.Keys(groups)) {
		out.Insert(ast.StringTerm(t), ast.ArrayTerm(groups[t]...))
	}
	return out, nil
}

// sbomValue builds an SBOM summary with one allocation block for the
// purls' terms; root only when the SBOM names one.
func sbomValue(s *SBOM) ast.Value {
	terms := make([]ast.Term, len(s.PURLs))
	ptrs := make([]*ast.Term, len(s.PURLs))
	for i, p := range s.PURLs {
		terms[i].Value = ast.String(p)
		ptrs[i] = &terms[i]
	}
	o := ast.NewObject(
		[2]*ast.Term{ast.InternedTerm("format"), ast.StringTerm(s.Format)},
		[2]*ast.Term{ast.InternedTerm("specVersion"), ast.StringTerm(s.SpecVersion)},
		[2]*ast.Term{ast.InternedTerm("components"), ast.InternedTerm(s.Components)},
		[2]*ast.Term{ast.InternedTerm("purls"), ast.NewTerm(ast.NewArray(ptrs...))},
		[2]*ast.Term{ast.InternedTerm("hashed"), ast.InternedTerm(s.Hashed)},
	)
	if s.Root != "" {
		o.Insert(ast.InternedTerm("root"), ast.StringTerm(s.Root))
	}
	return o
}

// jsonValue converts a typed value through its JSON encoding; field names
// the request errors with.
func jsonValue(field string, v any) (ast.Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &RequestError{Field: field, Err: err}
	}
	val, err := ast.ValueFromReader(bytes.NewReader(b))
	if err != nil {
		return nil, &RequestError{Field: field, Err: err}
	}
	return val, nil
}

// canonWriter writes a value as canonical JSON (sorted keys, no space) to
// out through a buffer, and fails once more than max bytes are written.
type canonWriter struct {
	out interface{ Write([]byte) (int, error) }
	buf []byte
	n   int
	max int
}

func (w *canonWriter) flush() error {
	w.n += len(w.buf)
	if w.n > w.max {
		return fmt.Errorf("%w: more than %d bytes", ErrInputTooLarge, w.max)
	}
	_, err := w.out.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

func (w *canonWriter) value(v ast.Value) error {
	if len(w.buf) >= 4<<10 {
		if err := w.flush(); err != nil {
			return err
		}
	}
	switch v := v.(type) {
	case ast.Null:
		w.buf = append(w.buf, "null"...)
	case ast.Boolean:
		if v {
			w.buf = append(w.buf, "true"...)
		} else {
			w.buf = append(w.buf, "false"...)
		}
	case ast.Number:
		w.buf = append(w.buf, v...)
	case ast.String:
		w.buf = appendJSONString(w.buf, string(v))
	case *ast.Array:
		w.buf = append(w.buf, '[')
		for i := range v.Len() {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			if err := w.value(v.Elem(i).Value); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, ']')
	case ast.Object:
		w.buf = append(w.buf, '{')
		for i, k := range v.Keys() {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			s, ok := k.Value.(ast.String)
			if !ok {
				return fmt.Errorf("%w: object key %v is not a string", ErrInvalidRequest, k)
			}
			w.buf = appendJSONString(w.buf, string(s))
			w.buf = append(w.buf, ':')
			if err := w.value(v.Get(k).Value); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, '}')
	default:
		return fmt.Errorf("%w: %T in the input is not JSON", ErrInvalidRequest, v)
	}
	return nil
}

// appendJSONString appends s as a JSON string, escaping what JSON requires
// and replacing invalid UTF-8 with U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	plain := 0
	for plain < len(s) && s[plain] >= 0x20 && s[plain] < utf8.RuneSelf && s[plain] != '"' && s[plain] != '\\' {
		plain++
	}
	b = append(b, s[:plain]...)
	for i := plain; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			switch c {
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return append(b, '"')
}

//go:embed schema/input.json
var inputSchema []byte

// InputSchema returns the JSON schema (draft 2020-12) of the input
// document. The caller must not modify it.
func InputSchema() []byte { return inputSchema }
