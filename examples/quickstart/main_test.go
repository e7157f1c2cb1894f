package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	got := out.String()
	assert.Contains(t, got, "Programme owner: Head of DevSecOps <devsecops-lead@example.com>")
	assert.Contains(t, got, "8 areas, 23 capabilities, 56 controls: 35 mandatory, 21 advisory")
	assert.Contains(t, got, "Initial backlog: 56 gaps")
	assert.Contains(t, got, "| DSO-BLD-04 | SBOM produced per artifact | pipeline | mandatory | no_evidence | delivery | Security Engineering |")
	// Every control is listed once in the backlog table.
	assert.Equal(t, 56, strings.Count(got, "| no_evidence |"))
}
