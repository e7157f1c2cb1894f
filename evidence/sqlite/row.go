package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/paved-dev/paved/evidence"
)

// recordColumns are the columns a record is read from, in scanRecord's
// order; the envelope follows them in every query.
const recordColumns = `r.idx, r.id, r.leaf_hash, r.envelope_size, r.predicate_type, r.stage, r.recorded_at, r.subjects, r.labels, r.signers, r.pruned_at`

// row is a record's column values that need encoding.
type row struct {
	recordedAtMicros int64
	// subjects, labels and signers are JSON text, or nil (NULL) when the
	// record has none.
	subjects, labels, signers any
}

// encode checks a record and encodes its columns. JSON cannot carry
// invalid UTF-8 (encoding/json would replace it, and the record would not
// read back as written), so such text is refused.
func encode(r evidence.Record) (row, error) {
	if r.ID == "" {
		return row{}, fmt.Errorf("%w: empty ID", evidence.ErrInvalidEntry)
	}
	if err := checkText(r); err != nil {
		return row{}, err
	}
	w := row{recordedAtMicros: r.RecordedAt.UnixMicro()}
	var err error
	if len(r.Subjects) > 0 {
		if w.subjects, err = marshal(r.Subjects); err != nil {
			return row{}, err
		}
	}
	if len(r.Labels) > 0 {
		if w.labels, err = marshal(r.Labels); err != nil {
			return row{}, err
		}
	}
	if len(r.Signers) > 0 {
		if w.signers, err = marshal(r.Signers); err != nil {
			return row{}, err
		}
	}
	return w, nil
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("%w: %v", evidence.ErrInvalidEntry, err)
	}
	return string(b), nil
}

// checkFresh checks what a record that is about to be stored needs beyond
// what encode checked.
func (w row) checkFresh(r evidence.Record) error {
	if len(r.Envelope) == 0 {
		return fmt.Errorf("%w: no envelope", evidence.ErrInvalidEntry)
	}
	return nil
}

// recordedAt is the record's time as it reads back.
func (w row) recordedAt() time.Time { return time.UnixMicro(w.recordedAtMicros).UTC() }

// checkText checks that the text stored as JSON is valid UTF-8.
func checkText(r evidence.Record) error {
	bad := func(field, s string) error {
		if utf8.ValidString(s) {
			return nil
		}
		return fmt.Errorf("%w: %s %q is not valid UTF-8", evidence.ErrInvalidEntry, field, s)
	}
	var errs []error
	for _, s := range r.Subjects {
		errs = append(errs, bad("subject name", s.Name), bad("subject URI", s.URI), bad("subject PURL", s.PURL))
		for alg, hex := range s.Digest {
			errs = append(errs, bad("digest algorithm", alg), bad("digest", hex))
		}
	}
	for k, v := range r.Labels {
		errs = append(errs, bad("label name", k), bad("label value", v))
	}
	for _, s := range r.Signers {
		errs = append(errs, bad("signer key ID", s.KeyID), bad("signer name", s.Name),
			bad("signer subject", s.Subject), bad("signer issuer", s.Issuer))
	}
	return errors.Join(errs...)
}

// normalize returns r as it reads back: its time at microsecond precision
// in UTC, and nil for empty slices and maps.
func normalize(r evidence.Record, at time.Time) evidence.Record {
	r.RecordedAt = at
	if len(r.LeafHash) == 0 {
		r.LeafHash = nil
	}
	if len(r.Subjects) == 0 {
		r.Subjects = nil
	}
	if len(r.Labels) == 0 {
		r.Labels = nil
	}
	if len(r.Signers) == 0 {
		r.Signers = nil
	}
	return r
}

// stripped returns r without its envelope.
func stripped(r evidence.Record) evidence.Record {
	r.Envelope = nil
	return r
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanRecord reads recordColumns and an envelope (possibly NULL).
func scanRecord(s scanner) (evidence.Record, error) {
	var (
		r                         evidence.Record
		idx, at                   int64
		subjects, labels, signers []byte
		pruned                    sql.NullInt64
	)
	if err := s.Scan(&idx, &r.ID, &r.LeafHash, &r.EnvelopeSize, &r.PredicateType, &r.Stage, &at,
		&subjects, &labels, &signers, &pruned, &r.Envelope); err != nil {
		return evidence.Record{}, err
	}
	if pruned.Valid {
		r.PrunedAt = time.UnixMicro(pruned.Int64).UTC()
		r.Envelope = nil
	}
	if idx < 0 {
		return evidence.Record{}, fmt.Errorf("record %s: negative index %d", r.ID, idx)
	}
	r.Index = uint64(idx)
	r.RecordedAt = time.UnixMicro(at).UTC()
	if len(r.LeafHash) == 0 {
		r.LeafHash = nil
	}
	if subjects != nil {
		v, err := decodeSubjects(subjects)
		if err != nil {
			return evidence.Record{}, fmt.Errorf("record %s: subjects: %w", r.ID, err)
		}
		if len(v) > 0 {
			r.Subjects = v
		}
	}
	if labels != nil {
		v, err := decodeLabels(labels)
		if err != nil {
			return evidence.Record{}, fmt.Errorf("record %s: labels: %w", r.ID, err)
		}
		if len(v) > 0 {
			r.Labels = v
		}
	}
	if signers != nil {
		v, err := decodeSigners(signers)
		if err != nil {
			return evidence.Record{}, fmt.Errorf("record %s: signers: %w", r.ID, err)
		}
		if len(v) > 0 {
			r.Signers = v
		}
	}
	return r, nil
}
