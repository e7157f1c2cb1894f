package sbom_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/supplychain/sbom"
)

func TestValidateGeneratedAndFixtures(t *testing.T) {
	v, err := sbom.NewValidator()
	require.NoError(t, err)
	bom, err := sbom.GenerateModule(context.Background(), shopDir)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, sbom.Encode(&buf, bom, sbom.CycloneDXJSON))
	assert.NoError(t, v.Validate(buf.Bytes()))
	data, err := os.ReadFile("testdata/app.cdx.json")
	require.NoError(t, err)
	// The fixture repeats a dependency, which Decode tolerates and the
	// schema does not.
	err = v.Validate(data)
	assert.ErrorIs(t, err, sbom.ErrSchema)
	assert.EqualError(t, err, "sbom: invalid sbom: cyclonedx+json: /dependencies/0/dependsOn: sbom: schema violation: items at 0 and 2 are equal")
}

func TestValidateReportsEveryViolation(t *testing.T) {
	v, err := sbom.NewValidator()
	require.NoError(t, err)
	doc := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
	  "components": [{"type": "library"}, {"type": "gadget", "name": "x"}],
	  "serialNumber": "not-a-urn"}`
	err = v.Validate([]byte(doc))
	require.Error(t, err)
	assert.ErrorIs(t, err, sbom.ErrSchema)
	assert.ErrorIs(t, err, sbom.ErrInvalidSBOM)
	fields := map[string]bool{}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var se *sbom.Error
		require.ErrorAs(t, e, &se)
		fields[se.Field] = true
	}
	assert.True(t, fields["/components/0"], "missing name: %v", err)
	assert.True(t, fields["/components/1/type"], "bad type: %v", err)
	assert.True(t, fields["/serialNumber"], "bad serial: %v", err)

	err = v.Validate([]byte(`{"bomFormat": "CycloneDX", "specVersion": "1.1"}`))
	assert.ErrorIs(t, err, sbom.ErrUnsupported)
	err = v.Validate([]byte(`{"bomFormat": `))
	assert.ErrorIs(t, err, sbom.ErrInvalidSBOM)
}
