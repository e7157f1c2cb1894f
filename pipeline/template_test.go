package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipeline"
)

// echo is a template kind for the tests: a step that succeeds, taking an
// optional "product" parameter and a required "say".
func testKinds() pipeline.Kinds {
	return pipeline.Kinds{
		"echo": func(name string, p pipeline.Params) (pipeline.Step, error) {
			if err := p.Only("say", "product"); err != nil {
				return nil, err
			}
			if _, err := p.Require("say"); err != nil {
				return nil, err
			}
			if prod := p.Get("product", ""); prod != "" {
				return ok(name, artifact(prod)), nil
			}
			return ok(name), nil
		},
		"broken": func(string, pipeline.Params) (pipeline.Step, error) { return nil, errors.New("cannot be made") },
	}
}

func TestLoadTemplate(t *testing.T) {
	doc := `name: go-service
service: api
stages:
  - stage: build
    concurrent: true
    steps:
      - name: compile
        kind: echo
        with: {say: "$HOME is kept", product: "${artifact}"}
      - name: sbom
        kind: echo
        with: {say: hi}
        needs: [compile]
        timeout: 90s
  - stage: test
    steps:
      - {name: unit, kind: echo, with: {say: hi}}
`
	p, err := pipeline.LoadTemplate([]byte(doc), "go-service.yaml", testKinds(), map[string]string{"artifact": "bin/app"})
	require.NoError(t, err)
	assert.Equal(t, "go-service", p.Name())
	assert.Equal(t, "api", p.Service())
	st := p.Stages()
	require.Len(t, st, 2)
	assert.True(t, st[0].Concurrent)
	assert.Equal(t, []string{"compile"}, st[0].Steps[1].Needs)
	assert.Equal(t, 90*time.Second, st[0].Steps[1].Timeout)

	e := newEnv(t)
	run, err := e.runner(t).Run(context.Background(), p, pipeline.InDir(t.TempDir()))
	require.NoError(t, err)
	assert.Len(t, run.Steps, 3)
	assert.Equal(t, "bin/app", run.Subject.Name)
}

func TestLoadTemplateErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"unknown kind", "name: x\nstages:\n  - stage: build\n    steps:\n      - name: a\n        kind: ech0\n",
			[]string{`t.yaml:6:15: stages[0].steps[0].kind: pipeline: invalid pipeline: unknown step kind "ech0" (known: broken, echo)`}},
		{"missing parameter", "name: x\nstages:\n  - stage: build\n    steps:\n      - name: a\n        kind: echo\n",
			[]string{"t.yaml:5:9: stages[0].steps[0].with.say:", "missing parameter"}},
		{"unknown parameter", "name: x\nstages:\n  - stage: build\n    steps:\n      - name: a\n        kind: echo\n        with: {say: a, sya: b}\n",
			[]string{"t.yaml:7:29: stages[0].steps[0].with.sya: pipeline: invalid pipeline: sya: unknown parameter"}},
		{"kind that fails", "name: x\nstages:\n  - stage: build\n    steps:\n      - {name: a, kind: broken}\n",
			[]string{"t.yaml:5:9: stages[0].steps[0]: pipeline: invalid pipeline: cannot be made"}},
		{"cycle", "name: x\nstages:\n  - stage: build\n    concurrent: true\n    steps:\n      - {name: a, kind: echo, with: {say: x}, needs: [b]}\n      - {name: b, kind: echo, with: {say: x}, needs: [a]}\n",
			[]string{"t.yaml:6:7: stages[0].steps:", "cycle: a -> b -> a"}},
		{"unknown stage", "name: x\nstages:\n  - stage: deploy\n    steps:\n      - {name: a, kind: echo, with: {say: x}}\n",
			[]string{"t.yaml:3:12: stages[0].stage:", `unknown stage "deploy"`}},
		{"unknown field and bad timeout", "name: x\nstagez: []\nstages:\n  - stage: build\n    steps:\n      - {name: a, kind: echo, with: {say: x}, timeout: soon}\n",
			[]string{"t.yaml:2:1: stagez: unknown field", "t.yaml:6:56: stages[0].steps[0].timeout: invalid value"}},
		{"not yaml", "name: [", []string{"t.yaml:1:"}},
		{"undefined variable", "name: x\nstages:\n  - stage: build\n    steps:\n      - {name: a, kind: echo, with: {say: \"${v} ${version}\"}}\n",
			[]string{"t.yaml:5:43: stages[0].steps[0].with.say: pipeline: invalid pipeline: ${version} is not defined"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pipeline.LoadTemplate([]byte(tt.doc), "t.yaml", testKinds(), map[string]string{"v": "1"})
			require.Error(t, err)
			var de *pipeline.DefinitionError
			require.ErrorAs(t, err, &de, "%v", err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	big := make([]byte, pipeline.MaxTemplateSize+1)
	_, err := pipeline.LoadTemplate(big, "big.yaml", testKinds(), nil)
	require.ErrorIs(t, err, pipeline.ErrInvalidPipeline)
}

func FuzzLoadTemplate(f *testing.F) {
	f.Add([]byte("name: x\nstages:\n  - stage: build\n    steps:\n      - {name: a, kind: echo, with: {say: x}}\n"))
	f.Add([]byte("name: x\nstages:\n  - stage: build\n    concurrent: true\n    steps:\n      - {name: a, kind: echo, with: {say: x}, needs: [a]}\n"))
	f.Add([]byte(`{"name": "x", "stages": [{"stage": "test", "steps": [{"name": "a", "kind": "broken"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := pipeline.LoadTemplate(data, "f.yaml", testKinds(), map[string]string{"v": "1"})
		if (p == nil) == (err == nil) {
			t.Fatalf("pipeline %v and error %v", p, err)
		}
		var de *pipeline.DefinitionError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("error without a location: %v", err)
		}
		_ = fmt.Sprint(err)
	})
}
