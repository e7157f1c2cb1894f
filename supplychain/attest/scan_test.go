package attest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScanTopLevel(t *testing.T) {
	members, err := scanTopLevel([]byte(` {"a": [1, -2.5e+3, true, false, null, {"x": "\u00e9\n"}], "b\u0041": {}, "c": ""} `))
	require.NoError(t, err)
	require.Len(t, members, 3)
	assert.Equal(t, "a", members[0].name)
	assert.Equal(t, `[1, -2.5e+3, true, false, null, {"x": "\u00e9\n"}]`, string(members[0].value))
	assert.Equal(t, "bA", members[1].name, "escaped names are decoded")
	assert.Equal(t, `""`, string(members[2].value))

	for name, doc := range map[string]string{
		"empty":                     "",
		"not an object":             "[]",
		"duplicate":                 `{"a":1,"a":2}`,
		"duplicate by escape":       `{"a":1,"\u0061":2}`,
		"nested duplicate":          `{"a":{"b":1,"b":2}}`,
		"duplicate in a big object": `{` + strings.Repeat(`"k":0,`, 1) + manyKeys(40) + `,"k":1}`,
		"trailing comma":            `{"a":1,}`,
		"leading zero":              `{"a":01}`,
		"bare dot":                  `{"a":1.}`,
		"bad exponent":              `{"a":1e}`,
		"control char":              "{\"a\":\"\x01\"}",
		"bad escape":                `{"a":"\q"}`,
		"short unicode escape":      `{"a":"\u12"}`,
		"bad UTF-8":                 "{\"a\":\"\xff\"}",
		"unterminated":              `{"a":"x`,
		"trailing data":             `{} {}`,
		"deep":                      `{"a":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`,
		"bad literal":               `{"a":tru}`,
		"missing colon":             `{"a" 1}`,
	} {
		_, err := scanTopLevel([]byte(doc))
		assert.Error(t, err, name)
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strings.Repeat("x", i+1) + `":0`)
	}
	return b.String()
}

// FuzzScan differentially tests the scanner against encoding/json: what it
// accepts is valid JSON, and a valid JSON object it rejects has a duplicate
// name, nests too deeply or is not UTF-8 (encoding/json does not check).
func FuzzScan(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,{"b":"\u00e9"}]}`, `{"a":1,"a":2}`, `{"a":-0.0e-0}`, "{\"a\":\"\xe2\x82\xac\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := scanTopLevel(data)
		valid := json.Valid(data)
		if err == nil && !valid {
			t.Fatalf("scanner accepts invalid JSON %q", data)
		}
		if err != nil && valid {
			var obj map[string]json.RawMessage
			if json.Unmarshal(data, &obj) != nil {
				return // not an object: rejected rightly
			}
			msg := err.Error()
			if !strings.Contains(msg, "duplicate name") && !strings.Contains(msg, "nested too deeply") && !strings.Contains(msg, "invalid UTF-8") {
				t.Fatalf("scanner rejects valid JSON object %q: %v", data, err)
			}
		}
	})
}
