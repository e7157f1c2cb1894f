package route

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/paved-dev/paved/capability"
)

// Kind is what happened.
type Kind string

// The kinds of routed events.
const (
	// GateFailure: a pipeline gate blocked a subject.
	GateFailure Kind = "gate_failure"
	// Bypass: someone let a blocked subject through (break glass).
	Bypass Kind = "bypass"
	// ExceptionExpiring: an exception is about to expire.
	ExceptionExpiring Kind = "exception_expiring"
	// Drift: what runs, or how it is configured, is not what should be.
	Drift Kind = "drift"
	// Vulnerability: a vulnerability affects a shipped version.
	Vulnerability Kind = "vulnerability"
)

// Severity ranks events.
type Severity string

// The severities, from least to most urgent.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

func (s Severity) rank() int { return slices.Index([]Severity{Info, Warning, Critical}, s) }

// Event is something an owner must hear about.
type Event struct {
	// ID identifies the event; the same ID is delivered to a route once.
	// Empty: derived from the other fields.
	ID string `json:"id"`
	// Kind and Severity say what happened and how urgent it is.
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	// Summary says it in one line.
	Summary string `json:"summary"`
	// Control, Area, Service and Environment say what it is about, where
	// known; routing matches on them.
	Control     string            `json:"control,omitempty"`
	Area        capability.AreaID `json:"area,omitempty"`
	Service     string            `json:"service,omitempty"`
	Environment string            `json:"environment,omitempty"`
	// Records lists the IDs of the evidence records behind it.
	Records []string `json:"records,omitempty"`
	// At is when it happened.
	At time.Time `json:"at"`
}

// key returns the event's ID, or one derived from what it says.
func (e Event) key() string {
	if e.ID != "" {
		return e.ID
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%v", e.Kind, e.Control, e.Service, e.Environment, e.Summary, e.Severity, e.Records))
	return hex.EncodeToString(sum[:12])
}

// Rule sends the events it matches to a route, for an owner. Every set
// field must match; the zero Rule matches every event.
type Rule struct {
	// Kinds, Controls, Areas, Services and Environments match the event's
	// fields; empty matches any.
	Kinds        []Kind              `json:"kinds,omitempty"`
	Controls     []string            `json:"controls,omitempty"`
	Areas        []capability.AreaID `json:"areas,omitempty"`
	Services     []string            `json:"services,omitempty"`
	Environments []string            `json:"environments,omitempty"`
	// MinSeverity matches events at least this severe; empty matches any.
	MinSeverity Severity `json:"minSeverity,omitempty"`
	// Owner is the ID of the map's owner to notify; empty means the
	// event's owner by the map: its control's effective owner, else its
	// area's, else the environment's, else the programme's.
	Owner string `json:"owner,omitempty"`
	// Route names the notifier to send through.
	Route string `json:"route"`
	// Continue lets later rules match the event too; by default the first
	// matching rule routes it.
	Continue bool `json:"continue,omitempty"`
}

func (r Rule) matches(e Event) bool {
	return (len(r.Kinds) == 0 || slices.Contains(r.Kinds, e.Kind)) &&
		(len(r.Controls) == 0 || slices.Contains(r.Controls, e.Control)) &&
		(len(r.Areas) == 0 || slices.Contains(r.Areas, e.Area)) &&
		(len(r.Services) == 0 || slices.Contains(r.Services, e.Service)) &&
		(len(r.Environments) == 0 || slices.Contains(r.Environments, e.Environment)) &&
		(r.MinSeverity == "" || e.Severity.rank() >= r.MinSeverity.rank())
}

// Notification is one event for one owner, through one route.
type Notification struct {
	// Event is what happened.
	Event Event `json:"event"`
	// Owner is who must act: the map's owner, with their contact.
	Owner capability.Owner `json:"owner"`
	// Route is the route's name.
	Route string `json:"route"`
}

// Notifier delivers notifications, such as by webhook (route/webhook), to
// chat or to a pager. Notify must be safe for concurrent use and honour
// ctx.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// ErrNoRoute: an event that no rule routes.
var ErrNoRoute = errors.New("route: no rule routes the event")

// DeliveryError says which route failed to deliver which event.
type DeliveryError struct {
	// Route and Event name the delivery.
	Route, Event string
	// Err is the notifier's error.
	Err error
}

// Error formats the failure as "route: deliver <event> to <route>: cause".
func (e *DeliveryError) Error() string {
	return fmt.Sprintf("route: deliver %s to %s: %v", e.Event, e.Route, e.Err)
}

// Unwrap returns the notifier's error.
func (e *DeliveryError) Unwrap() error { return e.Err }

// Router routes events to owners by the capability map and rules, and
// delivers them through notifiers, each event at most once per route: it
// remembers the delivered event IDs for its lifetime (a few dozen bytes
// each), so a long-lived process gives events stable IDs, as the event
// functions of this package do, and renews its Router when that memory
// matters. It is safe for concurrent use by multiple goroutines.
type Router struct {
	m         *capability.Map
	rules     []Rule
	notifiers map[string]Notifier
	logger    *slog.Logger

	mu   sync.Mutex
	sent map[string]bool // event key + "\x00" + route
}

// Option configures a Router.
type Option interface{ apply(*Router) error }

type optionFunc func(*Router) error

func (f optionFunc) apply(r *Router) error { return f(r) }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(r *Router) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		r.logger = l
		return nil
	})
}

