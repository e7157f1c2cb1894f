package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"time"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Stage is the pipeline stage of the ledger's statements: trust rules of
// the "release" stage apply to them.
const Stage = "release"

// Labels the ledger puts on its records, for people and retention rules.
// Queries read the signed statements, never these.
const (
	LabelService     = "paved.dev/service"
	LabelVersion     = "paved.dev/version"
	LabelEnvironment = "paved.dev/environment"
)

// Sentinel errors; check with errors.Is.
var (
	// ErrInvalid: a release, deployment or query that is malformed.
	ErrInvalid = errors.New("ledger: invalid")
	// ErrUnknownRelease: no release of that service and version.
	ErrUnknownRelease = errors.New("ledger: unknown release")
	// ErrDuplicateRelease: the service already released that version.
	ErrDuplicateRelease = errors.New("ledger: release already recorded")
	// ErrReference: a release names evidence that is missing or is not
	// what it is named as.
	ErrReference = errors.New("ledger: bad reference")
	// ErrNoRollbackTarget: nothing good to roll back to.
	ErrNoRollbackTarget = errors.New("ledger: no rollback target")
	// ErrNothingDeployed: no successful deployment of the service in the
	// environment.
	ErrNothingDeployed = errors.New("ledger: nothing deployed")
	// ErrUnreadable: a record of the ledger's types whose statement
	// cannot be read (pruned, or malformed).
	ErrUnreadable = errors.New("ledger: unreadable record")
)

// FieldError is one problem with a field of a release, a deployment or a
// query.
type FieldError struct {
	// Field names the field, such as "sboms[1]".
	Field string
	// Err says what is wrong.
	Err error
}

// Error formats the problem as "ledger: invalid: field: cause".
func (e *FieldError) Error() string { return fmt.Sprintf("%v: %s: %v", ErrInvalid, e.Field, e.Err) }

// Unwrap returns ErrInvalid and the cause.
func (e *FieldError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// ReferenceError says which evidence reference of a release is bad.
type ReferenceError struct {
	// Field names the reference, such as "approvals[0]".
	Field string
	// ID is the record ID referred to.
	ID string
	// Reason says what is wrong.
	Reason string
	// Err is the cause, if any (such as evidence.ErrNotFound).
	Err error
}

// Error formats the problem as "ledger: bad reference: field id: reason".
func (e *ReferenceError) Error() string {
	msg := fmt.Sprintf("%v: %s %s: %s", ErrReference, e.Field, e.ID, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns ErrReference and the cause.
func (e *ReferenceError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrReference}
	}
	return []error{ErrReference, e.Err}
}

// RecordError says which record could not be read.
type RecordError struct {
	// ID is the record's ID.
	ID string
	// Err is the cause.
	Err error
}

// Error formats the problem as "ledger: unreadable record id: cause".
func (e *RecordError) Error() string { return fmt.Sprintf("%v %s: %v", ErrUnreadable, e.ID, e.Err) }

// Unwrap returns ErrUnreadable and the cause.
func (e *RecordError) Unwrap() []error { return []error{ErrUnreadable, e.Err} }

// Ledger records releases and deployments as signed statements in an
// evidence store and answers what shipped where. It holds no state of its
// own: every answer is read from the store. It is safe for concurrent use
// by multiple goroutines.
type Ledger struct {
	store  *evidence.Store
	signer *sign.Signer
	clock  func() time.Time
	logger *slog.Logger
}

type config struct {
	clock  func() time.Time
	logger *slog.Logger
}

// Option configures a Ledger at New.
type Option interface{ apply(*config) error }

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithClock sets the clock that stamps releases recorded without a time;
// the default is time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		c.clock = now
		return nil
	})
}

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		c.logger = l
		return nil
	})
}

