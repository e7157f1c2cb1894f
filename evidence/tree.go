package evidence

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

// hasher is the log's RFC 6962 SHA-256 tree hasher.
var hasher = rfc6962.DefaultHasher

// rangeFactory builds compact ranges with hasher.
var rangeFactory = &compact.RangeFactory{Hash: hasher.HashChildren}

// leafContent is what a leaf commits to: everything a record says, with
// the envelope by digest. Its JSON encoding (fields in this order, map keys
// sorted) is the leaf data.
type leafContent struct {
	ID            string                `json:"id"`
	EnvelopeSize  int64                 `json:"envelopeSize"`
	PredicateType string                `json:"predicateType"`
	Subjects      []supplychain.Subject `json:"subjects"`
	Stage         string                `json:"stage"`
	Labels        map[string]string     `json:"labels"`
	Signers       []sign.Identity       `json:"signers"`
	RecordedAt    int64                 `json:"recordedAt"` // Unix microseconds
}

// LeafData returns the bytes the record's leaf hash is computed from: a
// canonical JSON encoding of its ID (the envelope's digest), envelope size,
// predicate type, subjects, stage, labels, signers and recording time. An
// auditor recomputes it from a record to check the record against the log.
func (r Record) LeafData() []byte {
	c := leafContent{
		ID: r.ID, EnvelopeSize: r.EnvelopeSize, PredicateType: r.PredicateType, Subjects: r.Subjects,
		Stage: r.Stage, Labels: r.Labels, Signers: r.Signers, RecordedAt: r.RecordedAt.UnixMicro(),
	}
	// Empty and nil collections are the same record: encode both as null,
	// whatever a backend hands back.
	if len(c.Subjects) == 0 {
		c.Subjects = nil
	}
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	if len(c.Signers) == 0 {
		c.Signers = nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		// Only strings, ints and maps of strings: encoding cannot fail.
		return nil
	}
	return b
}

// ComputeLeafHash returns the RFC 6962 leaf hash of the record's LeafData.
func (r Record) ComputeLeafHash() []byte { return hasher.HashLeaf(r.LeafData()) }

func toNodeIDs(ids []compact.NodeID) []NodeID {
	out := make([]NodeID, len(ids))
	for i, id := range ids {
		out[i] = NodeID{Level: uint8(id.Level), Index: id.Index}
	}
	return out
}

// grow is the Store's GrowFunc: it extends the compact range of the
// existing tree with the fresh leaves and returns every node created.
func grow(size uint64, fresh []Record, read NodeReader) (map[NodeID][]byte, error) {
	rng, err := borderRange(size, read)
	if err != nil {
		return nil, err
	}
	nodes := make(map[NodeID][]byte, 2*len(fresh))
	visit := func(id compact.NodeID, hash []byte) {
		nodes[NodeID{Level: uint8(id.Level), Index: id.Index}] = hash
	}
	for _, r := range fresh {
		if err := rng.Append(r.LeafHash, visit); err != nil {
			return nil, fmt.Errorf("evidence: grow tree: %w", err)
		}
	}
	return nodes, nil
}

// borderRange rebuilds the compact range [0, size) from its stored nodes.
func borderRange(size uint64, read NodeReader) (*compact.Range, error) {
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := read(toNodeIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("evidence: read tree border at size %d: %w", size, err)
	}
	rng, err := rangeFactory.NewRange(0, size, hashes)
	if err != nil {
		return nil, fmt.Errorf("evidence: tree border at size %d: %w", size, err)
	}
	return rng, nil
}

// rootAt returns the root hash of the first size records.
func rootAt(ctx context.Context, b Backend, size uint64) ([]byte, error) {
	if size == 0 {
		return hasher.EmptyRoot(), nil
	}
	rng, err := borderRange(size, func(ids []NodeID) ([][]byte, error) { return b.Nodes(ctx, ids) })
	if err != nil {
		return nil, err
	}
	return rng.GetRootHash(nil)
}
