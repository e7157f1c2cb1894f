package cdevents

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved/metrics"
)

// MaxDocumentSize caps what Read reads: 256 MiB.
const MaxDocumentSize = 256 << 20

// Sentinel errors; check with errors.Is.
var (
	// ErrInvalidEvent: an event is malformed or lacks a field.
	ErrInvalidEvent = errors.New("cdevents: invalid event")
	// ErrUnsupportedVersion: an event's specversion is not 0.4 or 0.5.
	ErrUnsupportedVersion = errors.New("cdevents: unsupported spec version")
)

// EventError is one problem with one event of a document.
type EventError struct {
	// Event is the event's position in the document, from 0 (its line
	// minus one for one event per line).
	Event int
	// Field is the JSON path of the field, such as "context.timestamp";
	// empty when the event is not JSON.
	Field string
	// Err says what is wrong; it wraps ErrInvalidEvent or
	// ErrUnsupportedVersion.
	Err error
}

// Error formats the problem as "cdevents: event N: field: cause".
func (e *EventError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("cdevents: event %d: %v", e.Event, e.Err)
	}
	return fmt.Sprintf("cdevents: event %d: %s: %v", e.Event, e.Field, e.Err)
}

// Unwrap returns the cause.
func (e *EventError) Unwrap() error { return e.Err }

// event is the part of a CDEvent that Read uses.
type event struct {
	Context struct {
		SpecVersion string `json:"specversion"`
		ID          string `json:"id"`
		Source      string `json:"source"`
		Type        string `json:"type"`
		Timestamp   string `json:"timestamp"`
	} `json:"context"`
	Subject struct {
		ID      string `json:"id"`
		Source  string `json:"source"`
		Type    string `json:"type"`
		Content struct {
			Repository  *ref   `json:"repository"`
			Change      *ref   `json:"change"`
			Environment *ref   `json:"environment"`
			Service     *ref   `json:"service"`
			ArtifactID  string `json:"artifactId"`
		} `json:"content"`
	} `json:"subject"`
}

type ref struct {
	ID     string `json:"id"`
	Source string `json:"source"`
}

var (
	typeRE    = regexp.MustCompile(`^dev\.cdevents\.([a-z]+)\.([a-z]+)\.0\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)
	versionRE = regexp.MustCompile(`^0\.[45]\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)
)

// parsed is one checked event.
type parsed struct {
	subject, predicate string
	at                 time.Time
	ev                 *event
}

// check validates one event and returns what Read needs.
func check(n int, raw []byte) (parsed, []error) {
	var ev event
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&ev); err != nil {
		return parsed{}, []error{&EventError{Event: n, Err: fmt.Errorf("%w: %v", ErrInvalidEvent, err)}}
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &EventError{Event: n, Field: field, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidEvent}, args...)...)})
	}
	c := &ev.Context
	switch {
	case c.SpecVersion == "":
		bad("context.specversion", "required")
	case !versionRE.MatchString(c.SpecVersion):
		errs = append(errs, &EventError{Event: n, Field: "context.specversion", Err: fmt.Errorf("%w: %q (paved reads 0.4 and 0.5)", ErrUnsupportedVersion, c.SpecVersion)})
	}
	if c.ID == "" {
		bad("context.id", "required")
	}
	if c.Source == "" {
		bad("context.source", "required")
	}
	p := parsed{ev: &ev}
	if m := typeRE.FindStringSubmatch(c.Type); m == nil {
		bad("context.type", "%q is not dev.cdevents.SUBJECT.PREDICATE.0.MINOR.PATCH", c.Type)
	} else {
		p.subject, p.predicate = m[1], m[2]
	}
	t, err := time.Parse(time.RFC3339Nano, c.Timestamp)
	if err != nil {
		bad("context.timestamp", "%q is not an RFC 3339 time", c.Timestamp)
	}
	p.at = t
	s := &ev.Subject
	if s.ID == "" {
		bad("subject.id", "required")
	}
	if s.Type != "" && p.subject != "" && !strings.EqualFold(s.Type, p.subject) {
		bad("subject.type", "%q does not match the event type's subject %q", s.Type, p.subject)
	}
	needRef := func(field string, r *ref) {
		if r == nil || r.ID == "" {
			bad("subject.content."+field+".id", "required")
		}
	}
	switch p.subject + "." + p.predicate {
	case "change.merged":
		needRef("repository", s.Content.Repository)
	case "artifact.packaged":
		needRef("change", s.Content.Change)
	case "service.deployed", "service.upgraded", "service.rolledback":
		needRef("environment", s.Content.Environment)
		if s.Content.ArtifactID == "" {
			bad("subject.content.artifactId", "required")
		}
	case "incident.detected", "incident.reported", "incident.resolved":
		needRef("environment", s.Content.Environment)
		needRef("service", s.Content.Service)
	}
	return p, errs
}

