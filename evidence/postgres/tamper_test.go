package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/evidencetest"
	"github.com/paved-dev/paved/evidence/postgres"
)

// tamperer edits a backend's tables directly, as someone with access to
// the database would.
type tamperer struct{ conn *pgx.Conn }

var _ evidencetest.Tamperer = tamperer{}

// exec runs statements in one transaction; want[i] >= 0 is the number of
// rows statement i must touch.
func (tm tamperer) exec(ctx context.Context, want []int64, stmts []string, args ...any) error {
	return pgx.BeginFunc(ctx, tm.conn, func(tx pgx.Tx) error {
		for i, s := range stmts {
			tag, err := tx.Exec(ctx, s, args...)
			if err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
			if want[i] >= 0 && tag.RowsAffected() != want[i] {
				return fmt.Errorf("%s: %d rows, want %d", s, tag.RowsAffected(), want[i])
			}
		}
		return nil
	})
}

func (tm tamperer) DeleteRecord(ctx context.Context, index uint64) error {
	return tm.exec(ctx, []int64{1, -1, -1, -1, -1}, []string{
		`DELETE FROM records WHERE idx = $1`,
		`DELETE FROM record_subject_digests WHERE idx = $1`,
		`DELETE FROM record_subject_names WHERE idx = $1`,
		`DELETE FROM record_labels WHERE idx = $1`,
		`DELETE FROM record_signers WHERE idx = $1`,
	}, int64(index))
}

func (tm tamperer) RewriteStage(ctx context.Context, index uint64, stage string) error {
	return tm.exec(ctx, []int64{1}, []string{`UPDATE records SET stage = $2 WHERE idx = $1`}, int64(index), stage)
}

// SwapRecords exchanges everything two rows say but their indexes, and
// their index rows with them.
func (tm tamperer) SwapRecords(ctx context.Context, i, j uint64) error {
	stmts := []string{
		// IDs are unique: move them aside first.
		`UPDATE records SET id = 'swap:' || id WHERE idx IN ($1, $2)`,
		`UPDATE records r SET (id, leaf_hash, envelope_size, predicate_type, stage, recorded_at, subjects, labels, signers) =
			(substr(o.id, 6), o.leaf_hash, o.envelope_size, o.predicate_type, o.stage, o.recorded_at, o.subjects, o.labels, o.signers)
			FROM records o WHERE (r.idx = $1 AND o.idx = $2) OR (r.idx = $2 AND o.idx = $1)`,
	}
	want := []int64{2, 2}
	for _, table := range []string{"record_subject_digests", "record_subject_names", "record_labels", "record_signers"} {
		stmts = append(stmts,
			`UPDATE `+table+` SET idx = -1 - idx WHERE idx IN ($1, $2)`,
			`UPDATE `+table+` SET idx = CASE idx WHEN -1 - $1::bigint THEN $2::bigint ELSE $1::bigint END WHERE idx IN (-1 - $1::bigint, -1 - $2::bigint)`)
		want = append(want, -1, -1)
	}
	return tm.exec(ctx, want, stmts, int64(i), int64(j))
}

func (tm tamperer) CorruptEnvelope(ctx context.Context, index uint64) error {
	return tm.exec(ctx, []int64{1}, []string{`UPDATE blobs SET envelope = set_byte(envelope, length(envelope) / 2, get_byte(envelope, length(envelope) / 2) # 1)
		WHERE id = (SELECT id FROM records WHERE idx = $1)`}, int64(index))
}

func TestConformance(t *testing.T) {
	serverURL(t)
	evidencetest.TestBackend(t, func(t *testing.T) (evidence.Backend, evidencetest.Tamperer) {
		conn := freshSchema(t)
		b, err := postgres.Open(context.Background(), conn)
		if err != nil {
			t.Fatal(err)
		}
		return b, tamperer{conn: connect(t, conn)}
	})
}
