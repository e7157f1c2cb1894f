package evidencelog

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/metrics"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Events are the metrics events read from an evidence log, with where
// each came from.
type Events struct {
	metrics.Events
	// Origins name the log record of each event, in the order read.
	Origins []Origin
	// Pruned lists the records of the three predicate types whose
	// envelopes retention dropped: their events are missing.
	Pruned []evidence.Record

	open map[string]int // index in Incidents of each incident still open
}

// resolves reports whether next, a later record of the open incident
// prev, records its resolution: the same incident, now resolved, perhaps
// linked to its deployment by then. An incident is recorded when it opens
// and again when it is resolved; the later record supersedes the earlier
// one. Any other difference is a conflict for metrics to report.
func resolves(prev, next metrics.Incident) bool {
	return prev.ResolvedAt.IsZero() && !next.ResolvedAt.IsZero() && prev.Service == next.Service &&
		prev.Environment == next.Environment && prev.DetectedAt.Equal(next.DetectedAt) &&
		(prev.CausedBy == "" || prev.CausedBy == next.CausedBy)
}

// Origin ties an event to the log record it was read from.
type Origin struct {
	// Record and ID name the event.
	Record metrics.Record
	ID     string
	// RecordID and Index name the log record ("sha256:<hex>", position).
	RecordID string
	Index    uint64
}

// RecordError says why a log record could not be read.
type RecordError struct {
	// RecordID and Index name the record.
	RecordID string
	Index    uint64
	// Err is the cause.
	Err error
}

// Error formats the error as "evidencelog: record N (id): cause".
func (e *RecordError) Error() string {
	return fmt.Sprintf("evidencelog: record %d (%s): %v", e.Index, e.RecordID, e.Err)
}

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }

type config struct {
	signer string
	labels map[string]string
}

// Option narrows what Read reads.
type Option interface{ apply(*config) error }

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithSigner reads only records signed by the key with this ID; the
// default is every record the store accepted under its trust policy.
func WithSigner(keyID string) Option {
	return optionFunc(func(c *config) error {
		if keyID == "" {
			return errors.New("WithSigner: empty key ID")
		}
		c.signer = keyID
		return nil
	})
}

// WithLabels reads only records carrying all these labels (a team's, say);
// the default is every record.
func WithLabels(labels map[string]string) Option {
	return optionFunc(func(c *config) error {
		if len(labels) == 0 {
			return errors.New("WithLabels: no labels")
		}
		c.labels = maps.Clone(labels)
		return nil
	})
}

// Read reads the deployment, incident and change records of s, in log
// order; an incident recorded open and later resolved is one event, as of
// its resolution. It fails on an invalid option, a store error, or a
// record that does not decode (an error joining a *RecordError for each).
func Read(ctx context.Context, s *evidence.Store, opts ...Option) (*Events, error) {
	var cfg config
	var errs []error
	for _, o := range opts {
		if err := o.apply(&cfg); err != nil {
			errs = append(errs, fmt.Errorf("evidencelog: read: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := &Events{}
	for _, typ := range []string{attest.PredicateChange, attest.PredicateDeployment, attest.PredicateIncident} {
		q := evidence.Query{PredicateType: typ, Signer: cfg.signer, Labels: cfg.labels, Limit: evidence.MaxQueryLimit, WithEnvelopes: true}
		for rec, err := range s.QueryAll(ctx, q) {
			if err != nil {
				return nil, fmt.Errorf("evidencelog: read: %w", err)
			}
			if !rec.PrunedAt.IsZero() {
				out.Pruned = append(out.Pruned, rec)
				continue
			}
			if err := out.add(rec); err != nil {
				errs = append(errs, &RecordError{RecordID: rec.ID, Index: rec.Index, Err: err})
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// add decodes one record into its event.
func (e *Events) add(rec evidence.Record) error {
	env, err := sign.ParseEnvelope(rec.Envelope)
	if err != nil {
		return err
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return fmt.Errorf("envelope payload: %w", err)
	}
	st, err := attest.Parse(payload)
	if err != nil {
		return err
	}
	origin := Origin{RecordID: rec.ID, Index: rec.Index}
	switch st.PredicateType() {
	case attest.PredicateDeployment:
		var d attest.Deployment
		if err := st.Decode(&d); err != nil {
			return err
		}
		e.Deployments = append(e.Deployments, metrics.Deployment{
			ID: d.ID, Service: d.Service, Environment: d.Environment, StartedAt: d.StartedAt, FinishedAt: d.FinishedAt,
			Outcome: metrics.Outcome(d.Outcome), Version: d.Version, Changes: d.Changes, Previous: d.Previous, Kind: metrics.Kind(d.Kind),
		})
		origin.Record, origin.ID = metrics.RecordDeployment, d.ID
	case attest.PredicateIncident:
		var in attest.Incident
		if err := st.Decode(&in); err != nil {
			return err
		}
		m := metrics.Incident{ID: in.ID, Service: in.Service, Environment: in.Environment, DetectedAt: in.DetectedAt, CausedBy: in.CausedBy}
		if in.ResolvedAt != nil {
			m.ResolvedAt = *in.ResolvedAt
		}
		if i, ok := e.open[in.ID]; ok && resolves(e.Incidents[i], m) {
			e.Incidents[i] = m
			delete(e.open, in.ID)
		} else {
			if m.ResolvedAt.IsZero() {
				if e.open == nil {
					e.open = map[string]int{}
				}
				e.open[in.ID] = len(e.Incidents)
			}
			e.Incidents = append(e.Incidents, m)
		}
		origin.Record, origin.ID = metrics.RecordIncident, in.ID
	case attest.PredicateChange:
		var c attest.Change
		if err := st.Decode(&c); err != nil {
			return err
		}
		e.Changes = append(e.Changes, metrics.Change{ID: c.ID, Repository: c.Repository, Commit: c.Commit, PRCreatedAt: c.CreatedAt})
		origin.Record, origin.ID = metrics.RecordChange, c.ID
	default:
		return fmt.Errorf("predicate type %s is none of deployment, incident, change", st.PredicateType())
	}
	e.Origins = append(e.Origins, origin)
	return nil
}
