package policy_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/policy"
)

func TestEvaluateReleasePasses(t *testing.T) {
	e := newEngine(t)
	d, err := e.Evaluate(context.Background(), releaseRequest(50, 20))
	require.NoError(t, err)
	assert.Equal(t, map[string]policy.Status{
		"DSO-BLD-01": policy.StatusPass,
		"DSO-BLD-02": policy.StatusPass,
		"DSO-BLD-04": policy.StatusPass,
		"DSO-BLD-05": policy.StatusPass,
		"DSO-GOV-04": policy.StatusPass,
		"DSO-REL-01": policy.StatusPass,
		"DSO-SUP-01": policy.StatusPass,
		"DSO-SUP-02": policy.StatusPass,
		"DSO-SUP-05": policy.StatusPass,
		"DSO-TST-01": policy.StatusPass,
	}, statuses(d))
	assert.Equal(t, policy.Allowed, d.Outcome)
	assert.Equal(t, when, d.Time)
	assert.Equal(t, e.PolicyDigest(), d.PolicyDigest)
	assert.Len(t, d.Evidence, 20)
}
