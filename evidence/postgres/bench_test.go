package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paved-dev/paved/evidence"
)

// BenchmarkAppend measures appends of signed entries through an
// evidence.Store that verifies them (one at a time, and in batches of 100),
// beside bare INSERTs of equivalent rows (the record's columns and its
// envelope) into one plain table, one per transaction and 100 per
// transaction: the price of the log's verification, Merkle tree, index
// tables and cross-process lock. records/s counts records, whatever the
// batch.
func BenchmarkAppend(b *testing.B) {
	sg := newSigning(b)
	entries := func(b *testing.B, n int) []evidence.Entry {
		b.Helper()
		out := make([]evidence.Entry, n)
		for i := range out {
			out[i] = sg.entry(b, fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i), "build")
		}
		return out
	}
	for _, batch := range []int{1, 100} {
		name := "store/single"
		if batch > 1 {
			name = fmt.Sprintf("store/batch%d", batch)
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			backend, _ := open(b)
			s, err := evidence.Open(ctx, backend, evidence.WithTrust(sg.trust))
			if err != nil {
				b.Fatal(err)
			}
			es := entries(b, b.N*batch)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := s.Append(ctx, es[i*batch:(i+1)*batch]...); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
		})
	}
	for _, batch := range []int{1, 100} {
		name := "insert/single"
		if batch > 1 {
			name = fmt.Sprintf("insert/tx%d", batch)
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			conn := connect(b, freshSchema(b))
			if _, err := conn.Exec(ctx, `CREATE TABLE plain (
				idx bigint PRIMARY KEY, id text NOT NULL UNIQUE, leaf_hash bytea NOT NULL, envelope_size bigint NOT NULL,
				predicate_type text NOT NULL, stage text NOT NULL, recorded_at bigint NOT NULL,
				subjects jsonb NOT NULL, labels jsonb NOT NULL, signers jsonb NOT NULL, envelope bytea NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			rows := plainRows(b, entries(b, b.N*batch))
			const insert = `INSERT INTO plain VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9::text::jsonb, $10::text::jsonb, $11)`
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if batch == 1 {
					if _, err := conn.Exec(ctx, insert, rows[i]...); err != nil {
						b.Fatal(err)
					}
					continue
				}
				err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
					for _, row := range rows[i*batch : (i+1)*batch] {
						if _, err := tx.Exec(ctx, insert, row...); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// plainRows turns entries into the column values of the plain table, with
// the JSON a record's row would hold.
func plainRows(b *testing.B, es []evidence.Entry) [][]any {
	b.Helper()
	rows := make([][]any, len(es))
	for i, e := range es {
		sum := sha256.Sum256(e.Envelope)
		leaf := sha256.Sum256(sum[:])
		subjects, _ := json.Marshal([]map[string]any{{"name": fmt.Sprint("bench-", i), "digest": map[string]string{"sha256": hex.EncodeToString(sum[:])}}})
		signers, _ := json.Marshal([]map[string]string{{"keyid": hex.EncodeToString(leaf[:]), "name": "ci"}})
		rows[i] = []any{int64(i), "sha256:" + hex.EncodeToString(sum[:]), leaf[:], int64(len(e.Envelope)),
			"https://example.com/scan/v1", e.Stage, time.Now().UnixMicro(), string(subjects), "null", string(signers), e.Envelope}
	}
	return rows
}
