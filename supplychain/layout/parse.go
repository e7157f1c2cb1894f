package layout

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/secure-systems-lab/go-securesystemslib/signerverifier"
)

// Size caps on what is read from disk or parsed, so that a hostile file
// cannot exhaust memory.
const (
	// MaxLayoutSize is the largest layout Parse and ReadFile accept, and the
	// largest sublayout: 4 MiB, far above any real layout.
	MaxLayoutSize = 4 << 20
	// MaxLinkSize is the largest link file Verify reads: 64 MiB, room for
	// a link that records a few hundred thousand artifacts. Larger link
	// files are ignored as invalid.
	MaxLinkSize = 64 << 20
	// MaxLinksPerStep is the most link files Verify considers for one
	// step; more is an error.
	MaxLinksPerStep = 256
	// MaxSublayoutDepth is how deeply sublayouts may nest.
	MaxSublayoutDepth = 8
)

// Layout is a signed in-toto layout, in the classic form (a "signed" object
// and "signatures") or a DSSE envelope, parsed and checked for form but not
// yet verified: its signatures, expiry and links are checked by
// Verifier.Verify. A Layout is immutable and safe for concurrent use.
type Layout struct {
	md      in_toto.Metadata
	layout  in_toto.Layout
	expires time.Time
}

// Expires returns when the layout expires, as it states (unverified until
// Verify succeeds).
func (l *Layout) Expires() time.Time { return l.expires }

// Steps returns the names of the layout's steps, in order.
func (l *Layout) Steps() []string {
	out := make([]string, len(l.layout.Steps))
	for i, s := range l.layout.Steps {
		out[i] = s.Name
	}
	return out
}

// Inspections returns the names of the layout's inspections, in order. A
// layout with inspections verifies only with WithInspectionsUnsafe or
// WithSkipInspectionsUnsafe.
func (l *Layout) Inspections() []string {
	out := make([]string, len(l.layout.Inspect))
	for i, s := range l.layout.Inspect {
		out[i] = s.Name
	}
	return out
}

// Parse parses a signed layout of at most MaxLayoutSize bytes, in either
// form, and checks it as in-toto-golang does, plus these rules, so that
// verification never meets input that in-toto-golang mishandles: every step
// has a threshold of at least 1, every artifact rule is well formed with a
// well-formed pattern, every inspection runs a command, step and inspection
// names are not empty and hold no path separator, layout keys are usable
// public keys, and there is at least one step. Every problem found is
// reported, as a *VerificationError wrapping ErrInvalidLayout.
func Parse(data []byte) (*Layout, error) {
	l, err := parseLayout(data)
	if err != nil {
		return nil, fail("parse", "", ErrInvalidLayout, err)
	}
	return l, nil
}

// ReadFile reads and parses the signed layout at path, at most
// MaxLayoutSize bytes, as Parse does.
func ReadFile(path string) (*Layout, error) {
	data, err := readCapped(path, MaxLayoutSize)
	if err == nil {
		var l *Layout
		if l, err = parseLayout(data); err == nil {
			return l, nil
		}
	}
	return nil, &VerificationError{Op: "read", Path: path, Kind: ErrInvalidLayout, Err: err}
}

func parseLayout(data []byte) (*Layout, error) {
	if len(data) > MaxLayoutSize {
		return nil, fmt.Errorf("%d bytes, more than the %d allowed", len(data), MaxLayoutSize)
	}
	md, err := decodeMetadata(data)
	if err != nil {
		return nil, err
	}
	return newLayout(md)
}

// newLayout checks a decoded layout and wraps it.
func newLayout(md in_toto.Metadata) (*Layout, error) {
	lay, ok := md.GetPayload().(in_toto.Layout)
	if !ok {
		return nil, errors.New("metadata holds a link, not a layout")
	}
	if err := checkLayout(lay); err != nil {
		return nil, err
	}
	// Then in-toto-golang's own checks, with the signatures' form for the
	// classic form (a DSSE envelope's are base64, not hex).
	mb := in_toto.Metablock{Signed: lay}
	if classic, ok := md.(*in_toto.Metablock); ok {
		mb.Signatures = classic.Signatures
	}
	if err := callLibrary(func() error { return in_toto.ValidateMetablock(mb) }); err != nil {
		return nil, err
	}
	expires, err := time.Parse(in_toto.ISO8601DateSchema, lay.Expires)
	if err != nil {
		return nil, err
	}
	return &Layout{md: md, layout: lay, expires: expires}, nil
}

