package iac_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/platform/iac"
)

// TestRedaction pins how masks apply to the after value: at any depth, to
// keys that need quoting, to whole values, to unknown values missing from
// after, and to masks whose shape does not match the value.
func TestRedaction(t *testing.T) {
	for _, tt := range []struct {
		name, after, sensitive, unknown string
		want                            string
		sensitivePaths, unknownPaths    []string
	}{
		{"deep in lists and maps", `{"a":{"b":[1,{"c":"s3cr3t","d":"kept"}]}}`, `{"a":{"b":[false,{"c":true}]}}`, `{}`,
			`{"a":{"b":[1,{"c":"(sensitive value)","d":"kept"}]}}`, []string{"$.a.b[1].c"}, nil},
		{"whole value", `{"k":"s3cr3t"}`, `true`, `{}`, `"(sensitive value)"`, []string{"$"}, nil},
		{"key needing quotes", `{"a.b":"s3cr3t","x":1}`, `{"a.b":true}`, `{}`, `{"a.b":"(sensitive value)","x":1}`, []string{`$["a.b"]`}, nil},
		{"escaped key", `{"k\"q":"s3cr3t"}`, `{"k\"q":true}`, `{}`, `{"k\"q":"(sensitive value)"}`, []string{`$["k\"q"]`}, nil},
		{"escaped strings copied intact", "{\n  \"s\": \"a\\\"b}\",\n  \"t\": \"s3cr3t\"\n}", `{"t":true}`, `{}`, `{"s":"a\"b}","t":"(sensitive value)"}`, []string{"$.t"}, nil},
		{"mask of the wrong shape", `{"v":["s3cr3t"]}`, `{"v":{"0":true}}`, `{}`, `{"v":"(sensitive value)"}`, []string{"$.v"}, nil},
		{"unknown attributes absent from after", `{"name":"x"}`, `false`, `{"id":true,"tags":{"owner":true}}`,
			`{"name":"x","id":"(known after apply)","tags":{"owner":"(known after apply)"}}`, nil, []string{"$.id", "$.tags.owner"}},
		{"unknown list elements", `{"ips":["10.0.0.1",null]}`, `false`, `{"ips":[false,true,true]}`,
			`{"ips":["10.0.0.1","(known after apply)","(known after apply)"]}`, nil, []string{"$.ips[1]", "$.ips[2]"}},
		{"sensitive wins over unknown", `{"p":null}`, `{"p":true}`, `{"p":true}`, `{"p":"(sensitive value)"}`, []string{"$.p"}, nil},
		{"nothing marked", "{ \"a\" : [ 1 , 2 ] }", `{"a":[false,false]}`, `{}`, `{"a":[1,2]}`, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"format_version":"1.2","resource_changes":[{"address":"a.b","mode":"managed","type":"a","change":{"actions":["create"],` +
				`"after":` + tt.after + `,"after_sensitive":` + tt.sensitive + `,"after_unknown":` + tt.unknown + `}}]}`
			p, err := iac.Parse(strings.NewReader(doc))
			require.NoError(t, err)
			c := p.Changes[0]
			assert.Equal(t, tt.want, string(c.After))
			assert.Equal(t, tt.sensitivePaths, c.Sensitive)
			assert.Equal(t, tt.unknownPaths, c.Unknown)
			assert.NotContains(t, string(c.After), "s3cr3t")
		})
	}
	t.Run("unknown whole value of a create", func(t *testing.T) {
		doc := `{"format_version":"1.2","resource_changes":[{"address":"a.b","mode":"managed","type":"a","change":{"actions":["create"],"after":null,"after_unknown":true}}]}`
		p, err := iac.Parse(strings.NewReader(doc))
		require.NoError(t, err)
		assert.Equal(t, `"(known after apply)"`, string(p.Changes[0].After))
	})
}
