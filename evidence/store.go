package evidence

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// DefaultMaxEnvelopeSize caps an appended envelope unless WithMaxEnvelopeSize
// says otherwise: 96 MiB, sign.MaxEnvelopeSize, room for the SBOM of a very
// large build.
const DefaultMaxEnvelopeSize = sign.MaxEnvelopeSize

// Store is the evidence log: it verifies signed envelopes, appends them to
// a Backend as records of an RFC 6962 Merkle tree, answers queries, signs
// checkpoints and proves inclusion and consistency. It is safe for
// concurrent use by multiple goroutines, and several Stores (in several
// processes) may share one Backend that supports it.
type Store struct {
	backend Backend
	cfg     config
	closed  atomic.Bool
}

type config struct {
	trust       *sign.Trust
	unverified  bool
	signer      note.Signer
	verifier    note.Verifier
	origin      string
	clock       func() time.Time
	logger      *slog.Logger
	maxEnvelope int
}

// Option configures a Store at Open.
type Option interface{ apply(*config) error }

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithTrust verifies every appended envelope against t (required unless
// WithoutVerificationUnsafe).
func WithTrust(t *sign.Trust) Option {
	return optionFunc(func(c *config) error {
		if t == nil {
			return errors.New("WithTrust: nil trust policy")
		}
		c.trust = t
		return nil
	})
}

// WithoutVerificationUnsafe appends envelopes without verifying their
// signatures: records carry no signers. For importing evidence that was
// verified elsewhere; never the default.
func WithoutVerificationUnsafe() Option {
	return optionFunc(func(c *config) error { c.unverified = true; return nil })
}

// WithCheckpointKey signs checkpoints with a note signing key (see
// golang.org/x/mod/sumdb/note.GenerateKey); its name is the log's origin.
// Without it Checkpoint fails.
func WithCheckpointKey(skey string) Option {
	return optionFunc(func(c *config) error {
		s, err := note.NewSigner(skey)
		if err != nil {
			return fmt.Errorf("WithCheckpointKey: %w", err)
		}
		vkey, err := verifierKey(skey)
		if err != nil {
			return fmt.Errorf("WithCheckpointKey: %w", err)
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return fmt.Errorf("WithCheckpointKey: %w", err)
		}
		c.signer = s
		if c.verifier == nil {
			c.verifier = v
		}
		return nil
	})
}

// WithCheckpointVerifier checks stored checkpoints' signatures in Audit
// with a note verifier key; the default, with WithCheckpointKey, is that
// key's own public half.
func WithCheckpointVerifier(vkey string) Option {
	return optionFunc(func(c *config) error {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return fmt.Errorf("WithCheckpointVerifier: %w", err)
		}
		c.verifier = v
		return nil
	})
}

// WithClock sets the clock that stamps records and judges key validity.
// The default is time.Now.
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

// WithMaxEnvelopeSize caps appended envelopes at n bytes (at most the
// default, DefaultMaxEnvelopeSize).
func WithMaxEnvelopeSize(n int) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 || n > DefaultMaxEnvelopeSize {
			return fmt.Errorf("WithMaxEnvelopeSize: %d is not between 1 and %d", n, DefaultMaxEnvelopeSize)
		}
		c.maxEnvelope = n
		return nil
	})
}

