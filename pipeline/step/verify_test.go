package step_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/pipeline/step"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

func TestVerifyIssuesAVSA(t *testing.T) {
	e := newStepEnv(t)
	dir := t.TempDir()
	write(t, dir, map[string]string{"app": "binary"})
	p, err := pipeline.New("svc",
		pipeline.In(pipeline.Build, step.Command{StepName: "declare", Args: []string{"true"}, Products: []string{"app"}}, step.Provenance{}),
		pipeline.In(pipeline.Release, step.Verify{Trust: e.trust}))
	require.NoError(t, err)
	r, err := pipeline.NewRunner(e.store, e.signer)
	require.NoError(t, err)
	run, err := r.Run(context.Background(), p, pipeline.InDir(dir))
	require.NoError(t, err)
	var v attest.VSA
	st := e.predicate(t, run.Steps[2].Evidence[0], &v)
	assert.Equal(t, "PASSED", v.Message().GetVerificationResult())
	assert.Equal(t, []string{"SLSA_BUILD_LEVEL_2"}, v.Message().GetVerifiedLevels())
	assert.Len(t, v.Message().GetInputAttestations(), 3, "the declare link, the provenance step's link and the provenance")
	assert.Equal(t, "app", st.Subjects()[0].Name)

	// A stricter release policy: only the build platform's key may sign
	// provenance, and the CI key is not it.
	builder, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	strict, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: e.signer.Verifier}, {Name: "builder", Key: builder.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{attest.PredicateSLSAProvenance}, Signers: []string{"builder"}},
			{PredicateTypes: []string{attest.PredicateLink}, Signers: []string{"ci"}}})
	require.NoError(t, err)
	p, err = pipeline.New("svc",
		pipeline.In(pipeline.Build, step.Command{StepName: "declare", Args: []string{"true"}, Products: []string{"app"}}, step.Provenance{}),
		pipeline.In(pipeline.Release, step.Verify{Trust: strict}))
	require.NoError(t, err)
	run, err = r.Run(context.Background(), p, pipeline.InDir(dir))
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
	assert.Contains(t, run.Steps[2].Message, "FAILED")
	assert.Contains(t, run.Steps[2].Message, "no verified https://slsa.dev/provenance/v1")
	v = attest.VSA{}
	e.predicate(t, run.Steps[2].Evidence[0], &v)
	assert.Equal(t, "FAILED", v.Message().GetVerificationResult())

	_, err = e.run(t, dir, pipeline.Release, step.Verify{})
	require.ErrorIs(t, err, pipeline.ErrStepFailed)
}
