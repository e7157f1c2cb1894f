//go:build unix

package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/supplychain/sign"
)

// JSONL is an evidence.Backend over one append-only JSON-lines file. Each
// line is a commit: an appended batch (its records, envelopes included, and
// the tree nodes the batch completed) or a checkpoint. A line is written
// whole and fsync'd before Append returns, so an acknowledged batch
// survives a crash; a line torn by a crash has no newline yet, is ignored
// when read and cut off by the next append.
//
// Appenders in any process exclude each other with flock(2) on a lock file
// beside the log (the log's name with ".lock" added). Each JSONL reads the
// lines other processes appended since it last looked before every
// operation, and the whole file again when it was replaced or shrank.
//
// A JSONL is safe for concurrent use by multiple goroutines.
type JSONL struct {
	path string
	lock *os.File

	mu      sync.Mutex
	closed  bool
	file    os.FileInfo // the log file as last read
	offset  int64       // the end of the last whole line read
	records []evidence.Record
	byID    map[string]uint64
	nodes   map[evidence.NodeID][]byte
	cps     []evidence.Checkpoint
}

var _ evidence.Backend = (*JSONL)(nil)

// line is one line of the log file: a batch or a checkpoint.
type line struct {
	Records    []evidence.Record    `json:"records,omitempty"`
	Nodes      []node               `json:"nodes,omitempty"`
	Checkpoint *evidence.Checkpoint `json:"checkpoint,omitempty"`
}

// node is a tree node's hash in a batch line.
type node struct {
	Level uint8  `json:"level"`
	Index uint64 `json:"index"`
	Hash  []byte `json:"hash"`
}

// OpenJSONL opens the log at path, creating it (mode 0600) if missing.
func OpenJSONL(path string) (*JSONL, error) {
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, backendError("open", path, err)
	}
	b := &JSONL{path: path, lock: lock}
	if err := b.locked(syscall.LOCK_EX, func() error { return nil }); err != nil {
		lock.Close()
		return nil, backendError("open", path, err)
	}
	return b, nil
}

func backendError(op, subject string, err error) error {
	return &evidence.BackendError{Backend: "jsonl", Op: op, Subject: subject, Err: err}
}

// locked runs fn holding the goroutine mutex and the file lock (how:
// LOCK_SH to read, LOCK_EX to write), after reading what changed in the
// file.
func (b *JSONL) locked(how int, fn func() error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return evidence.ErrClosed
	}
	if err := syscall.Flock(int(b.lock.Fd()), how); err != nil {
		return err
	}
	defer syscall.Flock(int(b.lock.Fd()), syscall.LOCK_UN)
	if err := b.refresh(); err != nil {
		return err
	}
	return fn()
}

