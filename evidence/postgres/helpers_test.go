package postgres_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/postgres"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// serverURL returns the URL of the test server. Without one the test is
// skipped, except in CI (CI=true), where it fails: .ci/run always starts
// a server.
func serverURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("PAVED_POSTGRES_URL")
	if u != "" {
		return u
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("PAVED_POSTGRES_URL is not set, and CI=true: .ci/run must start a PostgreSQL and export PAVED_POSTGRES_URL")
	}
	t.Skip("PAVED_POSTGRES_URL is not set; .ci/run starts a PostgreSQL")
	return ""
}

// freshSchema creates an empty schema for one test, dropped when the test
// ends, and returns a connection string whose search_path is that schema,
// with extra parameters (such as "pool_max_conns", "2") added.
func freshSchema(t testing.TB, params ...string) string {
	t.Helper()
	base := serverURL(t)
	ctx := context.Background()
	var buf [6]byte
	_, _ = rand.Read(buf[:])
	schema := "paved_test_" + hex.EncodeToString(buf[:])
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to PAVED_POSTGRES_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withParams(t, base, append([]string{"search_path", schema}, params...)...)
}

// withParams adds parameters to a connection string, a URL or keyword/value
// pairs.
func withParams(t testing.TB, conn string, kv ...string) string {
	t.Helper()
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			t.Fatalf("PAVED_POSTGRES_URL: %v", err)
		}
		q := u.Query()
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for i := 0; i+1 < len(kv); i += 2 {
		conn += " " + kv[i] + "=" + kv[i+1]
	}
	return conn
}

// open opens a backend on a fresh schema; the test closes it.
func open(t testing.TB, opts ...postgres.Option) (*postgres.Backend, string) {
	t.Helper()
	conn := freshSchema(t)
	b, err := postgres.Open(context.Background(), conn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b, conn
}

// connect opens a plain connection to the schema of conn, closed when the
// test ends.
func connect(t testing.TB, conn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

var epoch = time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)

// digestOf returns the hex sha256 of s.
func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// record returns an unsigned record named name: its envelope is made-up
// bytes, its leaf hash computed. Backend tests need no signatures.
func record(name string) evidence.Record {
	env := []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"` + name + `","signatures":[]}`)
	r := evidence.Record{
		ID:            "sha256:" + digestOf(string(env)),
		Envelope:      env,
		EnvelopeSize:  int64(len(env)),
		PredicateType: "https://example.com/" + name,
		Subjects:      []supplychain.Subject{{Name: name, Digest: supplychain.DigestSet{"sha256": digestOf(name)}}},
		Stage:         "build",
		Signers:       []sign.Identity{{KeyID: "key-" + name}},
		RecordedAt:    epoch,
	}
	r.LeafHash = r.ComputeLeafHash()
	return r
}

// rehash recomputes r's leaf hash after a change.
func rehash(r evidence.Record) evidence.Record {
	r.LeafHash = r.ComputeLeafHash()
	return r
}

// leafGrow is a GrowFunc for backend tests: it stores the leaves only, and
// reads the previous leaf to prove the reader works inside the append.
func leafGrow(size uint64, fresh []evidence.Record, read evidence.NodeReader) (map[evidence.NodeID][]byte, error) {
	if size > 0 {
		if _, err := read([]evidence.NodeID{{Level: 0, Index: size - 1}}); err != nil {
			return nil, err
		}
	}
	nodes := make(map[evidence.NodeID][]byte, len(fresh))
	for i, r := range fresh {
		nodes[evidence.NodeID{Level: 0, Index: size + uint64(i)}] = r.LeafHash
	}
	return nodes, nil
}

// all collects an iterator, failing the test on an error.
func all[T any](t testing.TB, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func indexes(rs []evidence.Record) []uint64 {
	out := make([]uint64, len(rs))
	for i, r := range rs {
		out[i] = r.Index
	}
	return out
}

// signing makes signed entries, as a pipeline would.
type signing struct {
	signer *sign.Signer
	trust  *sign.Trust
}

func newSigning(t testing.TB) *signing {
	t.Helper()
	s, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: s.Verifier}}, []sign.Rule{{PredicateTypes: []string{"*"}, Signers: []string{"ci"}}})
	if err != nil {
		t.Fatal(err)
	}
	return &signing{signer: s, trust: trust}
}

// entry returns a signed entry about the artifact called name.
func (s *signing) entry(t testing.TB, name, stage string) evidence.Entry {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	subject := supplychain.Subject{Name: name, Digest: supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}}
	st, err := attest.Build(attest.Generic{Type: "https://example.com/scan/v1", JSON: json.RawMessage(fmt.Sprintf(`{"artifact":%q}`, name))}, subject)
	if err != nil {
		t.Fatal(err)
	}
	env, err := sign.Sign(context.Background(), s.signer, st)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return evidence.Entry{Envelope: b, Stage: stage}
}
