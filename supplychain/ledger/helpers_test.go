package ledger_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/sbom"
	"github.com/paved-dev/paved/supplychain/sign"
)

// t0 is the fixed time the tests start from.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// fixture is a ledger over a real SQLite evidence store in a temporary
// directory, with a release bot's key and a release manager's.
type fixture struct {
	ctx      context.Context
	store    *evidence.Store
	ledger   *ledger.Ledger
	bot      *sign.Signer
	manager  *sign.Signer
	outsider *sign.Signer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	bot, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	manager, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	outsider, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust(
		[]sign.TrustedKey{{Name: "release-bot", Key: bot.Verifier}, {Name: "release-manager", Key: manager.Verifier}},
		[]sign.Rule{
			{PredicateTypes: []string{ledger.PredicateRelease, attest.PredicateDeployment, sbom.PredicateCycloneDX, sbom.PredicateSPDX, attest.PredicateSLSAProvenance, attest.PredicatePrune}, Signers: []string{"release-bot"}},
			{PredicateTypes: []string{attest.PredicateApproval}, Signers: []string{"release-manager"}},
		})
	require.NoError(t, err)
	backend, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "evidence.db"))
	require.NoError(t, err)
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(ctx) })
	l, err := ledger.New(store, bot)
	require.NoError(t, err)
	return &fixture{ctx: ctx, store: store, ledger: l, bot: bot, manager: manager, outsider: outsider}
}

// artifact returns a subject for a service's build at a version.
func artifact(service, version string) supplychain.Subject {
	sum := sha256.Sum256([]byte(service + "@" + version))
	return supplychain.Subject{Name: service + ".tar.gz", Digest: supplychain.DigestSet{"sha256": hex.EncodeToString(sum[:])}}
}

// cyclonedx returns a CycloneDX 1.5 JSON SBOM of a Java service with the
// given Maven components (group:name -> version).
func cyclonedx(t testing.TB, service, version string, deps map[string]string) []byte {
	t.Helper()
	comps := []map[string]any{}
	for gn, v := range deps {
		group, name, ok := strings.Cut(gn, ":")
		require.True(t, ok, gn)
		comps = append(comps, map[string]any{
			"type": "library", "bom-ref": gn, "group": group, "name": name, "version": v,
			"purl": fmt.Sprintf("pkg:maven/%s/%s@%s", group, name, v),
		})
	}
	doc := map[string]any{
		"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
		"serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
		"metadata": map[string]any{
			"timestamp": t0.Format(time.RFC3339),
			"component": map[string]any{"type": "application", "bom-ref": "root", "name": service, "version": version},
		},
		"components": comps,
	}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

// spdx returns an SPDX 2.3 JSON SBOM with one Maven package.
func spdx(t testing.TB, service, group, name, version string) []byte {
	t.Helper()
	doc := map[string]any{
		"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
		"name": service, "documentNamespace": "https://example.com/spdx/" + service,
		"creationInfo": map[string]any{"created": t0.Format(time.RFC3339), "creators": []string{"Tool: test"}},
		"packages": []map[string]any{{
			"SPDXID": "SPDXRef-dep", "name": name, "versionInfo": version, "downloadLocation": "NOASSERTION",
			"externalRefs": []map[string]any{{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
				"referenceLocator": fmt.Sprintf("pkg:maven/%s/%s@%s", group, name, version)}},
		}},
	}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

// appendSigned signs a statement with signer and appends it at the
// release stage.
func (f *fixture) appendSigned(t testing.TB, signer *sign.Signer, p attest.Predicate, subjects ...supplychain.Subject) string {
	t.Helper()
	st, err := attest.Build(p, subjects...)
	require.NoError(t, err)
	env, err := sign.Sign(f.ctx, signer, st)
	require.NoError(t, err)
	raw, err := json.Marshal(env)
	require.NoError(t, err)
	recs, err := f.store.Append(f.ctx, evidence.Entry{Envelope: raw, Stage: ledger.Stage})
	require.NoError(t, err)
	return recs[0].ID
}

// approve records the release manager's approval of service@version.
func (f *fixture) approve(t testing.TB, service, version string) string {
	t.Helper()
	return f.appendSigned(t, f.manager, attest.Approval{Approver: "rm@example.com", Decision: "approved",
		ChangeID: service + "@" + version, Stage: "release", DecidedAt: t0}, artifact(service, version))
}

// provenance records SLSA provenance of the service's artifact.
func (f *fixture) provenance(t testing.TB, service, version string) string {
	t.Helper()
	return f.appendSigned(t, f.bot, attesttest.Samples()[0], artifact(service, version))
}

// release records a release of service@version with an SBOM, provenance
// and an approval, released at the given time.
func (f *fixture) release(t testing.TB, service, version string, doc []byte, at time.Time) ledger.Release {
	t.Helper()
	a := artifact(service, version)
	sb, err := f.ledger.RecordSBOM(f.ctx, doc, a)
	require.NoError(t, err)
	r, err := f.ledger.RecordRelease(f.ctx, ledger.Release{
		Service: service, Version: version, Commit: "0123456789abcdef0123456789abcdef01234567",
		Artifacts: []supplychain.Subject{a}, SBOMs: []string{sb.ID},
		Provenance: []string{f.provenance(t, service, version)}, Approvals: []string{f.approve(t, service, version)},
		ReleasedBy: "release-bot@example.com", ReleasedAt: at,
	})
	require.NoError(t, err)
	return r
}

// deploy records a deployment.
func (f *fixture) deploy(t testing.TB, id, service, version, env, outcome string, at time.Time) {
	t.Helper()
	_, err := f.ledger.RecordDeployment(f.ctx, attest.Deployment{ID: id, Service: service, Environment: env, Version: version,
		Deployer: "deploy-bot@example.com", Kind: "normal", Outcome: outcome, StartedAt: at, FinishedAt: at.Add(5 * time.Minute)})
	require.NoError(t, err)
}
