package capability

import (
	"slices"
	"time"
)

// DefaultMaxExceptionDuration is how long an exception may last when the
// map's exception policy sets no maximum: 90 days.
const DefaultMaxExceptionDuration = 90 * 24 * time.Hour

// ExceptionPolicy is the map's review path for exceptions: who may approve
// them and for how long.
type ExceptionPolicy struct {
	// MaxDuration caps how long an exception may last, from its grant (or
	// from the validation time when it names none) to its expiry. Zero means
	// DefaultMaxExceptionDuration.
	MaxDuration Duration `yaml:"max_duration"`
	// Approvers lists the IDs of the owners whose members (or, for a person,
	// whose contact) may approve exceptions. Empty means anyone other than
	// the requester.
	Approvers []string `yaml:"approvers"`
}

// Max returns the effective maximum duration of an exception.
func (p ExceptionPolicy) Max() time.Duration {
	if p.MaxDuration == 0 {
		return DefaultMaxExceptionDuration
	}
	return time.Duration(p.MaxDuration)
}

// Exception is a time-boxed waiver of one control for a scope, approved by
// someone other than its requester.
type Exception struct {
	// ID is unique across the map's exceptions.
	ID string `yaml:"id"`
	// Control is the ID of the waived control.
	Control string `yaml:"control"`
	// Scope limits where the exception applies.
	Scope Scope `yaml:"scope"`
	// Reason says why the control is waived and what mitigates the risk.
	Reason string `yaml:"reason"`
	// RequestedBy is the identity that asked for the exception.
	RequestedBy string `yaml:"requested_by"`
	// ApprovedBy is the identity that approved it; never the requester.
	ApprovedBy string `yaml:"approved_by"`
	// Granted is when the exception was approved; zero means it is valid
	// from any time before its expiry.
	Granted time.Time `yaml:"granted"`
	// Expires is when the exception stops applying. A date without a time
	// means the start of that day in UTC.
	Expires time.Time `yaml:"expires"`
}

// Scope limits an exception to services and environments. An empty list
// matches any service or any environment.
type Scope struct {
	// Services lists the service names covered.
	Services []string `yaml:"services"`
	// Environments lists the environment names covered.
	Environments []string `yaml:"environments"`
}

// Target is where a control is evaluated: a service in an environment.
type Target struct {
	// Service names the service under evaluation.
	Service string
	// Environment names the environment, such as "prod".
	Environment string
}

// Covers reports whether the scope includes t.
func (s Scope) Covers(t Target) bool {
	return (len(s.Services) == 0 || slices.Contains(s.Services, t.Service)) &&
		(len(s.Environments) == 0 || slices.Contains(s.Environments, t.Environment))
}

// Active reports whether the exception is in force at time at: granted at
// or before it and expiring after it. An expired exception never applies.
func (e Exception) Active(at time.Time) bool {
	return !at.Before(e.Granted) && at.Before(e.Expires)
}

// Waives reports whether the exception waives control for t at time at.
func (e Exception) Waives(control string, t Target, at time.Time) bool {
	return e.Control == control && e.Active(at) && e.Scope.Covers(t)
}

// ActiveExceptions returns the exceptions in force at time at, in map order.
func (m *Map) ActiveExceptions(at time.Time) []Exception {
	var out []Exception
	for _, e := range m.Exceptions {
		if e.Active(at) {
			out = append(out, e)
		}
	}
	return out
}

// ExpiringExceptions returns the exceptions in force at time at that expire
// within d of it, soonest first.
func (m *Map) ExpiringExceptions(at time.Time, d time.Duration) []Exception {
	var out []Exception
	for _, e := range m.ActiveExceptions(at) {
		if !e.Expires.After(at.Add(d)) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b Exception) int { return a.Expires.Compare(b.Expires) })
	return out
}

// Waiver returns the first exception that waives control for t at time at.
func (m *Map) Waiver(control string, t Target, at time.Time) (Exception, bool) {
	for _, e := range m.Exceptions {
		if e.Waives(control, t, at) {
			return e, true
		}
	}
	return Exception{}, false
}