// New returns a Ledger over store that signs its statements with signer
// (the store's trust policy must accept that key for the ledger's
// predicate types at Stage). It does no I/O.
func New(store *evidence.Store, signer *sign.Signer, opts ...Option) (*Ledger, error) {
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("ledger: new: nil store"))
	}
	if signer == nil {
		errs = append(errs, errors.New("ledger: new: nil signer"))
	}
	c := config{clock: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if err := o.apply(&c); err != nil {
			errs = append(errs, fmt.Errorf("ledger: new: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Ledger{store: store, signer: signer, clock: c.clock, logger: c.logger}, nil
}

// append signs a statement and appends it.
func (l *Ledger) append(ctx context.Context, p attest.Predicate, subjects []supplychain.Subject, labels map[string]string) (evidence.Record, error) {
	st, err := attest.Build(p, subjects...)
	if err != nil {
		return evidence.Record{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	env, err := sign.Sign(ctx, l.signer, st)
	if err != nil {
		return evidence.Record{}, err
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return evidence.Record{}, err
	}
	recs, err := l.store.Append(ctx, evidence.Entry{Envelope: raw, Stage: Stage, Labels: labels})
	if err != nil {
		return evidence.Record{}, err
	}
	return recs[0], nil
}

// RecordSBOM stores an SBOM (CycloneDX or SPDX JSON, see sbom.Predicate)
// as a signed statement about the artifacts, for a release to refer to,
// and returns its record.
func (l *Ledger) RecordSBOM(ctx context.Context, doc []byte, artifacts ...supplychain.Subject) (evidence.Record, error) {
	p, err := sbom.Predicate(doc)
	if err != nil {
		return evidence.Record{}, err
	}
	return l.append(ctx, p, artifacts, nil)
}

// RecordRelease signs and stores a release. It checks, failing closed,
// that the release is valid and has artifacts; that the service has not
// released the version before; and that every reference is a record in
// the store of the right type about one of the release's artifacts: SBOMs
// (CycloneDX or SPDX), SLSA provenance, and approvals that approve the
// release ("approved", change ID Release.ID()). A zero ReleasedAt is the
// clock's time. It returns the release with its RecordID.
func (l *Ledger) RecordRelease(ctx context.Context, r Release) (Release, error) {
	if r.ReleasedAt.IsZero() {
		r.ReleasedAt = l.clock()
	}
	r.ReleasedAt = r.ReleasedAt.UTC()
	var errs []error
	if err := r.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(r.Artifacts) == 0 {
		errs = append(errs, &FieldError{Field: "artifacts", Err: errors.New("required")})
	}
	for i, a := range r.Artifacts {
		if err := a.Validate(); err != nil {
			errs = append(errs, &FieldError{Field: fmt.Sprintf("artifacts[%d]", i), Err: err})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Release{}, err
	}
	if _, err := l.Release(ctx, r.Service, r.Version); err == nil {
		return Release{}, fmt.Errorf("%w: %s", ErrDuplicateRelease, r.ID())
	} else if !errors.Is(err, ErrUnknownRelease) {
		return Release{}, err
	}
	if err := l.checkReferences(ctx, r); err != nil {
		return Release{}, err
	}
	rec, err := l.append(ctx, r, r.Artifacts, map[string]string{LabelService: r.Service, LabelVersion: r.Version})
	if err != nil {
		return Release{}, err
	}
	r.RecordID = rec.ID
	l.logger.InfoContext(ctx, "ledger: release recorded", "service", r.Service, "version", r.Version, "record", rec.ID)
	return r, nil
}

// checkReferences checks every evidence reference of a release.
func (l *Ledger) checkReferences(ctx context.Context, r Release) error {
	var errs []error
	check := func(field, id string, types []string, what string, extra func(*attest.Statement) string) {
		rec, err := l.store.Get(ctx, id)
		if err != nil {
			errs = append(errs, &ReferenceError{Field: field, ID: id, Reason: "not in the store", Err: err})
			return
		}
		if !slices.Contains(types, rec.PredicateType) {
			errs = append(errs, &ReferenceError{Field: field, ID: id, Reason: fmt.Sprintf("a %s record, not %s", rec.PredicateType, what)})
			return
		}
		st, err := statement(rec)
		if err != nil {
			errs = append(errs, &ReferenceError{Field: field, ID: id, Reason: "unreadable", Err: err})
			return
		}
		if !aboutAny(st, r.Artifacts) {
			errs = append(errs, &ReferenceError{Field: field, ID: id, Reason: "about none of the release's artifacts"})
			return
		}
		if extra != nil {
			if reason := extra(st); reason != "" {
				errs = append(errs, &ReferenceError{Field: field, ID: id, Reason: reason})
			}
		}
	}
	for i, id := range r.SBOMs {
		check(fmt.Sprintf("sboms[%d]", i), id, []string{sbom.PredicateCycloneDX, sbom.PredicateSPDX}, "an SBOM", nil)
	}
	for i, id := range r.Provenance {
		check(fmt.Sprintf("provenance[%d]", i), id, []string{attest.PredicateSLSAProvenance}, "SLSA provenance", nil)
	}
	for i, id := range r.Approvals {
		check(fmt.Sprintf("approvals[%d]", i), id, []string{attest.PredicateApproval}, "an approval", func(st *attest.Statement) string {
			var a attest.Approval
			if err := st.Decode(&a); err != nil {
				return err.Error()
			}
			if a.Decision != "approved" {
				return fmt.Sprintf("decision %q by %s", a.Decision, a.Approver)
			}
			if a.ChangeID != r.ID() {
				return fmt.Sprintf("approves %q, not %q", a.ChangeID, r.ID())
			}
			return ""
		})
	}
	return errors.Join(errs...)
}

// aboutAny reports whether the statement is about one of the artifacts.
func aboutAny(st *attest.Statement, artifacts []supplychain.Subject) bool {
	for _, a := range artifacts {
		if st.About(a.Digest) {
			return true
		}
	}
	return false
}

// RecordDeployment signs and stores a deployment of a recorded release
// (d.Service at d.Version, else ErrUnknownRelease); its subjects are the
// release's artifacts. It returns the deployment's record.
func (l *Ledger) RecordDeployment(ctx context.Context, d attest.Deployment) (evidence.Record, error) {
	d.StartedAt, d.FinishedAt = d.StartedAt.UTC(), d.FinishedAt.UTC()
	if err := d.Validate(); err != nil {
		return evidence.Record{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	rel, err := l.Release(ctx, d.Service, d.Version)
	if err != nil {
		return evidence.Record{}, err
	}
	rec, err := l.append(ctx, d, rel.Artifacts, map[string]string{LabelService: d.Service, LabelVersion: d.Version, LabelEnvironment: d.Environment})
	if err != nil {
		return evidence.Record{}, err
	}
	l.logger.InfoContext(ctx, "ledger: deployment recorded", "service", d.Service, "version", d.Version, "environment", d.Environment, "outcome", d.Outcome, "record", rec.ID)
	return rec, nil
}

// statement reads a record's statement from its envelope. The store
// verified the envelope when it appended it.
func statement(rec evidence.Record) (*attest.Statement, error) {
	if rec.Envelope == nil {
		return nil, errors.New("no envelope (pruned)")
	}
	env, err := sign.ParseEnvelope(rec.Envelope)
	if err != nil {
		return nil, err
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, err
	}
	return attest.Parse(payload)
}

// records yields every record of a predicate type, envelopes included,
// oldest first.
func (l *Ledger) records(ctx context.Context, predicateType string) iter.Seq2[evidence.Record, error] {
	return l.store.QueryAll(ctx, evidence.Query{PredicateType: predicateType, WithEnvelopes: true, Limit: 1000})
}

// releases returns every release in the store (of one service, unless
// service is empty), oldest first, and the records it could not read.
func (l *Ledger) releases(ctx context.Context, service string) ([]Release, []error, error) {
	var (
		out      []Release
		problems []error
	)
	for rec, err := range l.records(ctx, PredicateRelease) {
		if err != nil {
			return nil, nil, err
		}
		st, err := statement(rec)
		var r Release
		if err == nil {
			err = st.Decode(&r)
		}
		if err != nil {
			problems = append(problems, &RecordError{ID: rec.ID, Err: err})
			continue
		}
		if service != "" && r.Service != service {
			continue
		}
		r.Artifacts, r.RecordID = st.Subjects(), rec.ID
		out = append(out, r)
	}
	return out, problems, nil
}

// Release returns the release of service at version, or ErrUnknownRelease.
func (l *Ledger) Release(ctx context.Context, service, version string) (Release, error) {
	rels, _, err := l.releases(ctx, service)
	if err != nil {
		return Release{}, err
	}
	for _, r := range rels {
		if r.Version == version {
			return r, nil
		}
	}
	return Release{}, fmt.Errorf("%w: %s@%s", ErrUnknownRelease, service, version)
}
