package layout_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/layout"
)

// unsignedLayout returns the chain's layout as JSON, changed by mutate, in
// a metablock without signatures.
func unsignedLayout(t *testing.T, c *chain, mutate func(m map[string]any)) []byte {
	t.Helper()
	data, err := json.Marshal(c.layout())
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	if mutate != nil {
		mutate(m)
	}
	out, err := json.Marshal(map[string]any{"signed": m, "signatures": []any{}})
	require.NoError(t, err)
	return out
}

func stepField(m map[string]any, i int, field string, v any) {
	m["steps"].([]any)[i].(map[string]any)[field] = v
}

func TestParseRejects(t *testing.T) {
	c := newChain(t)
	rsaPEM := string(newParty(t, "rsa").pem)
	envelope := func(payloadType, payload string) []byte {
		return []byte(`{"payloadType":"` + payloadType + `","payload":"` + payload + `","signatures":[]}`)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

	tests := []struct {
		name string
		data []byte
		want []string // substrings of the error
	}{
		{"not JSON", []byte("{"), []string{"not a JSON object"}},
		{"JSON array", []byte("[]"), []string{"not a JSON object"}},
		{"no signed part", []byte(`{"signatures":[]}`), []string{"neither a DSSE envelope nor a metablock"}},
		{"null signed part", []byte(`{"signed":null,"signatures":[]}`), []string{"neither a DSSE envelope nor a metablock"}},
		{"a link", []byte(`{"signed":{"_type":"link","name":"x","materials":{},"products":{},"byproducts":{},"command":[],"environment":{}},"signatures":[]}`), []string{"holds a link, not a layout"}},
		{"unknown type", []byte(`{"signed":{"_type":"thing"},"signatures":[]}`), []string{`_type "thing"`}},
		{"DSSE of another payload type", envelope("text/plain", b64("{}")), []string{"payload type"}},
		{"DSSE without signatures", []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30="}`), []string{"without payload or signatures"}},
		{"DSSE payload not base64", envelope(in_toto.PayloadType, "!!"), []string{"DSSE payload"}},
		{"missing field", unsignedLayout(t, c, func(m map[string]any) { delete(m, "readme") }), []string{`without field "readme"`}},
		{"unknown field", unsignedLayout(t, c, func(m map[string]any) { m["extra"] = 1 }), []string{"unknown field"}},
		{"no steps", unsignedLayout(t, c, func(m map[string]any) { m["steps"] = []any{} }), []string{"no steps"}},
		{"empty rule", unsignedLayout(t, c, func(m map[string]any) {
			stepField(m, 0, "expected_materials", []any{[]any{}})
		}), []string{`step "build" expected_materials rule 1: empty rule`}},
		{"unknown rule", unsignedLayout(t, c, func(m map[string]any) {
			stepField(m, 0, "expected_products", []any{[]any{"FROB", "x"}})
		}), []string{"is not an artifact rule"}},
		{"malformed pattern", unsignedLayout(t, c, func(m map[string]any) {
			stepField(m, 1, "expected_products", []any{[]any{"ALLOW", "[x"}})
		}), []string{`step "package" expected_products rule 1: malformed pattern "[x"`}},
		{"zero threshold", unsignedLayout(t, c, func(m map[string]any) { stepField(m, 0, "threshold", 0) }), []string{"threshold 0 is below 1"}},
		{"step name with a path separator", unsignedLayout(t, c, func(m map[string]any) { stepField(m, 0, "name", "../build") }), []string{"path separator"}},
		{"duplicate name", unsignedLayout(t, c, func(m map[string]any) { stepField(m, 1, "name", "build") }), []string{"name used twice"}},
		{"inspection without command", unsignedLayout(t, c, func(m map[string]any) {
			m["inspect"] = []any{map[string]any{"_type": "inspection", "name": "look", "run": []any{}, "expected_materials": []any{}, "expected_products": []any{}}}
		}), []string{`inspection "look": no command to run`}},
		{"short ed25519 key", unsignedLayout(t, c, func(m map[string]any) {
			m["keys"].(map[string]any)[c.bob.pub.KeyID].(map[string]any)["keyval"] = map[string]any{"public": "abcd"}
		}), []string{"ed25519 public value"}},
		{"RSA key labelled ecdsa", unsignedLayout(t, c, func(m map[string]any) {
			m["keys"].(map[string]any)[c.alice.pub.KeyID].(map[string]any)["keyval"] = map[string]any{"public": rsaPEM}
		}), []string{"not ecdsa"}},
		{"private key", unsignedLayout(t, c, func(m map[string]any) {
			m["keys"].(map[string]any)[c.bob.pub.KeyID].(map[string]any)["keyval"].(map[string]any)["private"] = "00"
		}), []string{"holds a private key"}},
		{"bad expiry", unsignedLayout(t, c, func(m map[string]any) { m["expires"] = "tomorrow" }), []string{`expires "tomorrow"`}},
		{"too large", bytes.Repeat([]byte(" "), layout.MaxLayoutSize+1), []string{"more than the 4194304 allowed"}},
		{"every problem reported", unsignedLayout(t, c, func(m map[string]any) {
			stepField(m, 0, "threshold", 0)
			stepField(m, 1, "expected_products", []any{[]any{"ALLOW", "a\\"}})
		}), []string{"threshold 0 is below 1", "malformed pattern"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := layout.Parse(tc.data)
			require.ErrorIs(t, err, layout.ErrInvalidLayout)
			assert.Nil(t, l)
			var ve *layout.VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "parse", ve.Op)
			assert.True(t, strings.HasPrefix(err.Error(), "layout: parse: invalid layout: "), err.Error())
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestParseAndReadFile(t *testing.T) {
	c := newChain(t)
	signed := c.sign(c.layout(), false, c.owner)
	path := filepath.Join(t.TempDir(), "root.layout")
	require.NoError(t, os.WriteFile(path, signed, 0o600))

	for _, form := range []struct {
		name string
		data []byte
	}{{"metablock", signed}, {"dsse", c.sign(c.layout(), true, c.owner)}} {
		l, err := layout.Parse(form.data)
		require.NoError(t, err, form.name)
		assert.Equal(t, []string{"build", "package"}, l.Steps())
		assert.Empty(t, l.Inspections())
		assert.True(t, c.expires.Equal(l.Expires()))
	}

	l, err := layout.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"build", "package"}, l.Steps())

	big := filepath.Join(t.TempDir(), "big.layout")
	require.NoError(t, os.WriteFile(big, nil, 0o600))
	require.NoError(t, os.Truncate(big, layout.MaxLayoutSize+1))
	bad := filepath.Join(t.TempDir(), "bad.layout")
	require.NoError(t, os.WriteFile(bad, []byte("{}"), 0o600))

	for _, tc := range []struct {
		name, path string
		also       error
	}{
		{"missing", filepath.Join(t.TempDir(), "absent.layout"), fs.ErrNotExist},
		{"too large", big, nil},
		{"a directory", t.TempDir(), nil},
		{"malformed", bad, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := layout.ReadFile(tc.path)
			require.ErrorIs(t, err, layout.ErrInvalidLayout)
			if tc.also != nil {
				assert.ErrorIs(t, err, tc.also)
			}
			var ve *layout.VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.path, ve.Path)
			assert.True(t, strings.HasPrefix(err.Error(), "layout: read "+tc.path+": invalid layout: "), err.Error())
		})
	}
}

func TestParsePublicKeys(t *testing.T) {
	ed, ec, rs := newParty(t, "ed25519"), newParty(t, "ecdsa"), newParty(t, "rsa")
	all := bytes.Join([][]byte{ed.pem, ec.pem, rs.pem}, []byte("\n"))
	keys, err := layout.ParsePublicKeys(all)
	require.NoError(t, err)
	require.Len(t, keys, 3)
	for i, p := range []party{ed, ec, rs} {
		assert.Equal(t, p.pub.KeyID, keys[i].KeyID(), "in-toto key ID as in-toto-golang computes it")
		assert.Equal(t, p.pavedID, keys[i].Identity().KeyID, "paved key ID")
	}

	path := filepath.Join(t.TempDir(), "root.pub")
	require.NoError(t, os.WriteFile(path, all, 0o600))
	fromFile, err := layout.ReadPublicKeysFile(path)
	require.NoError(t, err)
	assert.Equal(t, keys, fromFile)

	privatePEM := []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "no PEM block"},
		{"not PEM", []byte("hello"), "data outside PEM blocks"},
		{"private key", privatePEM, "never a private key"},
		{"certificate", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "want PUBLIC KEY"},
		{"garbage key", []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), "PEM block 1"},
		{"trailing data", append(append([]byte{}, ed.pem...), "junk"...), "data outside PEM blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := layout.ParsePublicKeys(tc.data)
			require.ErrorIs(t, err, layout.ErrInvalidKey)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "layout: parse: invalid key: "), err.Error())
		})
	}

	_, err = layout.ReadPublicKeysFile(filepath.Join(t.TempDir(), "absent.pub"))
	require.ErrorIs(t, err, layout.ErrInvalidKey)
	assert.True(t, errors.Is(err, fs.ErrNotExist))
}

// FuzzParse: Parse never panics, and what it accepts answers its accessors.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"signed":{"_type":"layout","steps":[],"inspect":[],"keys":{},"expires":"2030-01-01T00:00:00Z","readme":""},"signatures":[]}`))
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := layout.Parse(data)
		if err != nil {
			if !errors.Is(err, layout.ErrInvalidLayout) {
				t.Fatalf("error %v does not wrap ErrInvalidLayout", err)
			}
			return
		}
		if len(l.Steps()) == 0 {
			t.Fatal("accepted a layout without steps")
		}
		_ = l.Inspections()
		_ = l.Expires()
	})
}
