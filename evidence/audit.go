package evidence

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/transparency-dev/merkle/compact"

	"github.com/paved-dev/paved/supplychain/attest"
)

// AuditError is one problem Audit found, located by record index where it
// has one.
type AuditError struct {
	// Index is the record (or, for a checkpoint, the size) concerned.
	Index uint64
	// Problem says what is wrong.
	Problem string
}

// Error formats the problem as "evidence: log tampered: record N: problem".
func (e *AuditError) Error() string {
	return fmt.Sprintf("%v: record %d: %s", ErrTampered, e.Index, e.Problem)
}

// Unwrap returns ErrTampered.
func (e *AuditError) Unwrap() error { return ErrTampered }

// AuditReport summarizes a successful audit.
type AuditReport struct {
	// Size is the number of records audited.
	Size uint64
	// Root is the recomputed root hash of the whole log.
	Root []byte
	// Checkpoints is the number of stored checkpoints checked.
	Checkpoints int
}

// auditBatch is how many records Audit hashes in parallel at a time.
const auditBatch = 512

// Audit recomputes the whole log from the stored records: each envelope
// must hash to its record's ID (a pruned record has none, and a prune
// record in the log must list it), each record's content to its leaf hash, the
// indexes must run without gaps, the recomputed tree must have the stored
// nodes' root, and every stored checkpoint must be signed by the store's
// checkpoint key (when it has one) and match the recomputed root at its
// size. Every problem is reported with its index, as *AuditError values
// joined; a deleted, reordered or rewritten record is detected. Reading and
// hashing run on all cores.
func (s *Store) Audit(ctx context.Context) (*AuditReport, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	size, err := s.backend.Size(ctx)
	if err != nil {
		return nil, fmt.Errorf("evidence: audit: %w", err)
	}
	var checkpoints []Checkpoint
	for cp, err := range s.backend.Checkpoints(ctx) {
		if err != nil {
			return nil, fmt.Errorf("evidence: audit: %w", err)
		}
		checkpoints = append(checkpoints, cp)
	}
	slices.SortFunc(checkpoints, func(a, b Checkpoint) int { return cmp.Compare(a.Size, b.Size) })

	var problems []error
	bad := func(i uint64, format string, args ...any) {
		problems = append(problems, &AuditError{Index: i, Problem: fmt.Sprintf(format, args...)})
	}
	rng := rangeFactory.NewEmptyRange(0)
	next := uint64(0)
	cpi := 0
	checkRoot := func() {
		for cpi < len(checkpoints) && checkpoints[cpi].Size == rng.End() {
			s.checkCheckpoint(checkpoints[cpi], rng, bad)
			cpi++
		}
	}
	checkRoot()
	// pruned maps the ID of each record without its envelope to its
	// index; prunable holds the IDs that prune records list. A pruned
	// record that no prune record lists had its envelope deleted behind
	// the store's back.
	pruned := map[string]uint64{}
	prunable := map[string]bool{}
	var batch []Record
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ids := make([]NodeID, len(batch))
		for i, r := range batch {
			ids[i] = NodeID{Level: 0, Index: r.Index}
		}
		stored, storedErr := s.backend.Nodes(ctx, ids)
		leaves := make([][]byte, len(batch))
		digestOK := make([]bool, len(batch))
		parallel(len(batch), func(i int) {
			r := batch[i]
			if r.pruned() {
				digestOK[i] = true
			} else {
				sum := sha256.Sum256(r.Envelope)
				digestOK[i] = r.ID == "sha256:"+hex.EncodeToString(sum[:])
			}
			leaves[i] = r.ComputeLeafHash()
		})
		for i, r := range batch {
			switch {
			case !digestOK[i]:
				bad(r.Index, "envelope does not hash to the record's ID %s", r.ID)
			case r.pruned():
				pruned[r.ID] = r.Index
			case r.PredicateType == attest.PredicatePrune:
				for _, sub := range r.Subjects {
					if h, ok := sub.Digest["sha256"]; ok {
						prunable["sha256:"+h] = true
					}
				}
			}
			switch {
			case !bytes.Equal(leaves[i], r.LeafHash):
				bad(r.Index, "content does not hash to the stored leaf hash")
			case storedErr != nil:
				bad(r.Index, "the log's leaf is unreadable: %v", storedErr)
			case !bytes.Equal(leaves[i], stored[i]):
				bad(r.Index, "content differs from the log's leaf at this index: rewritten or reordered")
			}
			// The tree is rebuilt from the recomputed leaves, so that a
			// record rewritten together with its leaf hash still changes
			// the root.
			if err := rng.Append(leaves[i], nil); err != nil {
				bad(r.Index, "cannot extend the recomputed tree: %v", err)
			}
			checkRoot()
		}
	}
	scanCtx, stop := context.WithCancel(ctx)
	defer stop()
	for sb := range scanBatches(scanCtx, s.backend, size) {
		if sb.err != nil {
			return nil, fmt.Errorf("evidence: audit: %w", sb.err)
		}
		for k, r := range sb.recs {
			if r.Index == next {
				next++
				continue
			}
			batch = sb.recs[:k]
			flush()
			if r.Index > next {
				bad(next, "missing: the log jumps from record %d to %d", next, r.Index)
			} else {
				bad(r.Index, "out of order after record %d", next-1)
			}
			return nil, errors.Join(problems...)
		}
		batch = sb.recs
		flush()
	}
	if err := ctx.Err(); err != nil { // the scan stopped short
		return nil, fmt.Errorf("evidence: audit: %w", err)
	}
	var unlisted []uint64
	for id, i := range pruned {
		if !prunable[id] {
			unlisted = append(unlisted, i)
		}
	}
	slices.Sort(unlisted)
	for _, i := range unlisted {
		bad(i, "envelope missing and no prune record lists it")
	}
	if next != size {
		bad(next, "missing: the log has %d records, the store says %d", next, size)
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return nil, fmt.Errorf("evidence: audit: %w", err)
	}
	if size == 0 {
		root = hasher.EmptyRoot()
	}
	if stored, err := rootAt(ctx, s.backend, size); err != nil {
		bad(size, "stored tree nodes unreadable: %v", err)
	} else if !bytes.Equal(stored, root) {
		bad(size, "stored tree nodes do not match the records")
	}
	for ; cpi < len(checkpoints); cpi++ {
		bad(checkpoints[cpi].Size, "a checkpoint covers more records than the log has")
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return &AuditReport{Size: size, Root: root, Checkpoints: len(checkpoints)}, nil
}

