package evidence

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Sentinel errors; check with errors.Is.
var (
	// ErrNotFound: no record (or node) with that ID.
	ErrNotFound = errors.New("evidence: not found")
	// ErrClosed: the store has been closed.
	ErrClosed = errors.New("evidence: store closed")
	// ErrInvalidQuery: a query with a malformed or out-of-range field.
	ErrInvalidQuery = errors.New("evidence: invalid query")
	// ErrInvalidEntry: an entry that cannot be appended: not a DSSE
	// envelope, too large, or failing verification.
	ErrInvalidEntry = errors.New("evidence: invalid entry")
	// ErrTampered: Audit found the log altered.
	ErrTampered = errors.New("evidence: log tampered")
	// ErrInvalidProof: a proof or checkpoint that does not verify.
	ErrInvalidProof = errors.New("evidence: invalid proof")
)

// Record is one entry of the evidence log: a signed envelope, what it says
// and where it stands in the log.
type Record struct {
	// ID is "sha256:<hex>" of the envelope's exact bytes; appending the
	// same bytes again yields the same record.
	ID string
	// Index is the record's position in the log, from 0.
	Index uint64
	// LeafHash is the RFC 6962 leaf hash of the record's content (see
	// Record.LeafData): what the Merkle tree commits to.
	LeafHash []byte
	// Envelope is the DSSE envelope's exact JSON bytes. Queries leave it
	// nil unless asked for envelopes; Get always fills it.
	Envelope []byte
	// EnvelopeSize is the envelope's length in bytes.
	EnvelopeSize int64
	// PredicateType and Subjects come from the envelope's statement.
	PredicateType string
	Subjects      []supplychain.Subject
	// Stage is the pipeline stage that produced the evidence, if any.
	Stage string
	// Labels are the caller's key-value tags, for queries and retention.
	Labels map[string]string
	// Signers are the identities whose signatures verified when the
	// envelope was appended (empty when appended without verification).
	Signers []sign.Identity
	// RecordedAt is when the store appended the record, in UTC at
	// microsecond precision.
	RecordedAt time.Time
	// PrunedAt, zero unless the record was pruned, is when retention
	// dropped its envelope (see Store.Prune); Envelope is then always nil.
	// It is not part of the leaf: the log verifies before and after.
	PrunedAt time.Time `json:",omitzero"`
}

// About reports whether one of the record's subjects is the artifact with
// these digests (they share an algorithm and agree on every shared one).
func (r Record) About(digest supplychain.DigestSet) bool {
	for _, s := range r.Subjects {
		if s.Digest.Matches(digest) {
			return true
		}
	}
	return false
}

// Cursor returns the cursor that continues a query after this record.
func (r Record) Cursor() string { return strconv.FormatUint(r.Index, 10) }

// Query selects records. Every set field must match; the zero Query
// matches everything.
type Query struct {
	// SubjectDigest matches records with a subject of this digest,
	// "sha256:<hex>" or "sha512:<hex>".
	SubjectDigest string
	// SubjectName matches records with a subject of this name.
	SubjectName string
	// PredicateType matches the statement's predicate type exactly.
	PredicateType string
	// Stage matches the record's stage.
	Stage string
	// Labels match records that carry every one of these labels.
	Labels map[string]string
	// Signer matches records signed by the key with this ID.
	Signer string
	// Since and Until bound RecordedAt: Since <= RecordedAt < Until; zero
	// means unbounded.
	Since, Until time.Time
	// Descending returns the newest records first.
	Descending bool
	// Limit caps the records returned: 1 to MaxQueryLimit; zero means
	// DefaultQueryLimit.
	Limit int
	// After continues from a record's Cursor.
	After string
	// WithEnvelopes loads each record's envelope.
	WithEnvelopes bool
}

// Query limits.
const (
	DefaultQueryLimit = 100
	MaxQueryLimit     = 10000
)

// AfterIndex returns the index that After names, and whether it names one.
// It is valid only on a query the Store has checked.
func (q Query) AfterIndex() (uint64, bool) {
	if q.After == "" {
		return 0, false
	}
	i, err := strconv.ParseUint(q.After, 10, 64)
	return i, err == nil
}

// check validates q and fills its defaults.
func (q Query) check() (Query, error) {
	bad := func(field, format string, args ...any) (Query, error) {
		return q, fmt.Errorf("%w: %s: %s", ErrInvalidQuery, field, fmt.Sprintf(format, args...))
	}
	if q.SubjectDigest != "" {
		if _, err := supplychain.ParseDigest(q.SubjectDigest); err != nil {
			return bad("SubjectDigest", "%v", err)
		}
	}
	switch {
	case q.Limit < 0 || q.Limit > MaxQueryLimit:
		return bad("Limit", "%d is not between 1 and %d", q.Limit, MaxQueryLimit)
	case q.Limit == 0:
		q.Limit = DefaultQueryLimit
	}
	if q.After != "" {
		if _, err := strconv.ParseUint(q.After, 10, 64); err != nil {
			return bad("After", "%q is not a cursor", q.After)
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return bad("Until", "not after Since")
	}
	for k := range q.Labels {
		if k == "" {
			return bad("Labels", "empty label name")
		}
	}
	return q, nil
}

// Checkpoint is a signed statement of the log's size and root hash, in the
// signed-note format of golang.org/x/mod/sumdb/note.
type Checkpoint struct {
	// Origin names the log: the first line of the note's text.
	Origin string
	// Size is the number of records the root covers.
	Size uint64
	// Root is the RFC 6962 root hash of the first Size records.
	Root []byte
	// Note is the signed note: text and signature lines, as published.
	Note []byte
}
