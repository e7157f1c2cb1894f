package evidence

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"path"
	"strings"
	"time"
)

// An evidence pack is a tar stream that an auditor verifies offline with
// nothing but the log's note verifier key:
//
//	checkpoint.note              the signed checkpoint the proofs lead to
//	records/<index>.json         a record (without its envelope) and its
//	                             inclusion proof at the checkpoint
//	envelopes/<sha256 hex>.dsse  the record's envelope, exact bytes (none
//	                             for a pruned record)
const (
	packCheckpoint = "checkpoint.note"
	packRecords    = "records/"
	packEnvelopes  = "envelopes/"
	// maxPackRecord caps one record file of a pack: 1 MiB.
	maxPackRecord = 1 << 20
)

// ErrInvalidPack: a pack that is malformed or does not verify.
var ErrInvalidPack = errors.New("evidence: invalid pack")

// packRecord is a record file of a pack.
type packRecord struct {
	Record Record   `json:"record"`
	Proof  [][]byte `json:"proof"`
}

// Export writes an evidence pack of the records q selects (every page of
// them; q.Limit sets the page size), each with its envelope and its
// inclusion proof at checkpoint cp, which must cover them.
func (s *Store) Export(ctx context.Context, w io.Writer, q Query, cp *Checkpoint) error {
	q.WithEnvelopes = true
	return s.export(ctx, w, s.QueryAll(ctx, q), cp)
}

// ExportRecords writes an evidence pack of the records with these IDs,
// like Export: for a set of records no one query selects, such as the
// records an assessment read.
func (s *Store) ExportRecords(ctx context.Context, w io.Writer, ids []string, cp *Checkpoint) error {
	return s.export(ctx, w, func(yield func(Record, error) bool) {
		for _, id := range ids {
			if !yield(s.Get(ctx, id)) {
				return
			}
		}
	}, cp)
}

// export writes the pack of the records recs yields.
func (s *Store) export(ctx context.Context, w io.Writer, recs iter.Seq2[Record, error], cp *Checkpoint) error {
	if s.closed.Load() {
		return ErrClosed
	}
	tw := tar.NewWriter(w)
	if err := writeTarFile(tw, packCheckpoint, cp.Note); err != nil {
		return err
	}
	for r, err := range recs {
		if err != nil {
			return fmt.Errorf("evidence: export: %w", err)
		}
		if r.Index >= cp.Size {
			continue // appended after the checkpoint: not provable by it
		}
		p, err := s.InclusionProof(ctx, r.ID, cp)
		if err != nil {
			return fmt.Errorf("evidence: export: %w", err)
		}
		env := r.Envelope
		r.Envelope = nil
		body, err := json.Marshal(packRecord{Record: r, Proof: p.Hashes})
		if err != nil {
			return fmt.Errorf("evidence: export record %d: %w", r.Index, err)
		}
		if err := writeTarFile(tw, fmt.Sprintf("%s%d.json", packRecords, r.Index), body); err != nil {
			return err
		}
		if env == nil {
			continue // pruned: the record and its proof only
		}
		if err := writeTarFile(tw, packEnvelopes+strings.TrimPrefix(r.ID, "sha256:")+".dsse", env); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("evidence: export: %w", err)
	}
	return nil
}

func writeTarFile(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Format: tar.FormatPAX}); err != nil {
		return fmt.Errorf("evidence: export %s: %w", name, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("evidence: export %s: %w", name, err)
	}
	return nil
}

// VerifiedPack is the content of a pack that verified.
type VerifiedPack struct {
	// Checkpoint is the pack's checkpoint, its signature verified.
	Checkpoint *Checkpoint
	// Records are the pack's records, each proven included in the
	// checkpoint, each with its envelope unless the record was pruned
	// (PrunedAt set).
	Records []Record
}

// VerifyPack reads an evidence pack and verifies it with nothing but the
// log's note verifier key: the checkpoint's signature, and for every record
// that its envelope hashes to its ID and that its content is included in
// the checkpoint. Any failure rejects the whole pack with an error wrapping
// ErrInvalidPack. Envelopes are capped at DefaultMaxEnvelopeSize.
func VerifyPack(r io.Reader, verifierKey string) (*VerifiedPack, error) {
	var (
		note      []byte
		records   []packRecord
		envelopes = map[string][]byte{}
	)
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidPack, err)
		}
		name := path.Clean(h.Name)
		switch {
		case name == packCheckpoint:
			note, err = readCapped(tr, h, maxPackRecord)
		case strings.HasPrefix(name, packRecords):
			var body []byte
			if body, err = readCapped(tr, h, maxPackRecord); err == nil {
				var pr packRecord
				if err = json.Unmarshal(body, &pr); err == nil {
					records = append(records, pr)
				}
			}
		case strings.HasPrefix(name, packEnvelopes):
			var env []byte
			if env, err = readCapped(tr, h, DefaultMaxEnvelopeSize); err == nil {
				envelopes["sha256:"+strings.TrimSuffix(strings.TrimPrefix(name, packEnvelopes), ".dsse")] = env
			}
		default:
			err = errors.New("unexpected file")
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidPack, h.Name, err)
		}
	}
	if note == nil {
		return nil, fmt.Errorf("%w: no %s", ErrInvalidPack, packCheckpoint)
	}
	cp, err := OpenCheckpoint(note, verifierKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPack, err)
	}
	out := &VerifiedPack{Checkpoint: cp}
	for _, pr := range records {
		rec := pr.Record
		env, ok := envelopes[rec.ID]
		switch {
		case !ok && rec.PrunedAt.IsZero():
			return nil, fmt.Errorf("%w: record %d: no envelope", ErrInvalidPack, rec.Index)
		case ok:
			sum := sha256.Sum256(env)
			if rec.ID != "sha256:"+hex.EncodeToString(sum[:]) || int64(len(env)) != rec.EnvelopeSize {
				return nil, fmt.Errorf("%w: record %d: envelope does not match its ID", ErrInvalidPack, rec.Index)
			}
			rec.PrunedAt = time.Time{}
		}
		p := &InclusionProof{Index: rec.Index, Size: cp.Size, LeafHash: rec.ComputeLeafHash(), Hashes: pr.Proof}
		if err := VerifyInclusion(verifierKey, note, rec, p); err != nil {
			return nil, fmt.Errorf("%w: record %d: %w", ErrInvalidPack, rec.Index, err)
		}
		rec.Envelope = env
		out.Records = append(out.Records, rec)
	}
	return out, nil
}

func readCapped(r io.Reader, h *tar.Header, limit int) ([]byte, error) {
	if h.Size < 0 || h.Size > int64(limit) {
		return nil, fmt.Errorf("%d bytes, the limit is %d", h.Size, limit)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(r, int64(limit)+1)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Import verifies a pack (see VerifyPack) and appends its envelopes to
// this store, with their stages and labels, as one atomic batch; the
// store's own verification applies too. The records get this log's
// indexes. Pruned records, which have no envelope to append, are left out.
func (s *Store) Import(ctx context.Context, r io.Reader, verifierKey string) ([]Record, error) {
	pack, err := VerifyPack(r, verifierKey)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(pack.Records))
	for _, rec := range pack.Records {
		if rec.Envelope != nil {
			entries = append(entries, Entry{Envelope: rec.Envelope, Stage: rec.Stage, Labels: rec.Labels})
		}
	}
	return s.Append(ctx, entries...)
}
