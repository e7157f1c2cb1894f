package sqlite

import (
	"context"
	"time"
)

// Prune drops the envelopes of the records with the given IDs and marks
// them pruned at the given time, in one BEGIN IMMEDIATE transaction:
// each record's row, leaf hash and tree nodes stay, its envelope is emptied
// (SQLite reuses the freed pages). Unknown and already pruned IDs are
// skipped. It returns how many records it pruned. It implements
// evidence.Pruner.
func (b *Backend) Prune(ctx context.Context, ids []string, at time.Time) (n int, err error) {
	if err := b.errIfClosed("prune"); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	tx, err := b.write.BeginTx(ctx, nil) // BEGIN IMMEDIATE: see the DSN
	if err != nil {
		return 0, b.fail("prune", "", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			err = b.fail("prune", "", err)
		}
	}()
	mark, err := tx.PrepareContext(ctx, `UPDATE records SET pruned_at = ? WHERE id = ? AND pruned_at IS NULL`)
	if err != nil {
		return 0, err
	}
	defer mark.Close()
	empty, err := tx.PrepareContext(ctx, `UPDATE envelopes SET data = x'' WHERE idx = (SELECT idx FROM records WHERE id = ?)`)
	if err != nil {
		return 0, err
	}
	defer empty.Close()
	micros := at.UnixMicro()
	for _, id := range ids {
		res, err := mark.ExecContext(ctx, micros, id)
		if err != nil {
			return 0, err
		}
		if k, err := res.RowsAffected(); err != nil {
			return 0, err
		} else if k == 0 {
			continue
		}
		if _, err := empty.ExecContext(ctx, id); err != nil {
			return 0, err
		}
		n++
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	b.log.DebugContext(ctx, "sqlite: pruned", "path", b.path, "records", n)
	return n, nil
}