// refresh reads the lines appended since the last read, or the whole file
// when it was replaced or shrank.
func (b *JSONL) refresh() error {
	f, err := os.OpenFile(b.path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if b.file == nil || !os.SameFile(b.file, fi) || fi.Size() < b.offset {
		b.offset, b.records, b.byID, b.nodes, b.cps = 0, nil, map[string]uint64{}, map[evidence.NodeID][]byte{}, nil
	}
	b.file = fi
	if _, err := f.Seek(b.offset, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReader(f)
	for {
		raw, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil // no newline: a torn line, or nothing more
		}
		if err != nil {
			return err
		}
		var l line
		if err := json.Unmarshal(raw, &l); err != nil {
			return fmt.Errorf("line at offset %d: %w", b.offset, err)
		}
		b.apply(l)
		b.offset += int64(len(raw))
	}
}

// apply adds a line's contents to the in-memory index.
func (b *JSONL) apply(l line) {
	for _, r := range l.Records {
		b.byID[r.ID] = uint64(len(b.records))
		b.records = append(b.records, r)
	}
	for _, n := range l.Nodes {
		b.nodes[evidence.NodeID{Level: n.Level, Index: n.Index}] = n.Hash
	}
	if cp := l.Checkpoint; cp != nil {
		b.cps = append(b.cps, *cp)
	}
}

// commit appends l to the file, cutting off a torn line first, and
// fsyncs it; then it indexes l.
func (b *JSONL) commit(l line) error {
	data, err := json.Marshal(l)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(b.path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(b.offset); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(data, '\n'), b.offset); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	b.file, b.offset = fi, fi.Size()
	b.apply(l)
	return nil
}

// Append stores the records that are new, with the nodes grow computes,
// as one line.
func (b *JSONL) Append(ctx context.Context, records []evidence.Record, grow evidence.GrowFunc) ([]evidence.Record, error) {
	out := make([]evidence.Record, len(records))
	err := b.locked(syscall.LOCK_EX, func() error {
		size := uint64(len(b.records))
		var fresh []evidence.Record
		batch := map[string]uint64{}
		for i, r := range records {
			if at, ok := b.byID[r.ID]; ok {
				out[i] = b.records[at]
				continue
			}
			if at, ok := batch[r.ID]; ok {
				out[i] = fresh[at-size]
				continue
			}
			r.Index = size + uint64(len(fresh))
			batch[r.ID] = r.Index
			fresh = append(fresh, r)
			out[i] = r
		}
		if len(fresh) == 0 {
			return nil
		}
		nodes, err := grow(size, fresh, b.readNodes)
		if err != nil {
			return err
		}
		l := line{Records: fresh}
		for id, h := range nodes {
			l.Nodes = append(l.Nodes, node{Level: id.Level, Index: id.Index, Hash: h})
		}
		return b.commit(l)
	})
	if err != nil {
		return nil, backendError("append", b.path, err)
	}
	for i := range out {
		out[i].Envelope = nil
	}
	return out, nil
}

// readNodes reads stored nodes, for grow and Nodes.
func (b *JSONL) readNodes(ids []evidence.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := b.nodes[id]
		if !ok {
			return nil, fmt.Errorf("node %d/%d: %w", id.Level, id.Index, evidence.ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

// Get returns the record with the given ID.
func (b *JSONL) Get(ctx context.Context, id string) (evidence.Record, error) {
	var r evidence.Record
	err := b.locked(syscall.LOCK_SH, func() error {
		at, ok := b.byID[id]
		if !ok {
			return evidence.ErrNotFound
		}
		r = b.records[at]
		return nil
	})
	if err != nil {
		return r, backendError("get", id, err)
	}
	return r, nil
}

// Query yields the records that match q, from a snapshot taken when the
// iteration starts.
func (b *JSONL) Query(ctx context.Context, q evidence.Query) iter.Seq2[evidence.Record, error] {
	return b.yield("query", func(all []evidence.Record) []evidence.Record {
		if q.Descending {
			all = slices.Clone(all)
			slices.Reverse(all)
		}
		after, hasAfter := q.AfterIndex()
		var out []evidence.Record
		for _, r := range all {
			if hasAfter && (!q.Descending && r.Index <= after || q.Descending && r.Index >= after) {
				continue
			}
			if !matches(q, r) {
				continue
			}
			if !q.WithEnvelopes {
				r.Envelope = nil
			}
			if out = append(out, r); len(out) == q.Limit {
				break
			}
		}
		return out
	})
}

// Scan yields every record from index from on.
func (b *JSONL) Scan(ctx context.Context, from uint64) iter.Seq2[evidence.Record, error] {
	return b.yield("scan", func(all []evidence.Record) []evidence.Record {
		return all[min(from, uint64(len(all))):]
	})
}

// yield returns an iterator over what pick selects from the records.
func (b *JSONL) yield(op string, pick func([]evidence.Record) []evidence.Record) iter.Seq2[evidence.Record, error] {
	return func(yield func(evidence.Record, error) bool) {
		var recs []evidence.Record
		err := b.locked(syscall.LOCK_SH, func() error {
			recs = pick(b.records)
			return nil
		})
		if err != nil {
			yield(evidence.Record{}, backendError(op, b.path, err))
			return
		}
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// matches reports whether r matches every field q sets.
func matches(q evidence.Query, r evidence.Record) bool {
	switch {
	case q.PredicateType != "" && r.PredicateType != q.PredicateType,
		q.Stage != "" && r.Stage != q.Stage,
		!q.Since.IsZero() && r.RecordedAt.Before(q.Since),
		!q.Until.IsZero() && !r.RecordedAt.Before(q.Until):
		return false
	}
	for k, v := range q.Labels {
		if got, ok := r.Labels[k]; !ok || got != v {
			return false
		}
	}
	if q.Signer != "" && !slices.ContainsFunc(r.Signers, func(s sign.Identity) bool { return s.KeyID == q.Signer }) {
		return false
	}
	alg, hex, _ := strings.Cut(q.SubjectDigest, ":")
	for _, s := range r.Subjects {
		if (q.SubjectName == "" || s.Name == q.SubjectName) && (q.SubjectDigest == "" || s.Digest[alg] == hex) {
			return true
		}
	}
	return q.SubjectName == "" && q.SubjectDigest == ""
}

// Size returns the number of records.
func (b *JSONL) Size(ctx context.Context) (uint64, error) {
	var n uint64
	err := b.locked(syscall.LOCK_SH, func() error {
		n = uint64(len(b.records))
		return nil
	})
	if err != nil {
		return 0, backendError("size", b.path, err)
	}
	return n, nil
}

// Nodes returns the hashes of the given tree nodes.
func (b *JSONL) Nodes(ctx context.Context, ids []evidence.NodeID) ([][]byte, error) {
	var out [][]byte
	err := b.locked(syscall.LOCK_SH, func() error {
		var err error
		out, err = b.readNodes(ids)
		return err
	})
	if err != nil {
		return nil, backendError("nodes", b.path, err)
	}
	return out, nil
}

// AddCheckpoint stores c as a line, unless a checkpoint of its size is
// stored already.
func (b *JSONL) AddCheckpoint(ctx context.Context, c evidence.Checkpoint) error {
	err := b.locked(syscall.LOCK_EX, func() error {
		if slices.ContainsFunc(b.cps, func(have evidence.Checkpoint) bool { return have.Size == c.Size }) {
			return nil
		}
		return b.commit(line{Checkpoint: &c})
	})
	if err != nil {
		return backendError("add checkpoint", b.path, err)
	}
	return nil
}

// Checkpoints yields the stored checkpoints by increasing size.
func (b *JSONL) Checkpoints(ctx context.Context) iter.Seq2[evidence.Checkpoint, error] {
	return func(yield func(evidence.Checkpoint, error) bool) {
		var cps []evidence.Checkpoint
		err := b.locked(syscall.LOCK_SH, func() error {
			cps = slices.SortedFunc(slices.Values(b.cps), func(x, y evidence.Checkpoint) int { return cmp.Compare(x.Size, y.Size) })
			return nil
		})
		if err != nil {
			yield(evidence.Checkpoint{}, backendError("checkpoints", b.path, err))
			return
		}
		for _, c := range cps {
			if !yield(c, nil) {
				return
			}
		}
	}
}

// Close releases the lock file. Later calls return evidence.ErrClosed.
func (b *JSONL) Close(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return backendError("close", b.path, evidence.ErrClosed)
	}
	b.closed = true
	return b.lock.Close()
}
