package capability_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/paved-dev/paved/capability"
)

func TestExceptionActive(t *testing.T) {
	e := capability.Exception{Granted: now, Expires: now.Add(time.Hour)}
	assert.False(t, e.Active(now.Add(-time.Second)), "before its grant")
	assert.True(t, e.Active(now), "at its grant")
	assert.True(t, e.Active(now.Add(59*time.Minute)))
	assert.False(t, e.Active(now.Add(time.Hour)), "an expired exception never applies")
	assert.False(t, e.Active(now.Add(24*time.Hour)))

	open := capability.Exception{Expires: now.Add(time.Hour)}
	assert.True(t, open.Active(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)), "no grant time: valid until expiry")
}

func TestExceptionWaives(t *testing.T) {
	e := capability.Exception{
		Control: "C-1",
		Scope:   capability.Scope{Services: []string{"billing"}, Environments: []string{"prod"}},
		Expires: now.Add(time.Hour),
	}
	in := capability.Target{Service: "billing", Environment: "prod"}
	assert.True(t, e.Waives("C-1", in, now))
	assert.False(t, e.Waives("C-2", in, now), "another control")
	assert.False(t, e.Waives("C-1", capability.Target{Service: "search", Environment: "prod"}, now), "another service")
	assert.False(t, e.Waives("C-1", capability.Target{Service: "billing", Environment: "staging"}, now), "another environment")
	assert.False(t, e.Waives("C-1", in, now.Add(2*time.Hour)), "expired")

	anywhere := capability.Exception{Control: "C-1", Expires: now.Add(time.Hour)}
	assert.True(t, anywhere.Waives("C-1", capability.Target{Service: "x", Environment: "y"}, now), "empty scope lists match anything")
}

func TestMapExceptions(t *testing.T) {
	m := validMap()
	m.Exceptions = []capability.Exception{
		{ID: "late", Control: "C-1", Expires: now.Add(60 * 24 * time.Hour)},
		{ID: "soon", Control: "C-1", Expires: now.Add(3 * 24 * time.Hour), Scope: capability.Scope{Environments: []string{"prod"}}},
		{ID: "gone", Control: "C-1", Expires: now.Add(-time.Hour)},
		{ID: "sooner", Control: "C-2", Expires: now.Add(24 * time.Hour)},
		{ID: "future", Control: "C-2", Granted: now.Add(time.Hour), Expires: now.Add(2 * time.Hour)},
	}
	ids := func(es []capability.Exception) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	assert.Equal(t, []string{"late", "soon", "sooner"}, ids(m.ActiveExceptions(now)))
	assert.Equal(t, []string{"sooner", "soon"}, ids(m.ExpiringExceptions(now, 7*24*time.Hour)), "soonest first, expired and not-yet-granted left out")
	assert.Empty(t, m.ExpiringExceptions(now, time.Hour))

	w, ok := m.Waiver("C-1", capability.Target{Service: "api", Environment: "prod"}, now)
	assert.True(t, ok)
	assert.Equal(t, "late", w.ID)
	_, ok = m.Waiver("C-3", capability.Target{}, now)
	assert.False(t, ok)
	_, ok = m.Waiver("C-2", capability.Target{}, now.Add(3*24*time.Hour))
	assert.False(t, ok, "every exception for C-2 has expired by then")
}

func TestExceptionPolicyMax(t *testing.T) {
	assert.Equal(t, capability.DefaultMaxExceptionDuration, capability.ExceptionPolicy{}.Max())
	assert.Equal(t, 14*24*time.Hour, capability.ExceptionPolicy{MaxDuration: capability.Days(14)}.Max())
}