// Read reads a document of CDEvents: one event, a JSON array of events, or
// one event per line. It returns the metrics events they describe, or an
// error joining an *EventError for every bad event.
func Read(r io.Reader) (metrics.Events, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return metrics.Events{}, fmt.Errorf("cdevents: read: %w", err)
	}
	if len(data) > MaxDocumentSize {
		return metrics.Events{}, fmt.Errorf("%w: document larger than %d bytes", ErrInvalidEvent, MaxDocumentSize)
	}
	raws, err := split(data)
	if err != nil {
		return metrics.Events{}, err
	}
	var errs []error
	events := make([]parsed, 0, len(raws))
	for i, raw := range raws {
		p, es := check(i, raw)
		errs = append(errs, es...)
		events = append(events, p)
	}
	if err := errors.Join(errs...); err != nil {
		return metrics.Events{}, err
	}
	return assemble(events), nil
}

// split cuts a document into events.
func split(data []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if trimmed[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, &EventError{Event: 0, Err: fmt.Errorf("%w: the array is not JSON: %v", ErrInvalidEvent, err)}
		}
		return raws, nil
	}
	// One event, or one per line: decode values one after another.
	var raws []json.RawMessage
	d := json.NewDecoder(bufio.NewReader(bytes.NewReader(trimmed)))
	for {
		var raw json.RawMessage
		err := d.Decode(&raw)
		if err == io.EOF {
			return raws, nil
		}
		if err != nil {
			return nil, &EventError{Event: len(raws), Err: fmt.Errorf("%w: %v", ErrInvalidEvent, err)}
		}
		if len(raw) == 0 || raw[0] != '{' {
			return nil, &EventError{Event: len(raws), Err: fmt.Errorf("%w: not a JSON object", ErrInvalidEvent)}
		}
		raws = append(raws, raw)
	}
}

// assemble turns checked events into metrics events.
func assemble(events []parsed) metrics.Events {
	var out metrics.Events
	changesOf := map[string][]string{}
	incidents := map[string]*metrics.Incident{}
	var order []string
	for _, p := range events {
		if p.subject == "artifact" && p.predicate == "packaged" {
			a := p.ev.Subject.ID
			if id := p.ev.Subject.Content.Change.ID; !slices.Contains(changesOf[a], id) {
				changesOf[a] = append(changesOf[a], id)
			}
		}
	}
	for _, p := range events {
		s := &p.ev.Subject
		switch p.subject + "." + p.predicate {
		case "change.merged":
			out.Changes = append(out.Changes, metrics.Change{ID: s.ID, Repository: s.Content.Repository.ID, CommittedAt: p.at, MergedAt: p.at})
		case "service.deployed", "service.upgraded", "service.rolledback":
			d := metrics.Deployment{ID: p.ev.Context.ID, Service: s.ID, Environment: s.Content.Environment.ID,
				FinishedAt: p.at, Version: s.Content.ArtifactID, Kind: metrics.KindNormal}
			if p.predicate == "rolledback" {
				d.Kind = metrics.KindRollback
			} else {
				d.Changes = slices.Clone(changesOf[s.Content.ArtifactID])
			}
			out.Deployments = append(out.Deployments, d)
		case "incident.detected", "incident.reported", "incident.resolved":
			in := incidents[s.ID]
			if in == nil {
				in = &metrics.Incident{ID: s.ID}
				incidents[s.ID] = in
				order = append(order, s.ID)
			}
			in.Service, in.Environment = s.Content.Service.ID, s.Content.Environment.ID
			if s.Content.ArtifactID != "" {
				in.Version = s.Content.ArtifactID
			}
			if p.predicate == "resolved" {
				if p.at.After(in.ResolvedAt) {
					in.ResolvedAt = p.at
				}
			} else if in.DetectedAt.IsZero() || p.at.Before(in.DetectedAt) {
				in.DetectedAt = p.at
			}
		}
	}
	for _, id := range order {
		out.Incidents = append(out.Incidents, *incidents[id])
	}
	return out
}
