package iac

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// DefaultMaxBytes is the largest plan Parse reads unless WithMaxBytes says
// otherwise: 512 MiB, several times a plan of 100,000 resource changes, so
// that a hostile input cannot exhaust memory.
const DefaultMaxBytes = 512 << 20

// Option configures Parse.
type Option interface{ apply(*config) error }

type config struct {
	maxBytes int64
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithMaxBytes caps the size of the plan Parse reads; a larger plan is
// rejected with ErrTooLarge. n must be positive. The default is
// DefaultMaxBytes.
func WithMaxBytes(n int64) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("iac: %w: max bytes %d is not positive", ErrInvalidOption, n)
		}
		c.maxBytes = n
		return nil
	})
}

// formatVersion matches the format versions Parse reads: major version 1,
// any minor version (minor versions only add fields, which Parse ignores).
var formatVersion = regexp.MustCompile(`^1\.[0-9]+$`)

// Parse reads a plan as `terraform show -json <planfile>` prints it. It
// reads at most the size cap, rejects a format_version other than 1.x
// with ErrFormatVersion, ignores fields it does not know (as the format's
// compatibility promise asks), and redacts sensitive values as it goes.
// Errors are *PlanError values with the JSON path and position.
func Parse(r io.Reader, opts ...Option) (*Plan, error) {
	cfg := config{maxBytes: DefaultMaxBytes}
	for _, o := range opts {
		if err := o.apply(&cfg); err != nil {
			return nil, err
		}
	}
	data, err := readAll(r, cfg.maxBytes+1)
	if err != nil {
		return nil, fmt.Errorf("iac: read plan: %w", err)
	}
	if int64(len(data)) > cfg.maxBytes {
		return nil, &PlanError{Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, cfg.maxBytes)}
	}
	p := parser{cursor: cursor{data: data}}
	plan, err := p.plan()
	if err != nil {
		return nil, p.locate(err)
	}
	plan.Digest = digestOf(data)
	return plan, nil
}

// readAll reads at most limit bytes of r, into a buffer of the input's
// size when r can tell it (a bytes or strings reader, a file).
func readAll(r io.Reader, limit int64) ([]byte, error) {
	size := int64(bytes.MinRead)
	switch v := r.(type) {
	case interface{ Len() int }:
		size = int64(v.Len()) + 1
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size() + 1
		}
	}
	r = io.LimitReader(r, limit)
	buf := make([]byte, 0, min(size, limit)+bytes.MinRead)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// parser walks a plan that is known to be valid JSON with a cursor, so
// that only the values the change set needs are decoded, and each problem
// is located by its offset.
type parser struct {
	cursor
	// modules lists the changes declared in a module, whose source and
	// version come from the configuration section at the end.
	modules []moduleRef
}

// moduleRef is a change in section at index, which starts at offset.
type moduleRef struct {
	section string
	index   int
	offset  int64
}

// located is an error with the path and offset of the value it is about,
// before Parse turns it into a *PlanError.
type located struct {
	path   string
	offset int64
	err    error
}

func (l *located) Error() string { return l.err.Error() }