// scanned is a batch of records Audit reads, or the error that ended the
// scan.
type scanned struct {
	recs []Record
	err  error
}

// auditChunk is how many records one Scan of Audit's reads, at most: the
// log is read in chunks, by as many scans at once as there are cores,
// because reading a record costs more than hashing it. At most that many
// chunks are in memory at a time.
const auditChunk = 4 * auditBatch

// scanBatches reads the whole log (size records, as far as the caller
// knows, and any appended since) and delivers it in batches of auditBatch
// records, in index order, until ctx is done. Chunks of auditChunk records
// are read in parallel, each by a Scan of its own, and each Scan starts
// only once the previous chunk's Scan has started: so every chunk sees the
// log as it was when the previous chunk's scan started, or later, and a
// pruned record that one chunk sees has its prune record, which the store
// appended before pruning and at a later index, seen as well.
func scanBatches(ctx context.Context, b Backend, size uint64) <-chan scanned {
	out := make(chan scanned, 2)
	readers := max(runtime.GOMAXPROCS(0), 1)
	// pending holds the chunks being read, in order, beyond the one being
	// delivered.
	pending := make(chan chan scanned, readers-1)
	go func() {
		defer close(pending)
		prev := make(chan struct{})
		close(prev)
		for from := uint64(0); ; from += auditChunk {
			// The last chunk reads to the end, whatever has been appended.
			last := size <= from+auditChunk
			end := uint64(math.MaxUint64)
			if !last {
				end = from + auditChunk
			}
			ch := make(chan scanned, auditChunk/auditBatch+1)
			select {
			case pending <- ch:
			case <-ctx.Done():
				return
			}
			started := make(chan struct{})
			go scanChunk(ctx, b, from, end, prev, started, ch)
			if last {
				return
			}
			prev = started
		}
	}()
	go func() {
		defer close(out)
		for ch := range pending {
			for sb := range ch {
				select {
				case out <- sb:
				case <-ctx.Done():
					return
				}
				if sb.err != nil {
					return
				}
			}
		}
	}()
	return out
}

// scanChunk reads the records from index from up to end (excluded) into
// ch, in batches, and closes ch. It waits for prev to close before it
// starts its Scan, and closes started once the Scan has started (its
// first record read) or ended.
func scanChunk(ctx context.Context, b Backend, from, end uint64, prev <-chan struct{}, started chan<- struct{}, ch chan<- scanned) {
	defer close(ch)
	signal := sync.OnceFunc(func() { close(started) })
	defer signal()
	select {
	case <-prev:
	case <-ctx.Done():
		return
	}
	send := func(sb scanned) bool {
		select {
		case ch <- sb:
			return true
		case <-ctx.Done():
			return false
		}
	}
	recs := make([]Record, 0, auditBatch)
	for r, err := range b.Scan(ctx, from) {
		signal()
		if err != nil {
			send(scanned{err: err})
			return
		}
		if r.Index >= end {
			break
		}
		recs = append(recs, r)
		if len(recs) == auditBatch {
			if !send(scanned{recs: recs}) {
				return
			}
			recs = make([]Record, 0, auditBatch)
		}
	}
	if len(recs) > 0 {
		send(scanned{recs: recs})
	}
}

// checkCheckpoint checks a stored checkpoint's signature and root against
// the recomputed range of its size.
func (s *Store) checkCheckpoint(cp Checkpoint, rng *compact.Range, bad func(uint64, string, ...any)) {
	root, err := rng.GetRootHash(nil)
	if err != nil || rng.End() == 0 {
		root = hasher.EmptyRoot()
	}
	if !bytes.Equal(root, cp.Root) {
		bad(cp.Size, "the checkpoint at size %d does not match the records", cp.Size)
	}
	if s.cfg.verifier == nil {
		return
	}
	opened, err := openCheckpoint(cp.Note, s.cfg.verifier)
	if err != nil {
		bad(cp.Size, "checkpoint at size %d: %v", cp.Size, err)
		return
	}
	if opened.Size != cp.Size || !bytes.Equal(opened.Root, cp.Root) {
		bad(cp.Size, "checkpoint at size %d: the signed note says size %d", cp.Size, opened.Size)
	}
}
