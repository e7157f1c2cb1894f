package evidence

import (
	"context"
	"iter"
)

// NodeID names a node of the log's Merkle tree: the root of the perfect
// subtree of 2^Level leaves that starts at leaf Index<<Level. Level 0 nodes
// are the leaves themselves.
type NodeID struct {
	Level uint8
	Index uint64
}

// NodeReader reads node hashes by ID, in order; a missing node is an error.
type NodeReader func(ids []NodeID) ([][]byte, error)

// GrowFunc computes the tree nodes that appending fresh leaves completes. A
// Backend calls it inside its append transaction with the log's size before
// the append, the records that are new (in the order they get their
// indexes) and a reader of the nodes already stored. It returns every node
// to store, leaves included.
type GrowFunc func(size uint64, fresh []Record, nodes NodeReader) (map[NodeID][]byte, error)

// Backend stores a log for a Store: records, their envelopes (once per
// digest), the Merkle tree's nodes and checkpoints. Implementations live in
// their own packages (evidence/sqlite, evidence/postgres) and must pass
// evidencetest.TestBackend. A Backend must be safe for concurrent use; the
// Store adds no locking of its own across processes.
type Backend interface {
	// Append adds records to the end of the log in one transaction that
	// excludes every other appender, in any process. A record whose ID is
	// already stored, or repeats an earlier one of the batch, is not stored
	// again: the stored record takes its place in the result. The others
	// get consecutive indexes from the current size, in order, and grow's
	// nodes are stored with them. Either everything is stored or nothing.
	// The result holds one record per input, in input order, without
	// envelopes.
	Append(ctx context.Context, records []Record, grow GrowFunc) ([]Record, error)
	// Get returns the record with the given ID, envelope included, or
	// ErrNotFound.
	Get(ctx context.Context, id string) (Record, error)
	// Query yields the records that match q (already validated by the
	// Store), in index order (descending if q.Descending), after q's
	// cursor, at most q.Limit of them; envelopes only if q.WithEnvelopes.
	Query(ctx context.Context, q Query) iter.Seq2[Record, error]
	// Scan yields every record from index from on, in index order, with
	// its envelope: what Audit reads.
	Scan(ctx context.Context, from uint64) iter.Seq2[Record, error]
	// Size returns the number of records in the log.
	Size(ctx context.Context) (uint64, error)
	// Nodes returns the hashes of the given tree nodes, in order, or
	// ErrNotFound if one is missing.
	Nodes(ctx context.Context, ids []NodeID) ([][]byte, error)
	// AddCheckpoint stores a signed checkpoint; storing the same size twice
	// keeps the first.
	AddCheckpoint(ctx context.Context, c Checkpoint) error
	// Checkpoints yields the stored checkpoints by increasing size.
	Checkpoints(ctx context.Context) iter.Seq2[Checkpoint, error]
	// Close releases the backend's resources.
	Close(ctx context.Context) error
}

// BackendError reports a failed backend operation: "backend: op subject:
// cause". Backends return it (evidence/sqlite and evidence/postgres under
// the name Error); it unwraps to the cause, so errors.Is finds ErrNotFound,
// ErrClosed and ErrInvalidEntry through it.
type BackendError struct {
	// Backend names the backend, such as "sqlite".
	Backend string
	// Op is the operation, such as "append" or "get".
	Op string
	// Subject names what the operation was about (a path, a record ID),
	// when there is one.
	Subject string
	// Err is the cause.
	Err error
}

// Error formats the error as "backend: op subject: cause".
func (e *BackendError) Error() string {
	if e.Subject == "" {
		return e.Backend + ": " + e.Op + ": " + e.Err.Error()
	}
	return e.Backend + ": " + e.Op + " " + e.Subject + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *BackendError) Unwrap() error { return e.Err }
