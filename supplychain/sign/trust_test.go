package sign_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

func pemOf(t testing.TB, s *sign.Signer) string {
	t.Helper()
	b, err := s.MarshalPEM()
	require.NoError(t, err)
	return string(b)
}

func indent(s, pad string) string {
	return pad + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+pad)
}

func TestParseTrust(t *testing.T) {
	keys := newKeyring(t, "builder", "rm")
	doc := `keys:
  - name: builder
    public_key: |
` + indent(pemOf(t, keys["builder"]), "      ") + `
    not_after: 2027-06-30
  - name: rm
    public_key: |
` + indent(pemOf(t, keys["rm"]), "      ") + `
rules:
  - predicate_types: ["https://slsa.dev/provenance/v1"]
    signers: [builder]
  - predicate_types: ["https://paved.dev/attestation/*"]
    stages: [release]
    signers: [rm, builder]
    threshold: 2
`
	path := filepath.Join(t.TempDir(), "trust.yaml")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
	tr, err := sign.LoadTrust(path)
	require.NoError(t, err)
	require.Len(t, tr.Keys(), 2)
	assert.Equal(t, keys["builder"].KeyID(), tr.Keys()[0].Key.KeyID())
	assert.Equal(t, 2027, tr.Keys()[0].NotAfter.Year())
	assert.Equal(t, 2, tr.Rules()[1].Threshold)

	env, err := sign.Sign(ctx, keys["builder"], build(t, attesttest.Samples()[0]))
	require.NoError(t, err)
	_, err = sign.Verify(ctx, env, tr, sign.AtTime(now))
	require.NoError(t, err)
}

func TestParseTrustErrors(t *testing.T) {
	keys := newKeyring(t, "a")
	key := indent(pemOf(t, keys["a"]), "      ")
	tests := []struct {
		name string
		doc  string
		line int
		want string
	}{
		{"unknown field", "keys: []\nrulez: []\n", 2, "rulez"},
		{"bad PEM", "keys:\n  - name: a\n    public_key: nope\n", 3, "keys[0].public_key"},
		{"unknown signer", "keys:\n  - name: a\n    public_key: |\n" + key + "\nrules:\n  - predicate_types: [x]\n    signers: [b]\n", 9, "rules[0].signers[0]"},
		{"threshold above signers", "keys:\n  - name: a\n    public_key: |\n" + key + "\nrules:\n  - predicate_types: [x]\n    signers: [a]\n    threshold: 2\n", 10, "rules[0].threshold"},
		{"bad stage", "keys:\n  - name: a\n    public_key: |\n" + key + "\nrules:\n  - predicate_types: [x]\n    stages: [deploy]\n    signers: [a]\n", 9, "rules[0].stages[0]"},
		{"no predicate types", "keys:\n  - name: a\n    public_key: |\n" + key + "\nrules:\n  - signers: [a]\n", 8, "rules[0].predicate_types"},
		{"duplicate name", "keys:\n  - name: a\n    public_key: |\n" + key + "\n  - name: a\n    public_key: |\n" + key + "\n", 7, "keys[1].name"},
		{"missing key", "keys:\n  - name: a\n", 2, "keys[0].public_key"},
		{"not an integer", "rules:\n  - threshold: two\n", 2, "rules[0].threshold"},
		{"JSON syntax", `{"keys": [}`, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sign.ParseTrust([]byte(tt.doc))
			require.ErrorIs(t, err, sign.ErrInvalidTrust)
			var te *sign.TrustError
			require.True(t, errors.As(err, &te), "%v", err)
			assert.Equal(t, tt.want, te.Field)
			assert.Equal(t, tt.line, te.Line, "%v", err)
		})
	}
	_, err := sign.ParseTrust(make([]byte, sign.MaxTrustSize+1))
	assert.ErrorIs(t, err, sign.ErrInvalidTrust)
	_, err = sign.LoadTrust(filepath.Join(t.TempDir(), "absent.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestNewTrustRejectsDuplicateKeys(t *testing.T) {
	keys := newKeyring(t, "a")
	_, err := sign.NewTrust([]sign.TrustedKey{{Name: "a", Key: keys["a"].Verifier}, {Name: "b", Key: keys["a"].Verifier}}, nil)
	assert.ErrorIs(t, err, sign.ErrInvalidTrust)
	_, err = sign.NewTrust([]sign.TrustedKey{{Name: "a", Key: keys["a"].Verifier, NotBefore: now, NotAfter: now}}, nil)
	assert.ErrorIs(t, err, sign.ErrInvalidTrust, "an empty validity window")
}
