package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRequestFile(t *testing.T) {
	digest := `{"sha256":"` + "ab" + `cd"}`
	r, err := ParseRequestFile([]byte(`{"stage":"build","subject":{"name":"app","digest":{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},"evidence":["sha256:01"]}`), "req.json")
	require.NoError(t, err)
	assert.Equal(t, "build", r.Stage)
	assert.Equal(t, "app", r.Subject.Name)
	assert.Equal(t, []string{"sha256:01"}, r.Evidence)

	for in, want := range map[string]string{
		`{"stage":"build","subject":{"name":"a","digest":` + digest + `},"extra":1}`: `req.json: json: unknown field "extra"`,
		`{"stage":`:            "req.json: unexpected EOF",
		`{"stage":"build"} {}`: "req.json: data after the request object",
		`{"subject":{"name":"a","digest":` + digest + `}}`: "req.json: stage: missing",
		`{"stage":"build","subject":{"name":"a"}}`:         "req.json: subject:",
		`{"stage":"build" "x"}`:                            "req.json: offset",
	} {
		_, err := ParseRequestFile([]byte(in), "req.json")
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}

func FuzzParseRequestFile(f *testing.F) {
	f.Add([]byte(`{"stage":"build","subject":{"name":"app","digest":{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},"evidence":["sha256:01"],"released":["sha256:02"]}`))
	f.Add([]byte(`{"stage":"release","environment":"prod","deployer":"ci","subject":{"name":"x","digest":{}}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"stage":"build"} trailing`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRequestFile(data, "fuzz.json")
		if err != nil {
			assert.Nil(t, r)
			assert.Contains(t, err.Error(), "fuzz.json")
			return
		}
		assert.NotEmpty(t, r.Stage)
		assert.NoError(t, r.Subject.Validate())
	})
}
