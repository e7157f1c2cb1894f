package iac

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
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
	data, err := io.ReadAll(io.LimitReader(r, cfg.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("iac: read plan: %w", err)
	}
	if int64(len(data)) > cfg.maxBytes {
		return nil, &PlanError{Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, cfg.maxBytes)}
	}
	p := parser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	plan, err := p.plan()
	if err != nil {
		return nil, p.locate(err)
	}
	plan.Digest = digestOf(data)
	return plan, nil
}

// parser walks the plan's top-level object with a streaming decoder, so
// that each resource change is decoded on its own and located by offset.
type parser struct {
	data []byte
	dec  *json.Decoder
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

func (p *parser) at(path string, offset int64, sentinel error, format string, args ...any) error {
	return &located{path: path, offset: offset, err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}

// decodeErr turns an encoding/json error met while decoding the value at
// path, which starts at offset, into a located error.
func (p *parser) decodeErr(path string, offset int64, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &located{path: path, offset: syn.Offset, err: fmt.Errorf("%w: %s", ErrSyntax, syn.Error())}
	case errors.As(err, &typ):
		// typ.Offset is just past the offending value, relative to the
		// value decoded; a whole value of the wrong type is located at its
		// start.
		field, at := path, offset
		if typ.Field != "" {
			field, at = path+"."+typ.Field, offset+typ.Offset
		}
		return &located{path: field, offset: at, err: fmt.Errorf("%w: %s is not %s", ErrInvalidPlan, typ.Value, typ.Type)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &located{path: path, offset: int64(len(p.data)), err: fmt.Errorf("%w: unexpected end of input", ErrSyntax)}
	default:
		return &located{path: path, offset: offset, err: fmt.Errorf("%w: %v", ErrInvalidPlan, err)}
	}
}

// locate converts an error of the parser into a *PlanError with the line
// and column of its offset.
func (p *parser) locate(err error) error {
	var l *located
	if !errors.As(err, &l) {
		return err
	}
	pe := &PlanError{Path: l.path, Offset: l.offset, Err: l.err}
	if l.offset >= 0 && l.offset <= int64(len(p.data)) {
		before := p.data[:l.offset]
		pe.Line = bytes.Count(before, []byte{'\n'}) + 1
		pe.Column = int(l.offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	}
	return pe
}

// offset returns the offset of the next value in the input: past the
// decoder's position, blanks and a separating comma or colon.
func (p *parser) offset() int64 {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// delim reads the next token, which must be d (or, when nullOK, null;
// the result then says whether it was null).
func (p *parser) delim(path string, d json.Delim, nullOK bool) (null bool, err error) {
	off := p.offset()
	tok, err := p.dec.Token()
	if err != nil {
		return false, p.decodeErr(path, off, err)
	}
	if tok == nil && nullOK {
		return true, nil
	}
	if tok != d {
		want := map[json.Delim]string{'{': "an object", '[': "an array"}[d]
		return false, p.at(path, off, ErrInvalidPlan, "%s is not %s", describe(tok), want)
	}
	return false, nil
}

func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return map[json.Delim]string{'{': "an object", '[': "an array"}[t]
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

func (p *parser) plan() (*Plan, error) {
	if _, err := p.delim("", '{', false); err != nil {
		return nil, err
	}
	plan := &Plan{}
	var cfg rawConfig
	versionAt := int64(-1)
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, p.decodeErr("", p.offset(), err)
		}
		key, _ := tok.(string) // an object's keys are strings
		off := p.offset()
		switch key {
		case "format_version":
			if err := p.decode(key, off, &plan.FormatVersion); err != nil {
				return nil, err
			}
			versionAt = off
			if !formatVersion.MatchString(plan.FormatVersion) {
				return nil, p.at(key, off, ErrFormatVersion, "%q is not 1.x", plan.FormatVersion)
			}
		case "terraform_version":
			if err := p.decode(key, off, &plan.ToolVersion); err != nil {
				return nil, err
			}
		case "resource_changes":
			if plan.Changes, err = p.changes(key); err != nil {
				return nil, err
			}
		case "resource_drift":
			if plan.Drifted, err = p.changes(key); err != nil {
				return nil, err
			}
		case "configuration":
			if err := p.decode(key, off, &cfg); err != nil {
				return nil, err
			}
		default:
			if err := p.decode(key, off, &skip{}); err != nil {
				return nil, err
			}
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing brace
		return nil, p.decodeErr("", p.offset(), err)
	}
	if off := p.offset(); off < int64(len(p.data)) {
		return nil, p.at("", off, ErrSyntax, "data after the plan object")
	}
	if versionAt < 0 {
		return nil, p.at("format_version", 0, ErrFormatVersion, "missing: this is not the JSON of a plan")
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
			return nil, p.at(fmt.Sprintf("%s[%d].module_address", ref.section, ref.index), ref.offset, ErrInvalidPlan,
				"module %q is not in the plan's configuration", c.Module.Address)
		}
		c.Module.Source, c.Module.Version = call.Source, call.VersionConstraint
	}
	return plan, nil
}

// decode decodes the next value, at path and offset, into v.
func (p *parser) decode(path string, offset int64, v any) error {
	if err := p.dec.Decode(v); err != nil {
		return p.decodeErr(path, offset, err)
	}
	return nil
}

// skip ignores a value of any type without copying it.
type skip struct{}

func (*skip) UnmarshalJSON([]byte) error { return nil }

// changes reads an array of resource changes.
func (p *parser) changes(section string) ([]Change, error) {
	null, err := p.delim(section, '[', true)
	if err != nil || null {
		return nil, err
	}
	var out []Change
	for i := 0; p.dec.More(); i++ {
		off := p.offset()
		var rc rawChange
		if err := p.dec.Decode(&rc); err != nil {
			return nil, p.decodeErr(fmt.Sprintf("%s[%d]", section, i), off, err)
		}
		c, err := normalize(&rc)
		if err != nil {
			var l *located
			if errors.As(err, &l) {
				l.path = fmt.Sprintf("%s[%d]%s", section, i, l.path)
				l.offset = off
			}
			return nil, err
		}
		if c.Module != nil {
			p.modules = append(p.modules, moduleRef{section: section, index: i, offset: off})
		}
		out = append(out, c)
	}
	if _, err := p.dec.Token(); err != nil {
		return nil, p.decodeErr(section, p.offset(), err)
	}
	return out, nil
}

// rawChange is a resource change as the plan JSON has it.
type rawChange struct {
	Address         string `json:"address"`
	PreviousAddress string `json:"previous_address"`
	ModuleAddress   string `json:"module_address"`
	Mode            string `json:"mode"`
	Type            string `json:"type"`
	Name            string `json:"name"`
	ProviderName    string `json:"provider_name"`
	ActionReason    string `json:"action_reason"`
	Change          *struct {
		Actions         []string        `json:"actions"`
		Before          json.RawMessage `json:"before"`
		After           json.RawMessage `json:"after"`
		AfterUnknown    json.RawMessage `json:"after_unknown"`
		BeforeSensitive json.RawMessage `json:"before_sensitive"`
		AfterSensitive  json.RawMessage `json:"after_sensitive"`
	} `json:"change"`
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
	case rc.Change == nil:
		return Change{}, bad(".change", "required")
	}
	action, ok := normalAction(rc.Change.Actions)
	if !ok {
		return Change{}, bad(".change.actions", "%q is not a known list of actions", rc.Change.Actions)
	}
	c := Change{
		Address: rc.Address, PreviousAddress: rc.PreviousAddress, Mode: rc.Mode, Type: rc.Type, Name: rc.Name,
		Provider: rc.ProviderName, Action: action, Actions: rc.Change.Actions, ActionReason: rc.ActionReason,
	}
	if rc.ModuleAddress != "" {
		c.Module = &Module{Address: rc.ModuleAddress}
	}
	var err error
	var r redactor
	if c.Before, err = r.clean(rc.Change.Before, rc.Change.BeforeSensitive, nil); err != nil {
		return Change{}, bad(".change.before", "%v", err)
	}
	if c.After, err = r.clean(rc.Change.After, rc.Change.AfterSensitive, rc.Change.AfterUnknown); err != nil {
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
