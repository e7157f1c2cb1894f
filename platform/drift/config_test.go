package drift_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/platform/drift"
	"github.com/paved-dev/paved/supplychain/attest"
)

const desiredYAML = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels:
    app.kubernetes.io/name: shop
spec:
  replicas: 3
  template:
    containers:
      - name: shop
        image: registry.example.com/shop@sha256:aaaa
        env:
          - name: DB_PASSWORD
            value: hunter2
      - name: sidecar
        image: envoy:1.31
        env:
          - name: API_TOKEN
            value: s3cr3t-token
  database:
    password: correct-horse
`

const actualJSON = `{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {"name": "shop", "labels": {"app.kubernetes.io/name": "shop", "team": "web"}},
  "spec": {
    "replicas": 3.0,
    "template": {"containers": [
      {"name": "shop", "image": "registry.example.com/shop@sha256:bbbb",
       "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}
    ]},
    "database": {"password": "Tr0ub4dor"}
  }
}`

func TestCompareYAMLWithJSON(t *testing.T) {
	diffs, err := drift.Compare([]byte(desiredYAML), []byte(actualJSON), nil)
	require.NoError(t, err)
	assert.Equal(t, []attest.ConfigDifference{
		{Path: "$.metadata.labels.team", Kind: "added", Actual: "web"},
		{Path: "$.spec.database.password", Kind: "changed", Desired: "(redacted)", Actual: "(redacted)"},
		{Path: "$.spec.template.containers[0].image", Kind: "changed", Desired: "registry.example.com/shop@sha256:aaaa", Actual: "registry.example.com/shop@sha256:bbbb"},
		{Path: "$.spec.template.containers[1]", Kind: "removed", Desired: map[string]any{"image": "envoy:1.31", "name": "sidecar",
			"env": []any{map[string]any{"name": "API_TOKEN", "value": "(redacted)"}}}},
	}, diffs, "3 equals 3.0; the unchanged env entry is no difference")

	same, err := drift.Compare([]byte(desiredYAML), []byte(desiredYAML), nil)
	require.NoError(t, err)
	assert.Empty(t, same)

	quoted, err := drift.Compare([]byte(`{"a.b": {"it's": 1}}`), []byte(`{"a.b": {"it's": 2}}`), regexp.MustCompile(`^$`))
	require.NoError(t, err)
	assert.Equal(t, `$['a.b']['it\'s']`, quoted[0].Path)
	assert.Equal(t, int64(1), quoted[0].Desired)

	typ, err := drift.Compare([]byte(`{"x": [1]}`), []byte(`{"x": {"0": 1}}`), nil)
	require.NoError(t, err)
	assert.Equal(t, []attest.ConfigDifference{{Path: "$.x", Kind: "changed", Desired: []any{int64(1)}, Actual: map[string]any{"0": int64(1)}}}, typ)
}

func TestCompareReportsWhereADocumentIsBroken(t *testing.T) {
	cases := []struct {
		desired, actual, doc string
		line                 int
	}{
		{desired: "a: 1\nb: [\n", actual: "{}", doc: "desired", line: 2},
		{desired: "{}", actual: "{\n  \"a\": 1,\n  \"b\": }\n", doc: "actual", line: 3},
		{desired: "a: 1\n---\nb: 2\n", actual: "{}", doc: "desired"},
		{desired: "{}", actual: "{} {}", doc: "actual"},
		{desired: "? [a]\n: 1\n", actual: "{}", doc: "desired"},
	}
	for _, c := range cases {
		_, err := drift.Compare([]byte(c.desired), []byte(c.actual), nil)
		var pe *drift.ParseError
		require.True(t, errors.As(err, &pe), "%q %q: %v", c.desired, c.actual, err)
		assert.ErrorIs(t, err, drift.ErrInvalidInput)
		assert.Equal(t, c.doc, pe.Document, err.Error())
		if c.line > 0 {
			assert.Equal(t, c.line, pe.Line, err.Error())
		}
	}
}

func TestConfigDriftRecordedWithoutSecrets(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	got, err := f.detector.Config(ctx, "deploy/shop.yaml", "prod", []byte(desiredYAML), []byte(actualJSON))
	require.NoError(t, err)
	assert.True(t, got.Drifted())
	rec, err := f.store.Get(ctx, got.Record.ID)
	require.NoError(t, err)
	assert.Equal(t, attest.PredicateConfigDrift, rec.PredicateType)
	require.Len(t, rec.Subjects, 2)
	assert.Equal(t, "desired:deploy/shop.yaml", rec.Subjects[0].Name)
	assert.Equal(t, got.Drift.Desired, "sha256:"+rec.Subjects[0].Digest["sha256"])
	var back attest.ConfigDrift
	require.NoError(t, decode(t, rec, &back))
	assert.Len(t, back.Differences, 4)
	require.NoError(t, back.Validate())
	for _, secret := range []string{"correct-horse", "Tr0ub4dor", "s3cr3t-token", "hunter2"} {
		assert.False(t, bytes.Contains(rec.Envelope, []byte(secret)), secret)
	}

	_, err = f.detector.Config(ctx, "x", "", []byte("{"), []byte("{}"))
	assert.ErrorIs(t, err, drift.ErrInvalidInput)
	_, err = f.detector.Config(ctx, "", "", []byte("{}"), []byte("{}"))
	assert.ErrorIs(t, err, drift.ErrInvalidInput)
}

func FuzzCompare(f *testing.F) {
	f.Add([]byte(desiredYAML), []byte(actualJSON))
	f.Add([]byte(`{"a": [1, 2, {"b": null}]}`), []byte(`[true, "x", 1e400]`))
	f.Add([]byte("a: &x [1]\nb: *x\n"), []byte("- 1\n"))
	f.Add([]byte(""), []byte("null"))
	f.Fuzz(func(t *testing.T, desired, actual []byte) {
		diffs, err := drift.Compare(desired, actual, nil)
		if err != nil {
			var pe *drift.ParseError
			require.True(t, errors.As(err, &pe), "%v", err)
			return
		}
		for _, d := range diffs {
			require.Equal(t, byte('$'), d.Path[0])
		}
		self, err := drift.Compare(desired, desired, nil)
		require.NoError(t, err)
		require.Empty(t, self, "a document does not differ from itself")
	})
}