func at(path string, offset int, sentinel error, format string, args ...any) error {
	return &located{path: path, offset: int64(offset), err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}

// locate converts an error of the parser into a *PlanError with the line
// and column of its offset.
func (p *parser) locate(err error) error {
	var l *located
	if !errors.As(err, &l) {
		return &PlanError{Err: fmt.Errorf("%w: %v", ErrInvalidPlan, err)}
	}
	pe := &PlanError{Path: l.path, Offset: l.offset, Err: l.err}
	if l.offset >= 0 && l.offset <= int64(len(p.data)) {
		before := p.data[:l.offset]
		pe.Line = bytes.Count(before, []byte{'\n'}) + 1
		pe.Column = int(l.offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	}
	return pe
}

// syntax locates a syntax error of encoding/json: at the offending byte,
// or at the end for a truncated input.
func syntax(err error, size int) error {
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		return at("", 0, ErrSyntax, "%v", err)
	}
	off := int(syn.Offset) - 1
	if int(syn.Offset) >= size {
		off = size
	}
	return at("", max(off, 0), ErrSyntax, "%v", syn)
}

// validJSON accepts any JSON value without keeping it, so that
// json.Unmarshal only reports the syntax error.
type validJSON struct{}

func (*validJSON) UnmarshalJSON([]byte) error { return nil }

func (p *parser) plan() (*Plan, error) {
	if !json.Valid(p.data) {
		return nil, syntax(json.Unmarshal(p.data, &validJSON{}), len(p.data))
	}
	if b := p.peek(); b != '{' {
		return nil, at("", p.i, ErrInvalidPlan, "%s is not an object", kind(b))
	}
	plan := &Plan{}
	var cfg rawConfig
	versionAt := -1
	err := p.object("", func(key []byte, off int) error {
		var err error
		switch string(key) {
		case "format_version":
			if plan.FormatVersion, err = p.string("", "format_version"); err != nil {
				return err
			}
			versionAt = off
			if !formatVersion.MatchString(plan.FormatVersion) {
				return at("format_version", off, ErrFormatVersion, "%q is not 1.x", plan.FormatVersion)
			}
		case "terraform_version":
			plan.ToolVersion, err = p.string("", "terraform_version")
		case "resource_changes":
			plan.Changes, err = p.changes("resource_changes")
		case "resource_drift":
			plan.Drifted, err = p.changes("resource_drift")
		case "configuration":
			var raw []byte
			if raw, err = p.raw(); err == nil {
				err = decodeConfig(raw, off, &cfg)
			}
		default:
			err = p.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if versionAt < 0 {
		return nil, at("format_version", 0, ErrFormatVersion, "missing: this is not the JSON of a plan")
	}
	calls := map[string]rawModuleCall{}
	cfg.RootModule.flatten("", calls)
	for _, ref := range p.modules {
		c := &plan.Changes[ref.index]
		if ref.section == "resource_drift" {
			c = &plan.Drifted[ref.index]
		}
		call, ok := calls[moduleCall(c.Module.Address)]
		if !ok || call.Source == "" {
			return nil, at(fmt.Sprintf("%s[%d].module_address", ref.section, ref.index), int(ref.offset), ErrInvalidPlan,
				"module %q is not in the plan's configuration", c.Module.Address)
		}
		c.Module.Source, c.Module.Version = redactSource(call.Source), call.VersionConstraint
	}
	return plan, nil
}

// object walks the object at the cursor, calling member with each key and
// the offset of its value; member must move past the value. A key given
// twice is an error: readers that keep the first and readers that keep
// the last would see different plans.
func (p *parser) object(path string, member func(key []byte, off int) error) error {
	p.i++ // {
	var buf [16][]byte
	seen := buf[:0]
	for {
		switch p.peek() {
		case '}':
			p.i++
			return nil
		case ',':
			p.i++
			continue
		}
		start := p.i
		key, err := p.key()
		if err != nil {
			return at(path, start, ErrSyntax, "%v", err)
		}
		for _, k := range seen {
			if bytes.Equal(k, key) {
				return at(path, start, ErrInvalidPlan, "key %q given twice", key)
			}
		}
		seen = append(seen, key)
		if p.peek() != ':' {
			return at(path, p.i, ErrSyntax, "%v", errMalformed)
		}
		p.i++
		p.space()
		if err := member(key, p.i); err != nil {
			return err
		}
	}
}

// string reads a string value at path base+field (joined only for an
// error); null reads as "".
func (p *parser) string(base, field string) (string, error) {
	switch b := p.peek(); b {
	case '"':
		s, err := p.str()
		if err != nil {
			return "", at(base+field, p.i, ErrSyntax, "%v", err)
		}
		return s, nil
	case 'n':
		return "", p.skip()
	default:
		return "", at(base+field, p.i, ErrInvalidPlan, "%s is not a string", kind(b))
	}
}

// strings reads an array of strings at path base+field; null reads as
// nil.
func (p *parser) strings(base, field string) ([]string, error) {
	switch b := p.peek(); b {
	case 'n':
		return nil, p.skip()
	case '[':
	default:
		return nil, at(base+field, p.i, ErrInvalidPlan, "%s is not an array", kind(b))
	}
	p.i++
	var out []string
	for {
		switch p.peek() {
		case ']':
			p.i++
			return out, nil
		case ',':
			p.i++
			continue
		}
		s, err := p.string(base, field+"["+strconv.Itoa(len(out))+"]")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
}

// changes reads an array of resource changes.
func (p *parser) changes(section string) ([]Change, error) {
	switch b := p.peek(); b {
	case 'n':
		return nil, p.skip()
	case '[':
	default:
		return nil, at(section, p.i, ErrInvalidPlan, "%s is not an array", kind(b))
	}
	p.i++
	// Changes are gathered in fixed-size chunks and copied once into a
	// slice of the right length: growing one slice would copy it again
	// and again (a plan may hold 100,000 changes).
	var chunks [][]Change
	for i := 0; ; {
		switch b := p.peek(); b {
		case ']':
			p.i++
			return slices.Concat(chunks...), nil
		case ',':
			p.i++
			continue
		case '{':
		default:
			return nil, at(fmt.Sprintf("%s[%d]", section, i), p.i, ErrInvalidPlan, "%s is not an object", kind(b))
		}
		off := p.i
		path := fmt.Sprintf("%s[%d]", section, i)
		rc, err := p.change(path)
		if err != nil {
			return nil, err
		}
		c, err := normalize(&rc)
		if err != nil {
			var l *located
			if errors.As(err, &l) {
				l.path = path + l.path
				l.offset = int64(off)
			}
			return nil, err
		}
		if c.Module != nil {
			p.modules = append(p.modules, moduleRef{section: section, index: i, offset: int64(off)})
		}
		if len(chunks) == 0 || len(chunks[len(chunks)-1]) == cap(chunks[len(chunks)-1]) {
			chunks = append(chunks, make([]Change, 0, 1024))
		}
		chunks[len(chunks)-1] = append(chunks[len(chunks)-1], c)
		i++
	}
}

// change reads one resource change object.
func (p *parser) change(path string) (rawChange, error) {
	var rc rawChange
	err := p.object(path, func(key []byte, _ int) error {
		var err error
		switch string(key) {
		case "address":
			rc.Address, err = p.string(path, ".address")
		case "previous_address":
			rc.PreviousAddress, err = p.string(path, ".previous_address")
		case "module_address":
			rc.ModuleAddress, err = p.string(path, ".module_address")
		case "mode":
			rc.Mode, err = p.string(path, ".mode")
		case "type":
			rc.Type, err = p.string(path, ".type")
		case "name":
			rc.Name, err = p.string(path, ".name")
		case "provider_name":
			rc.ProviderName, err = p.string(path, ".provider_name")
		case "action_reason":
			rc.ActionReason, err = p.string(path, ".action_reason")
		case "change":
			err = p.changeBody(path+".change", &rc)
		default:
			err = p.skip()
		}
		return err
	})
	return rc, err
}

// changeBody reads a change's "change" object: its actions and values.
func (p *parser) changeBody(path string, rc *rawChange) error {
	switch b := p.peek(); b {
	case 'n':
		return p.skip()
	case '{':
	default:
		return at(path, p.i, ErrInvalidPlan, "%s is not an object", kind(b))
	}
	rc.HasChange = true
	return p.object(path, func(key []byte, _ int) error {
		var err error
		switch string(key) {
		case "actions":
			rc.Actions, err = p.strings(path, ".actions")
		case "before":
			rc.Before, err = p.raw()
		case "after":
			rc.After, err = p.raw()
		case "after_unknown":
			rc.AfterUnknown, err = p.raw()
		case "before_sensitive":
			rc.BeforeSensitive, err = p.raw()
		case "after_sensitive":
			rc.AfterSensitive, err = p.raw()
		default:
			err = p.skip()
		}
		return err
	})
}

// decodeConfig decodes the configuration section, which starts at offset.
func decodeConfig(raw []byte, offset int, cfg *rawConfig) error {
	err := json.Unmarshal(raw, cfg)
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typ):
		// typ.Offset is just past the offending value.
		return at("configuration."+typ.Field, offset+int(typ.Offset), ErrInvalidPlan, "%s is not %s", typ.Value, typ.Type)
	default:
		return at("configuration", offset, ErrInvalidPlan, "%v", err)
	}
}

// rawChange is a resource change as the plan JSON has it; the values are
// slices of the input.
type rawChange struct {
	Address, PreviousAddress, ModuleAddress string
	Mode, Type, Name, ProviderName          string
	ActionReason                            string
	HasChange                               bool
	Actions                                 []string
	Before, After, AfterUnknown             json.RawMessage
	BeforeSensitive, AfterSensitive         json.RawMessage
}

// normalize checks a raw change and builds its Change, redacting
// sensitive values. Its errors are located relative to the change.
func normalize(rc *rawChange) (Change, error) {
	bad := func(field, format string, args ...any) error {
		return &located{path: field, err: fmt.Errorf("%w: %s", ErrInvalidPlan, fmt.Sprintf(format, args...))}
	}
	switch {
	case rc.Address == "":
		return Change{}, bad(".address", "required")
	case rc.Mode != "managed" && rc.Mode != "data":
		return Change{}, bad(".mode", "%q is not managed or data", rc.Mode)
	case rc.Type == "":
		return Change{}, bad(".type", "required")
	case !rc.HasChange:
		return Change{}, bad(".change", "required")
	}
	action, ok := normalAction(rc.Actions)
	if !ok {
		return Change{}, bad(".change.actions", "%q is not a known list of actions", rc.Actions)
	}
	c := Change{
		Address: rc.Address, PreviousAddress: rc.PreviousAddress, Mode: rc.Mode, Type: rc.Type, Name: rc.Name,
		Provider: rc.ProviderName, Action: action, Actions: rc.Actions, ActionReason: rc.ActionReason,
	}
	if rc.ModuleAddress != "" {
		c.Module = &Module{Address: rc.ModuleAddress}
	}
	var err error
	var r redactor
	if c.Before, err = r.clean(rc.Before, rc.BeforeSensitive, nil); err != nil {
		return Change{}, bad(".change.before", "%v", err)
	}
	if c.After, err = r.clean(rc.After, rc.AfterSensitive, rc.AfterUnknown); err != nil {
		return Change{}, bad(".change.after", "%v", err)
	}
	c.Sensitive, c.Unknown = r.sorted()
	return c, nil
}

// normalAction maps the plan's list of actions to one Action.
func normalAction(actions []string) (Action, bool) {
	switch len(actions) {
	case 1:
		switch a := Action(actions[0]); a {
		case Create, Update, Delete, Read, NoOp, Forget:
			return a, true
		}
	case 2:
		if (actions[0] == "delete" && actions[1] == "create") || (actions[0] == "create" && actions[1] == "delete") {
			return Replace, true
		}
	}
	return "", false
}

// rawConfig is the part of the plan's configuration section that Parse
// reads: the tree of module calls.
type rawConfig struct {
	RootModule rawModule `json:"root_module"`
}

type rawModule struct {
	ModuleCalls map[string]rawModuleCall `json:"module_calls"`
}

type rawModuleCall struct {
	Source            string    `json:"source"`
	VersionConstraint string    `json:"version_constraint"`
	Module            rawModule `json:"module"`
}

// flatten records every module call under m by its address without
// instance keys, such as "module.net.module.subnets".
func (m rawModule) flatten(prefix string, out map[string]rawModuleCall) {
	for name, call := range m.ModuleCalls {
		addr := prefix + "module." + name
		out[addr] = call
		call.Module.flatten(addr+".", out)
	}
}

// Credentials a module source may carry: the user information of an
// HTTP(S) URL ("https://user:token@host/...") and go-getter's sshkey
// parameter (a private key).
var (
	sourceUserinfo = regexp.MustCompile(`(https?://)[^/@?#]+@`)
	sourceSSHKey   = regexp.MustCompile(`([?&]sshkey=)[^&#]*`)
)

// redactSource replaces the credentials in a module source with Redacted,
// so that they never reach the change set.
func redactSource(src string) string {
	src = sourceUserinfo.ReplaceAllString(src, "${1}"+Redacted+"@")
	return sourceSSHKey.ReplaceAllString(src, "${1}"+Redacted)
}

// moduleCall strips the instance keys from a module instance address:
// `module.a[0].module.b["x"]` is a call of "module.a.module.b".
func moduleCall(addr string) string {
	if !strings.Contains(addr, "[") {
		return addr
	}
	var b strings.Builder
	depth, quoted, escaped := 0, false, false
	for _, r := range addr {
		switch {
		case quoted:
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == '"':
				quoted = false
			}
		case r == '"' && depth > 0:
			quoted = true
		case r == '[':
			depth++
		case r == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}