// checkLayout applies the rules that in-toto-golang does not check, or
// checks only by panicking or printing, and returns every problem.
func checkLayout(lay in_toto.Layout) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(lay.Steps) == 0 {
		add("no steps")
	}
	if _, err := time.Parse(in_toto.ISO8601DateSchema, lay.Expires); err != nil {
		add("expires %q is not of the form %s", lay.Expires, in_toto.ISO8601DateSchema)
	}
	for _, id := range slices.Sorted(maps.Keys(lay.Keys)) {
		k := lay.Keys[id]
		if k.KeyID != id {
			add("key %s is listed under key ID %s", k.KeyID, id)
		}
		if k.KeyVal.Private != "" {
			add("key %s holds a private key", id)
		}
		if _, err := publicKeyOf(k); err != nil {
			errs = append(errs, err)
		}
	}
	seen := map[string]bool{}
	checkName := func(kind string, i int, name string) string {
		where := fmt.Sprintf("%s %q", kind, name)
		switch {
		case name == "":
			where = fmt.Sprintf("%s %d", kind, i+1)
			add("%s: empty name", where)
		case strings.ContainsAny(name, "/\\\x00"):
			add("%s: name holds a path separator", where)
		case seen[name]:
			add("%s: name used twice", where)
		}
		seen[name] = true
		return where
	}
	for i, s := range lay.Steps {
		where := checkName("step", i, s.Name)
		if s.Type != "step" {
			add("%s: _type %q, want step", where, s.Type)
		}
		if s.Threshold < 1 {
			add("%s: threshold %d is below 1", where, s.Threshold)
		}
		errs = append(errs, checkRules(where+" expected_materials", s.ExpectedMaterials)...)
		errs = append(errs, checkRules(where+" expected_products", s.ExpectedProducts)...)
	}
	for i, in := range lay.Inspect {
		where := checkName("inspection", i, in.Name)
		if in.Type != "inspection" {
			add("%s: _type %q, want inspection", where, in.Type)
		}
		if len(in.Run) == 0 || in.Run[0] == "" {
			add("%s: no command to run", where)
		}
		errs = append(errs, checkRules(where+" expected_materials", in.ExpectedMaterials)...)
		errs = append(errs, checkRules(where+" expected_products", in.ExpectedProducts)...)
	}
	return errors.Join(errs...)
}

