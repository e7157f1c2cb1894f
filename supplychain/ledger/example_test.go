package ledger_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Record three releases with their SBOMs in a SQLite evidence store,
// deploy two, and ask which releases contain log4j-core below 2.17.1,
// what runs in production, and where to roll back to.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ledger")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	// The release bot's key, trusted for the ledger's statements.
	bot, err := sign.GenerateKey(sign.Ed25519)
	if err != nil {
		fmt.Println(err)
		return
	}
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "release-bot", Key: bot.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{ledger.PredicateRelease, attest.PredicateDeployment, sbom.PredicateCycloneDX}, Signers: []string{"release-bot"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	backend, err := sqlite.Open(ctx, filepath.Join(dir, "evidence.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)
	l, err := ledger.New(store, bot)
	if err != nil {
		fmt.Println(err)
		return
	}

	day := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, rel := range []struct{ version, log4j string }{{"1.0.0", "2.14.1"}, {"1.1.0", "2.16.0"}, {"1.2.0", "2.17.1"}} {
		sum := sha256.Sum256([]byte("checkout " + rel.version))
		artifact := supplychain.Subject{Name: "checkout.jar", Digest: supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}}
		doc := fmt.Appendf(nil, `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[
			{"type":"library","group":"org.apache.logging.log4j","name":"log4j-core","version":%q,
			 "purl":"pkg:maven/org.apache.logging.log4j/log4j-core@%s"}]}`, rel.log4j, rel.log4j)
		sb, err := l.RecordSBOM(ctx, doc, artifact)
		if err != nil {
			fmt.Println(err)
			return
		}
		at := day.AddDate(0, 0, i)
		if _, err := l.RecordRelease(ctx, ledger.Release{Service: "checkout", Version: rel.version, Artifacts: []supplychain.Subject{artifact},
			SBOMs: []string{sb.ID}, ReleasedBy: "release-bot", ReleasedAt: at}); err != nil {
			fmt.Println(err)
			return
		}
		if i < 2 {
			if _, err := l.RecordDeployment(ctx, attest.Deployment{ID: "deploy-" + rel.version, Service: "checkout", Environment: "prod",
				Version: rel.version, Deployer: "release-bot", Kind: "normal", Outcome: "succeeded",
				StartedAt: at.Add(time.Hour), FinishedAt: at.Add(time.Hour + 5*time.Minute)}); err != nil {
				fmt.Println(err)
				return
			}
		}
	}

	below, err := ledger.ParseRange("<2.17.1")
	if err != nil {
		fmt.Println(err)
		return
	}
	report, err := l.Containing(ctx, "pkg:maven/org.apache.logging.log4j/log4j-core", below)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("log4j-core %s in %d releases:\n", below, report.Releases)
	for _, s := range report.Shipped {
		fmt.Println(" ", s.Release.ID(), "has", s.Component.Version, "deployed to", s.Environments)
	}

	running, err := l.Current(ctx, "prod")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range running {
		fmt.Println("prod runs", r.Release.ID())
	}
	target, err := l.RollbackTarget(ctx, "checkout", "prod")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("roll back to", target.ID())
	// Output:
	// log4j-core <2.17.1 in 3 releases:
	//   checkout@1.0.0 has 2.14.1 deployed to [prod]
	//   checkout@1.1.0 has 2.16.0 deployed to [prod]
	// prod runs checkout@1.1.0
	// roll back to checkout@1.0.0
}
