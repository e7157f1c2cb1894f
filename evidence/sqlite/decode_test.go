package sqlite

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

// decodeSeeds are JSON column values: what encode writes, and what only
// the fallback reads.
var decodeSeeds = []string{
	`[{"name":"app","digest":{"sha256":"ab","sha512":"cd"},"uri":"oci://x","purl":"pkg:oci/x"}]`,
	`[{"name":"a","digest":null},{"name":"","digest":{}}]`,
	`[{"keyid":"k","name":"ci","subject":"s","issuer":"i"},{}]`,
	`{"team":"platform","env":"","ünïcode":"✓"}`,
	`{"a":"\u003c\u0026\u003e","b\"":"\\"}`,
	`[ {"name" : "spaced"} ]`,
	`[{"Name":"case","DIGEST":{"x":"y"}}]`,
	`[{"name":"a","name":"b"}]`,
	`{"k":"v","k":"w"}`,
	`[{"digest":{"a":"1"},"digest":{"b":"2"}}]`,
	`null`, `[]`, `{}`, `[null]`, `[{"name":null}]`, `[{"other":1}]`,
	"[{\"name\":\"\xff\"}]", `[{"name":"x"}] `, `[`, `[{"name":"x"},]`, `{"a":1}`, `"str"`, ``,
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, s := range decodeSeeds {
		checkDecode(t, []byte(s))
	}
	// The fast paths do take what encode writes.
	subjects, _ := json.Marshal([]supplychain.Subject{{Name: "a", Digest: supplychain.DigestSet{"sha256": "00"}, URI: "u", PURL: "p"}})
	_, ok := fastSubjects(subjects)
	assert.True(t, ok)
	labels, _ := json.Marshal(map[string]string{"a": "b", "c": ""})
	_, ok = fastLabels(labels)
	assert.True(t, ok)
	signers, _ := json.Marshal([]sign.Identity{{KeyID: "k", Name: "n", Subject: "s", Issuer: "i"}, {}})
	_, ok = fastSigners(signers)
	assert.True(t, ok)
}

// FuzzDecode checks that the fast decoders agree with encoding/json on
// every input they accept.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b) })
}

func checkDecode(t *testing.T, b []byte) {
	t.Helper()
	if got, ok := fastSubjects(b); ok {
		var want []supplychain.Subject
		require.NoError(t, json.Unmarshal(b, &want), "%q", b)
		require.Equal(t, want, got, "%q", b)
	}
	if got, ok := fastLabels(b); ok {
		var want map[string]string
		require.NoError(t, json.Unmarshal(b, &want), "%q", b)
		require.Equal(t, want, got, "%q", b)
	}
	if got, ok := fastSigners(b); ok {
		var want []sign.Identity
		require.NoError(t, json.Unmarshal(b, &want), "%q", b)
		require.Equal(t, want, got, "%q", b)
	}
	// And the decoders, fast or not, return what encoding/json does.
	var ws []supplychain.Subject
	werr := json.Unmarshal(b, &ws)
	gs, gerr := decodeSubjects(b)
	require.Equal(t, werr == nil, gerr == nil, "%q", b)
	if werr == nil {
		require.Equal(t, ws, gs, "%q", b)
	}
}
