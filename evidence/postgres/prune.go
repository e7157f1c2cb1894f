package postgres

import (
	"context"
	"log/slog"
	"time"
)

// Prune drops the envelopes of the records with the given IDs and marks
// them pruned at the given time, in one statement: each record's row,
// leaf hash and tree nodes stay, its envelope becomes empty (an UPDATE, so
// a role without DELETE can prune). Unknown and already pruned IDs are
// skipped. It returns how many records it pruned. It implements
// evidence.Pruner.
func (b *Backend) Prune(ctx context.Context, ids []string, at time.Time) (int, error) {
	const op = "prune"
	if err := b.checkOpen(op); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	var n int
	err := b.pool.QueryRow(ctx, `WITH p AS (
			UPDATE records SET pruned_at = $2 WHERE id = ANY($1::text[]) AND pruned_at IS NULL RETURNING id
		), e AS (
			UPDATE blobs b SET envelope = ''::bytea FROM p WHERE b.id = p.id RETURNING 1
		)
		SELECT count(*) FROM p`, ids, at.UnixMicro()).Scan(&n)
	if err != nil {
		return 0, b.fail(op, err)
	}
	b.logger.LogAttrs(ctx, slog.LevelDebug, "postgres: pruned", slog.Int("records", n))
	return n, nil
}