// New returns a Router over the map m with rules (tried in order) and
// notifiers by route name. Every rule must name a route that has a
// notifier, and an owner (when it names one) that the map declares.
func New(m *capability.Map, rules []Rule, notifiers map[string]Notifier, opts ...Option) (*Router, error) {
	r := &Router{m: m, rules: slices.Clone(rules), notifiers: map[string]Notifier{}, logger: slog.New(slog.DiscardHandler), sent: map[string]bool{}}
	var errs []error
	if m == nil {
		errs = append(errs, errors.New("route: new: nil map"))
	}
	for name, n := range notifiers {
		if n == nil {
			errs = append(errs, fmt.Errorf("route: new: notifier %q is nil", name))
		}
		r.notifiers[name] = n
	}
	for i, rule := range rules {
		if _, ok := r.notifiers[rule.Route]; !ok {
			errs = append(errs, fmt.Errorf("route: new: rules[%d].route: no notifier %q", i, rule.Route))
		}
		if rule.Owner != "" && m != nil {
			if _, ok := m.OwnerByID(rule.Owner); !ok {
				errs = append(errs, fmt.Errorf("route: new: rules[%d].owner: %q is not an owner in the map", i, rule.Owner))
			}
		}
		if rule.MinSeverity != "" && rule.MinSeverity.rank() < 0 {
			errs = append(errs, fmt.Errorf("route: new: rules[%d].minSeverity: %q is not info, warning or critical", i, rule.MinSeverity))
		}
	}
	for _, o := range opts {
		if err := o.apply(r); err != nil {
			errs = append(errs, fmt.Errorf("route: new: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// Route returns the notifications for an event, without sending them: one
// per matching rule (the first, and those after a rule that continues),
// each for the rule's owner or the event's owner by the map. An event no
// rule matches fails with ErrNoRoute.
func (r *Router) Route(e Event) ([]Notification, error) {
	e.ID = e.key()
	var out []Notification
	for _, rule := range r.rules {
		if !rule.matches(e) {
			continue
		}
		owner, _ := r.m.OwnerByID(cmp.Or(rule.Owner, r.ownerOf(e)))
		out = append(out, Notification{Event: e, Owner: owner, Route: rule.Route})
		if !rule.Continue {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s %s", ErrNoRoute, e.Kind, e.ID)
	}
	return out, nil
}

// ownerOf returns the ID of the event's owner by the map.
func (r *Router) ownerOf(e Event) string {
	if l, ok := r.m.Control(e.Control); ok {
		return l.OwnerID()
	}
	for _, a := range r.m.Areas {
		if a.ID == e.Area && a.Owner != "" {
			return a.Owner
		}
	}
	if env, ok := r.m.Environment(e.Environment); ok && env.Owner != "" {
		return env.Owner
	}
	return r.m.Owner
}

// Notify routes the events and delivers each notification through its
// route's notifier, skipping those already delivered by this Router. It
// delivers everything it can and returns the failures joined: an
// *DeliveryError per failed delivery, ErrNoRoute per unrouted event. A
// failed delivery is tried again by the next Notify of the same event.
func (r *Router) Notify(ctx context.Context, events ...Event) error {
	var errs []error
	for _, e := range events {
		ns, err := r.Route(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, n := range ns {
			key := n.Event.ID + "\x00" + n.Route
			// Claim the delivery first, so that concurrent calls do not
			// both send it; give the claim back if it fails.
			r.mu.Lock()
			done := r.sent[key]
			r.sent[key] = true
			r.mu.Unlock()
			if done {
				continue
			}
			if err := r.notifiers[n.Route].Notify(ctx, n); err != nil {
				r.mu.Lock()
				delete(r.sent, key)
				r.mu.Unlock()
				errs = append(errs, &DeliveryError{Route: n.Route, Event: n.Event.ID, Err: err})
				r.logger.WarnContext(ctx, "route: delivery failed", "event", n.Event.ID, "route", n.Route, "error", err)
				continue
			}
			r.logger.InfoContext(ctx, "route: delivered", "event", n.Event.ID, "kind", n.Event.Kind, "route", n.Route, "owner", n.Owner.ID)
		}
	}
	return errors.Join(errs...)
}
