package evidence

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"
)

// ErrNoCheckpointKey: Checkpoint on a store opened without
// WithCheckpointKey.
var ErrNoCheckpointKey = errors.New("evidence: no checkpoint key")

// Checkpoint signs the log's current size and root hash with the store's
// checkpoint key, stores the checkpoint and returns it.
func (s *Store) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if s.cfg.signer == nil {
		return nil, ErrNoCheckpointKey
	}
	size, err := s.backend.Size(ctx)
	if err != nil {
		return nil, fmt.Errorf("evidence: checkpoint: %w", err)
	}
	root, err := rootAt(ctx, s.backend, size)
	if err != nil {
		return nil, fmt.Errorf("evidence: checkpoint: %w", err)
	}
	text := checkpointText(s.cfg.origin, size, root)
	signed, err := note.Sign(&note.Note{Text: text}, s.cfg.signer)
	if err != nil {
		return nil, fmt.Errorf("evidence: checkpoint: %w", err)
	}
	cp := Checkpoint{Origin: s.cfg.origin, Size: size, Root: root, Note: signed}
	if err := s.backend.AddCheckpoint(ctx, cp); err != nil {
		return nil, fmt.Errorf("evidence: checkpoint: %w", err)
	}
	return &cp, nil
}

func checkpointText(origin string, size uint64, root []byte) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root))
}

// OpenCheckpoint verifies a signed checkpoint note with the log's note
// verifier key and parses it. It needs nothing but the key.
func OpenCheckpoint(signed []byte, verifierKey string) (*Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fmt.Errorf("%w: verifier key: %v", ErrInvalidProof, err)
	}
	return openCheckpoint(signed, v)
}

func openCheckpoint(signed []byte, v note.Verifier) (*Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("%w: checkpoint signature: %v", ErrInvalidProof, err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) != 3 || lines[0] != v.Name() {
		return nil, fmt.Errorf("%w: checkpoint text is not origin, size and root", ErrInvalidProof)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: checkpoint size %q", ErrInvalidProof, lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != hasher.Size() {
		return nil, fmt.Errorf("%w: checkpoint root %q", ErrInvalidProof, lines[2])
	}
	return &Checkpoint{Origin: lines[0], Size: size, Root: root, Note: bytes.Clone(signed)}, nil
}

// InclusionProof proves that one record is in the log a checkpoint
// describes.
type InclusionProof struct {
	// Index is the record's index; Size the checkpoint's.
	Index, Size uint64
	// LeafHash is the record's leaf hash.
	LeafHash []byte
	// Hashes are the proof's node hashes, in RFC 6962 order.
	Hashes [][]byte
}

// InclusionProof proves that the record with the given ID is included in
// the log at the checkpoint's size.
func (s *Store) InclusionProof(ctx context.Context, id string, cp *Checkpoint) (*InclusionProof, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	rec, err := s.backend.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("evidence: inclusion proof: %w", err)
	}
	if rec.Index >= cp.Size {
		return nil, fmt.Errorf("%w: record %d is not in a checkpoint of size %d", ErrInvalidProof, rec.Index, cp.Size)
	}
	nodes, err := proof.Inclusion(rec.Index, cp.Size)
	if err != nil {
		return nil, fmt.Errorf("evidence: inclusion proof: %w", err)
	}
	hashes, err := s.proofHashes(ctx, nodes)
	if err != nil {
		return nil, fmt.Errorf("evidence: inclusion proof: %w", err)
	}
	return &InclusionProof{Index: rec.Index, Size: cp.Size, LeafHash: rec.LeafHash, Hashes: hashes}, nil
}

// ConsistencyProof proves that the log at new.Size extends the log at
// old.Size: nothing before old.Size changed.
func (s *Store) ConsistencyProof(ctx context.Context, old, new *Checkpoint) ([][]byte, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if old.Size > new.Size {
		return nil, fmt.Errorf("%w: old size %d is larger than new size %d", ErrInvalidProof, old.Size, new.Size)
	}
	nodes, err := proof.Consistency(old.Size, new.Size)
	if err != nil {
		return nil, fmt.Errorf("evidence: consistency proof: %w", err)
	}
	hashes, err := s.proofHashes(ctx, nodes)
	if err != nil {
		return nil, fmt.Errorf("evidence: consistency proof: %w", err)
	}
	return hashes, nil
}

// proofHashes fetches a proof's nodes and folds the ephemeral ones.
func (s *Store) proofHashes(ctx context.Context, nodes proof.Nodes) ([][]byte, error) {
	hashes, err := s.backend.Nodes(ctx, toNodeIDs(nodes.IDs))
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}

// VerifyInclusion checks, with nothing but the log's note verifier key,
// that a signed checkpoint is genuine and that the proof places the record
// in it: the record's recomputed leaf hash (from its content) must be the
// proof's, and the proof must lead to the checkpoint's root.
func VerifyInclusion(verifierKey string, checkpoint []byte, rec Record, p *InclusionProof) error {
	cp, err := OpenCheckpoint(checkpoint, verifierKey)
	if err != nil {
		return err
	}
	if leaf := rec.ComputeLeafHash(); !bytes.Equal(leaf, p.LeafHash) {
		return fmt.Errorf("%w: record %d's content does not hash to the proven leaf", ErrInvalidProof, rec.Index)
	}
	if rec.Index != p.Index || p.Size != cp.Size {
		return fmt.Errorf("%w: proof is for index %d of size %d, not record %d of checkpoint size %d", ErrInvalidProof, p.Index, p.Size, rec.Index, cp.Size)
	}
	if err := proof.VerifyInclusion(hasher, p.Index, p.Size, p.LeafHash, p.Hashes, cp.Root); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	return nil
}

// VerifyConsistency checks, with nothing but the log's note verifier key,
// that two signed checkpoints are genuine and that the proof shows the
// newer log extends the older.
func VerifyConsistency(verifierKey string, oldCheckpoint, newCheckpoint []byte, hashes [][]byte) error {
	old, err := OpenCheckpoint(oldCheckpoint, verifierKey)
	if err != nil {
		return err
	}
	cur, err := OpenCheckpoint(newCheckpoint, verifierKey)
	if err != nil {
		return err
	}
	if err := proof.VerifyConsistency(hasher, old.Size, cur.Size, hashes, old.Root, cur.Root); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	return nil
}
