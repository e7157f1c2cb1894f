package policy_test

import (
	"testing"

	"github.com/paved-dev/paved/policy"
	"github.com/paved-dev/paved/policy/policytest"
)

func TestLibraryRego(t *testing.T) {
	policytest.Run(t, policy.Library())
}
