package capability_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// An SBOM reaches the policy input as a summary that tells the component
// it describes from its dependencies, and counts the dependencies that
// record a digest (DSO-BLD-03 judges them).
func TestDecodeEvidenceSummarisesAnSBOM(t *testing.T) {
	bom := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
		"metadata": {"component": {"bom-ref": "app", "type": "application", "name": "example.com/app", "purl": "pkg:golang/example.com/app@v1.0.0"}},
		"components": [
			{"bom-ref": "a", "type": "library", "name": "example.com/a", "version": "v1.2.0", "purl": "pkg:golang/example.com/a@v1.2.0",
			 "hashes": [{"alg": "SHA-256", "content": "0b1c2f6e8d1a55e2b1bfe2b6c1e6f6c4a1f1c3e2d4b5a6978877665544332211"}]},
			{"bom-ref": "b", "type": "library", "name": "example.com/b", "version": "v0.3.0", "purl": "pkg:golang/example.com/b@v0.3.0"}
		]}`
	st, err := attest.Build(attest.Generic{Type: "https://cyclonedx.org/bom", JSON: json.RawMessage(bom)}, attesttest.Subject())
	require.NoError(t, err)
	key, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	env, err := sign.Sign(context.Background(), key, st)
	require.NoError(t, err)
	raw, err := json.Marshal(env)
	require.NoError(t, err)

	ev, err := capability.DecodeEvidence(evidence.Record{ID: "sha256:" + strings.Repeat("ab", 32), Envelope: raw})
	require.NoError(t, err)
	s, ok := ev.Predicate.(policy.SBOM)
	require.True(t, ok, "%T", ev.Predicate)
	assert.Equal(t, "pkg:golang/example.com/app@v1.0.0", s.Root)
	assert.Equal(t, 1, s.Hashed, "a records a digest, b does not")
	assert.Equal(t, 3, s.Components, "the described component and its two dependencies")
}
