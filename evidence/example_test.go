package evidence_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Open a SQLite evidence store, append a signed statement, take a
// checkpoint and verify the statement's inclusion with nothing but the
// checkpoint's public key.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "evidence")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	// Keys: a CI signer the trust policy knows, and the log's checkpoint key.
	ci, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		fmt.Println(err)
		return
	}
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: ci.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{attest.PredicateTestResult}, Signers: []string{"ci"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	skey, vkey, err := note.GenerateKey(nil, "example.com/evidence")
	if err != nil {
		fmt.Println(err)
		return
	}

	backend, err := sqlite.Open(ctx, filepath.Join(dir, "evidence.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust), evidence.WithCheckpointKey(skey))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)

	st, err := attest.Build(attesttest.Samples()[1], attesttest.Subject()) // a test result
	if err != nil {
		fmt.Println(err)
		return
	}
	env, err := sign.Sign(ctx, ci, st)
	if err != nil {
		fmt.Println(err)
		return
	}
	raw, err := json.Marshal(env)
	if err != nil {
		fmt.Println(err)
		return
	}
	recs, err := store.Append(ctx, evidence.Entry{Envelope: raw, Stage: "test"})
	if err != nil {
		fmt.Println(err)
		return
	}

	cp, err := store.Checkpoint(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	proof, err := store.InclusionProof(ctx, recs[0].ID, cp)
	if err != nil {
		fmt.Println(err)
		return
	}
	// An auditor holds the record, the signed checkpoint and the proof.
	err = evidence.VerifyInclusion(vkey, cp.Note, recs[0], proof)
	fmt.Println("record", recs[0].Index, "of", cp.Size, "included:", err == nil)
	// Output: record 0 of 1 included: true
}
