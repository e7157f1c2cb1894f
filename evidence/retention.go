package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Pruner is implemented by a Backend that can drop envelopes for
// retention. evidence/sqlite and evidence/postgres implement it.
type Pruner interface {
	// Prune drops the envelopes of the records with the given IDs and
	// marks the records pruned at the given time, in one transaction.
	// Records, leaf hashes and tree nodes stay, so the log still
	// verifies. IDs that are unknown or already pruned are skipped; it
	// returns how many records it pruned.
	Prune(ctx context.Context, ids []string, at time.Time) (int, error)
}

// pruned reports whether retention dropped the record's envelope.
func (r Record) pruned() bool { return !r.PrunedAt.IsZero() && r.Envelope == nil }

// ErrInvalidRetention: a retention policy that cannot be applied.
var ErrInvalidRetention = errors.New("evidence: invalid retention policy")

// ErrPruneUnsupported: the store's backend does not implement Pruner.
var ErrPruneUnsupported = errors.New("evidence: backend cannot prune")

// Retention is a retention policy: how long records keep their envelopes.
type Retention struct {
	// Rules say how long records of each predicate type are kept. A rule
	// without a predicate type applies to every type no other rule
	// names; a record no rule applies to is kept forever.
	Rules []RetentionRule
	// Holds keep every record carrying one of their labels, whatever its
	// age (a legal hold).
	Holds []attest.LegalHold
}

// RetentionRule keeps the records of one predicate type (or, with an empty
// PredicateType, of every type no other rule names) for MaxAge after they
// were recorded; a zero MaxAge keeps them forever.
type RetentionRule struct {
	PredicateType string
	MaxAge        time.Duration
}

// check validates the policy: non-negative ages, one rule per predicate
// type, a label in every hold.
func (r Retention) check() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidRetention, field, fmt.Sprintf(format, args...)))
	}
	if len(r.Rules) == 0 {
		bad("Rules", "no rules")
	}
	seen := map[string]int{}
	for i, rule := range r.Rules {
		if rule.MaxAge < 0 {
			bad(fmt.Sprintf("Rules[%d].MaxAge", i), "negative (%v)", rule.MaxAge)
		}
		if rule.PredicateType == attest.PredicatePrune {
			bad(fmt.Sprintf("Rules[%d].PredicateType", i), "prune records are kept forever")
		}
		if j, dup := seen[rule.PredicateType]; dup {
			bad(fmt.Sprintf("Rules[%d].PredicateType", i), "%q already has rule %d", rule.PredicateType, j)
		}
		seen[rule.PredicateType] = i
	}
	for i, h := range r.Holds {
		if h.Label == "" {
			bad(fmt.Sprintf("Holds[%d].Label", i), "empty")
		}
	}
	return errors.Join(errs...)
}

// holds reports whether a legal hold covers a record with these labels.
func (r Retention) holds(labels map[string]string) bool {
	for _, h := range r.Holds {
		if v, ok := labels[h.Label]; ok && (h.Value == "" || h.Value == v) {
			return true
		}
	}
	return false
}

// predicate describes the policy as the prune record states it.
func (r Retention) predicate(origin string, at time.Time) attest.Prune {
	p := attest.Prune{Origin: origin, Holds: r.Holds, PrunedAt: at}
	for _, rule := range r.Rules {
		p.Rules = append(p.Rules, attest.RetentionRule{PredicateType: rule.PredicateType, MaxAge: rule.MaxAge.String()})
	}
	return p
}

// PruneReport says what Prune did.
type PruneReport struct {
	// Pruned lists the IDs of the records whose envelopes were dropped.
	Pruned []string
	// Held counts the records old enough to prune that a legal hold kept.
	Held int
	// PruneRecords are the records of the prunes, in the log: one per
	// batch of at most MaxPruneBatch records.
	PruneRecords []Record
}

// MaxPruneBatch is the most records one prune record lists.
const MaxPruneBatch = 1000

// Prune applies a retention policy: the records older than their rule's
// MaxAge (by RecordedAt, against the store's clock), not under a legal
// hold and not prune records themselves, lose their envelopes; their
// records and leaf hashes stay, so the log, its proofs and Audit still
// verify. Each batch of pruned records is first recorded in the log as a
// statement of paved's prune predicate, signed by signer (whose key the
// store's trust policy must accept for that predicate type), whose
// subjects are the records; only then are the envelopes dropped. Audit
// reports any record whose envelope is missing without such a prune
// record. The backend must implement Pruner.
func (s *Store) Prune(ctx context.Context, r Retention, signer *sign.Signer) (*PruneReport, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	pruner, ok := s.backend.(Pruner)
	if !ok {
		return nil, ErrPruneUnsupported
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	if signer == nil {
		return nil, fmt.Errorf("%w: no signer for the prune records", ErrInvalidRetention)
	}
	now := s.cfg.clock().UTC().Truncate(time.Microsecond)
	named := map[string]bool{}
	for _, rule := range r.Rules {
		named[rule.PredicateType] = true
	}
	report := &PruneReport{}
	for _, rule := range r.Rules {
		if rule.MaxAge == 0 {
			continue
		}
		q := Query{PredicateType: rule.PredicateType, Until: now.Add(-rule.MaxAge), Limit: MaxPruneBatch}
		for {
			var batch []Record
			n := 0
			for rec, err := range s.Query(ctx, q) {
				if err != nil {
					return report, fmt.Errorf("evidence: prune: %w", err)
				}
				n++
				q.After = rec.Cursor()
				switch {
				case !rec.PrunedAt.IsZero(), rec.PredicateType == attest.PredicatePrune:
				case rule.PredicateType == "" && named[rec.PredicateType]:
				case r.holds(rec.Labels):
					report.Held++
				default:
					batch = append(batch, rec)
				}
			}
			if len(batch) > 0 {
				if err := s.prune(ctx, pruner, r, signer, now, batch, report); err != nil {
					return report, err
				}
			}
			if n < q.Limit {
				break
			}
		}
	}
	return report, nil
}

// prune records one batch as a prune statement, then drops its envelopes.
func (s *Store) prune(ctx context.Context, pruner Pruner, r Retention, signer *sign.Signer, now time.Time, batch []Record, report *PruneReport) error {
	subjects := make([]supplychain.Subject, len(batch))
	ids := make([]string, len(batch))
	for i, rec := range batch {
		subjects[i] = supplychain.Subject{Name: "record:" + strconv.FormatUint(rec.Index, 10),
			Digest: supplychain.DigestSet{"sha256": strings.TrimPrefix(rec.ID, "sha256:")}}
		ids[i] = rec.ID
	}
	st, err := attest.Build(r.predicate(s.cfg.origin, now), subjects...)
	if err != nil {
		return fmt.Errorf("evidence: prune: %w", err)
	}
	env, err := sign.Sign(ctx, signer, st)
	if err != nil {
		return fmt.Errorf("evidence: prune: %w", err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("evidence: prune: %w", err)
	}
	recs, err := s.Append(ctx, Entry{Envelope: b})
	if err != nil {
		return fmt.Errorf("evidence: prune: recording the prune: %w", err)
	}
	if _, err := pruner.Prune(ctx, ids, now); err != nil {
		return fmt.Errorf("evidence: prune: %w", err)
	}
	report.PruneRecords = append(report.PruneRecords, recs[0])
	report.Pruned = append(report.Pruned, ids...)
	s.cfg.logger.LogAttrs(ctx, slog.LevelInfo, "evidence: pruned envelopes",
		slog.Int("records", len(ids)), slog.String("prune_record", recs[0].ID))
	return nil
}