// checkRules checks artifact rules: in-toto-golang panics on an empty rule
// and prints to standard output on a malformed pattern.
func checkRules(where string, rules [][]string) []error {
	var errs []error
	for i, rule := range rules {
		if len(rule) == 0 {
			errs = append(errs, fmt.Errorf("%s rule %d: empty rule", where, i+1))
			continue
		}
		var unpacked map[string]string
		err := callLibrary(func() (err error) {
			unpacked, err = in_toto.UnpackRule(rule)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s rule %d: %q is not an artifact rule", where, i+1, rule))
			continue
		}
		if p := unpacked["pattern"]; !validPattern(path.Clean(p)) {
			errs = append(errs, fmt.Errorf("%s rule %d: malformed pattern %q", where, i+1, p))
		}
	}
	return errs
}

// validPattern reports whether pattern is well formed for in-toto's artifact
// rules: path.Match syntax, except that a character class is negated by '!'
// (never '^'). in-toto-golang, meeting a malformed pattern, prints a warning
// to standard output and lets the rule match nothing, so layouts are checked
// up front.
func validPattern(pattern string) bool {
	for i := 0; i < len(pattern); {
		switch pattern[i] {
		case '\\':
			if i+1 == len(pattern) {
				return false
			}
			i += 2
		case '[':
			i++
			if i < len(pattern) && pattern[i] == '!' {
				i++
			}
			for n := 0; ; n++ {
				if n > 0 && i < len(pattern) && pattern[i] == ']' {
					i++
					break
				}
				var ok bool
				if i, ok = classChar(pattern, i); !ok {
					return false
				}
				if pattern[i] == '-' {
					if i, ok = classChar(pattern, i+1); !ok {
						return false
					}
				}
			}
		default:
			i++
		}
	}
	return true
}

// classChar reads one possibly escaped character of a character class at
// pattern[i:] and returns the index after it. Like in-toto's matcher, it
// requires the pattern to go on after the character: a class must close.
func classChar(pattern string, i int) (int, bool) {
	if i >= len(pattern) || pattern[i] == '-' || pattern[i] == ']' {
		return i, false
	}
	if pattern[i] == '\\' {
		if i++; i == len(pattern) {
			return i, false
		}
	}
	r, n := utf8.DecodeRuneInString(pattern[i:])
	if r == utf8.RuneError && n == 1 {
		return i, false
	}
	i += n
	return i, i < len(pattern)
}

// decodeMetadata decodes a classic metablock or a DSSE envelope holding an
// in-toto layout or link.
func decodeMetadata(data []byte) (in_toto.Metadata, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if _, ok := top["payloadType"]; ok {
		if isNull(top["payload"]) || isNull(top["signatures"]) {
			return nil, errors.New("DSSE envelope without payload or signatures")
		}
		env := &dsse.Envelope{}
		if err := json.Unmarshal(data, env); err != nil {
			return nil, fmt.Errorf("DSSE envelope: %w", err)
		}
		if env.PayloadType != in_toto.PayloadType {
			return nil, fmt.Errorf("DSSE payload type %q, want %q", env.PayloadType, in_toto.PayloadType)
		}
		body, err := decodeBase64(env.Payload)
		if err != nil {
			return nil, fmt.Errorf("DSSE payload: %w", err)
		}
		payload, err := decodePayload(escapeControls(body))
		if err != nil {
			return nil, err
		}
		return &dsseMetadata{env: env, payload: payload}, nil
	}
	if isNull(top["signed"]) || isNull(top["signatures"]) {
		return nil, errors.New("neither a DSSE envelope nor a metablock with signed and signatures")
	}
	var sigs []in_toto.Signature
	if err := json.Unmarshal(top["signatures"], &sigs); err != nil {
		return nil, fmt.Errorf("signatures: %w", err)
	}
	payload, err := decodePayload(top["signed"])
	if err != nil {
		return nil, err
	}
	return &in_toto.Metablock{Signed: payload, Signatures: sigs}, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// decodePayload decodes an in-toto layout or link strictly: every field the
// type defines (but the optional ones) must be present, and no other. The
// signature covers the canonical JSON of the decoded value, as in
// in-toto-golang, so what is verified is exactly what is used.
func decodePayload(body []byte) (any, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, fmt.Errorf("payload is not a JSON object: %w", err)
	}
	var typ string
	if err := json.Unmarshal(fields["_type"], &typ); err != nil {
		return nil, errors.New("payload _type is not a string")
	}
	var required []string
	var v any
	switch typ {
	case "layout":
		required = []string{"_type", "steps", "inspect", "keys", "expires", "readme"}
		v = &in_toto.Layout{}
	case "link":
		required = []string{"_type", "name", "materials", "products", "byproducts", "command", "environment"}
		v = &in_toto.Link{}
	default:
		return nil, fmt.Errorf("payload _type %q, want layout or link", typ)
	}
	for _, f := range required {
		if _, ok := fields[f]; !ok {
			return nil, fmt.Errorf("%s without field %q", typ, f)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	switch v := v.(type) {
	case *in_toto.Layout:
		return *v, nil
	case *in_toto.Link:
		return *v, nil
	}
	return nil, fmt.Errorf("payload _type %q, want layout or link", typ)
}

// escapeControls escapes the control characters that appear raw inside
// strings of an in-toto-golang DSSE payload: it encodes payloads as OLPC
// canonical JSON, which escapes only quotes and backslashes, so a PEM key or a
// command's output keeps its newlines, which encoding/json rejects. The
// signature covers the payload as written; the escaped copy only decodes to
// the same values.
func escapeControls(b []byte) []byte {
	var out []byte
	inString, escaped := false, false
	for i, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString && c < 0x20:
			if out == nil {
				out = append(make([]byte, 0, len(b)+64), b[:i]...)
			}
			out = fmt.Appendf(out, `\u%04x`, c)
			continue
		}
		if out != nil {
			out = append(out, c)
		}
	}
	if out == nil {
		return b
	}
	return out
}

// decodeBase64 decodes standard or URL-safe base64, as DSSE allows.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.URLEncoding.DecodeString(s)
	}
	return b, err
}