// Open returns a Store over backend. It does no I/O. The store verifies
// appended envelopes: WithTrust is required, unless
// WithoutVerificationUnsafe says otherwise; giving both is an error.
func Open(ctx context.Context, backend Backend, opts ...Option) (*Store, error) {
	if backend == nil {
		return nil, errors.New("evidence: open: nil backend")
	}
	cfg := config{clock: time.Now, logger: slog.New(slog.DiscardHandler), maxEnvelope: DefaultMaxEnvelopeSize}
	var errs []error
	for _, o := range opts {
		if err := o.apply(&cfg); err != nil {
			errs = append(errs, fmt.Errorf("evidence: open: %w", err))
		}
	}
	switch {
	case cfg.trust != nil && cfg.unverified:
		errs = append(errs, errors.New("evidence: open: WithTrust and WithoutVerificationUnsafe conflict"))
	case cfg.trust == nil && !cfg.unverified:
		errs = append(errs, errors.New("evidence: open: a store verifies what it appends: give WithTrust (or, to skip verification, WithoutVerificationUnsafe)"))
	}
	switch {
	case cfg.signer != nil:
		cfg.origin = cfg.signer.Name()
	case cfg.verifier != nil:
		cfg.origin = cfg.verifier.Name()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Store{backend: backend, cfg: cfg}, nil
}

// verifierKey derives the note verifier key of an Ed25519 note signer key
// ("PRIVATE+KEY+name+hash+base64(0x01 || seed)").
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("malformed signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("not an Ed25519 note signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// Entry is one envelope to append, with where it comes from.
type Entry struct {
	// Envelope is a DSSE envelope's exact JSON bytes.
	Envelope []byte
	// Stage is the pipeline stage that produced it; trust rules of that
	// stage apply.
	Stage string
	// Labels tag the record for queries and retention.
	Labels map[string]string
}

// EntryError says why one entry of a batch was rejected.
type EntryError struct {
	// Entry is the entry's position in the batch.
	Entry int
	// Err is the cause; it wraps ErrInvalidEntry.
	Err error
}

// Error formats the rejection as "evidence: entry N: cause".
func (e *EntryError) Error() string { return fmt.Sprintf("evidence: entry %d: %v", e.Entry, e.Err) }

// Unwrap returns the cause.
func (e *EntryError) Unwrap() error { return e.Err }

// Append verifies each entry's envelope (unless the store was opened
// WithoutVerificationUnsafe) and appends the batch to the log atomically:
// if any entry is rejected, nothing is stored, and the error joins an
// *EntryError for each rejected entry. An envelope already in the log (the
// same bytes) yields the existing record. Entries are verified in parallel
// across the machine's cores.
func (s *Store) Append(ctx context.Context, entries ...Entry) ([]Record, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if len(entries) == 0 {
		return nil, nil
	}
	now := s.cfg.clock().UTC().Truncate(time.Microsecond)
	records := make([]Record, len(entries))
	errs := make([]error, len(entries))
	parallel(len(entries), func(i int) {
		rec, err := s.prepare(ctx, entries[i], now)
		if err != nil {
			errs[i] = &EntryError{Entry: i, Err: err}
			return
		}
		records[i] = rec
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out, err := s.backend.Append(ctx, records, grow)
	if err != nil {
		return nil, fmt.Errorf("evidence: append: %w", err)
	}
	return out, nil
}

// prepare verifies an entry and makes its record.
func (s *Store) prepare(ctx context.Context, e Entry, now time.Time) (Record, error) {
	if len(e.Envelope) > s.cfg.maxEnvelope {
		return Record{}, fmt.Errorf("%w: envelope of %d bytes, the limit is %d", ErrInvalidEntry, len(e.Envelope), s.cfg.maxEnvelope)
	}
	env, err := sign.ParseEnvelope(e.Envelope)
	if err != nil {
		return Record{}, fmt.Errorf("%w: %w", ErrInvalidEntry, err)
	}
	var (
		st      *attest.Statement
		signers []sign.Identity
	)
	if s.cfg.unverified {
		payload, err := env.DecodeB64Payload()
		if err != nil {
			return Record{}, fmt.Errorf("%w: payload: %v", ErrInvalidEntry, err)
		}
		if st, err = attest.Parse(payload); err != nil {
			return Record{}, fmt.Errorf("%w: %w", ErrInvalidEntry, err)
		}
	} else {
		opts := []sign.VerifyOption{sign.AtTime(now)}
		if e.Stage != "" {
			opts = append(opts, sign.AtStage(e.Stage))
		}
		v, err := sign.Verify(ctx, env, s.cfg.trust, opts...)
		if err != nil {
			return Record{}, fmt.Errorf("%w: %w", ErrInvalidEntry, err)
		}
		st, signers = v.Statement, v.Signers
	}
	sum := sha256.Sum256(e.Envelope)
	rec := Record{
		ID:            "sha256:" + hex.EncodeToString(sum[:]),
		Envelope:      e.Envelope,
		EnvelopeSize:  int64(len(e.Envelope)),
		PredicateType: st.PredicateType(),
		Subjects:      st.Subjects(),
		Stage:         e.Stage,
		Signers:       signers,
		RecordedAt:    now,
	}
	if len(e.Labels) > 0 {
		rec.Labels = maps.Clone(e.Labels)
	}
	rec.LeafHash = rec.ComputeLeafHash()
	return rec, nil
}

// parallel runs fn(0..n-1) on as many goroutines as there are CPUs.
func parallel(n int, fn func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// Get returns the record with the given ID, envelope included.
func (s *Store) Get(ctx context.Context, id string) (Record, error) {
	if s.closed.Load() {
		return Record{}, ErrClosed
	}
	return s.backend.Get(ctx, id)
}

// Query yields the records that match q. A malformed query yields one
// error wrapping ErrInvalidQuery.
func (s *Store) Query(ctx context.Context, q Query) iter.Seq2[Record, error] {
	checked, err := q.check()
	switch {
	case s.closed.Load():
		err = ErrClosed
	case err == nil:
		return s.backend.Query(ctx, checked)
	}
	return func(yield func(Record, error) bool) { yield(Record{}, err) }
}

// QueryAll yields every record that matches q, page after page: q.Limit
// (DefaultQueryLimit when zero) sets the page size, and q.After where to
// start. It stops at the first error, which it yields.
func (s *Store) QueryAll(ctx context.Context, q Query) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		if q.Limit == 0 {
			q.Limit = DefaultQueryLimit
		}
		for {
			n := 0
			for r, err := range s.Query(ctx, q) {
				if err != nil {
					yield(Record{}, err)
					return
				}
				n++
				q.After = r.Cursor()
				if !yield(r, nil) {
					return
				}
			}
			if n < q.Limit {
				return
			}
		}
	}
}

// Size returns the number of records in the log.
func (s *Store) Size(ctx context.Context) (uint64, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	return s.backend.Size(ctx)
}

// Close closes the store and its backend. Later calls return ErrClosed.
func (s *Store) Close(ctx context.Context) error {
	if s.closed.Swap(true) {
		return ErrClosed
	}
	return s.backend.Close(ctx)
}