// readCapped reads the regular file at path, refusing one larger than max
// bytes.
func readCapped(path string, max int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%d bytes, more than the %d allowed", fi.Size(), max)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("more than the %d bytes allowed", max)
	}
	return data, nil
}

// callLibrary runs f, a call into in-toto-golang or securesystemslib, and
// turns a panic into an error. Those libraries panic on some malformed
// input (an empty artifact rule, an ed25519 key of the wrong length, an RSA
// key labelled ecdsa, a step without links); paved checks for the known
// cases first, and recovers here, at that library boundary and nowhere
// else, for the unknown ones.
func callLibrary(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("in-toto-golang failed on this input: %v", r)
		}
	}()
	return f()
}

// dsseMetadata is a DSSE envelope holding an in-toto layout or link, with
// the methods in_toto.Metadata has. in-toto-golang reads its own envelope
// type only from a file path; paved parses bytes, so it carries its own.
type dsseMetadata struct {
	env     *dsse.Envelope
	payload any
}

var _ in_toto.Metadata = (*dsseMetadata)(nil)

// GetPayload returns the decoded layout or link.
func (m *dsseMetadata) GetPayload() any { return m.payload }

// Sigs returns the envelope's signatures (their values in base64).
func (m *dsseMetadata) Sigs() []in_toto.Signature {
	out := make([]in_toto.Signature, len(m.env.Signatures))
	for i, s := range m.env.Signatures {
		out[i] = in_toto.Signature{KeyID: s.KeyID, Sig: s.Sig}
	}
	return out
}

// GetSignatureForKeyID returns the first signature naming keyID.
func (m *dsseMetadata) GetSignatureForKeyID(keyID string) (in_toto.Signature, error) {
	for _, s := range m.Sigs() {
		if s.KeyID == keyID {
			return s, nil
		}
	}
	return in_toto.Signature{}, fmt.Errorf("no signature by key %s", keyID)
}

// VerifySignature succeeds when a signature naming key's ID verifies under
// key over the envelope's pre-authentication encoding.
func (m *dsseMetadata) VerifySignature(key in_toto.Key) error {
	sslib := signerverifier.SSLibKey{
		KeyType:             key.KeyType,
		KeyIDHashAlgorithms: key.KeyIDHashAlgorithms,
		KeyID:               key.KeyID,
		Scheme:              key.Scheme,
		KeyVal:              signerverifier.KeyVal{Public: key.KeyVal.Public, Certificate: key.KeyVal.Certificate},
	}
	var verifier dsse.Verifier
	var err error
	switch key.KeyType {
	case "ed25519":
		verifier, err = signerverifier.NewED25519SignerVerifierFromSSLibKey(&sslib)
	case "ecdsa":
		verifier, err = signerverifier.NewECDSASignerVerifierFromSSLibKey(&sslib)
	case "rsa":
		verifier, err = signerverifier.NewRSAPSSSignerVerifierFromSSLibKey(&sslib)
	default:
		err = fmt.Errorf("unsupported key type %q", key.KeyType)
	}
	if err != nil {
		return err
	}
	body, err := decodeBase64(m.env.Payload)
	if err != nil {
		return err
	}
	pae := dsse.PAE(m.env.PayloadType, body)
	for _, s := range m.env.Signatures {
		if s.KeyID != key.KeyID {
			continue
		}
		sig, err := decodeBase64(s.Sig)
		if err != nil {
			continue
		}
		if verifier.Verify(context.Background(), pae, sig) == nil {
			return nil
		}
	}
	return fmt.Errorf("no valid signature by key %s", key.KeyID)
}

// Sign is part of in_toto.Metadata; verification never signs.
func (m *dsseMetadata) Sign(in_toto.Key) error {
	return errors.New("layout: a parsed envelope is read-only")
}

// Dump is part of in_toto.Metadata; verification never writes metadata.
func (m *dsseMetadata) Dump(string) error {
	return errors.New("layout: a parsed envelope is read-only")
}
