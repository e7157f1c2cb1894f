package step

import (
	"github.com/paved-dev/paved/pipeline"
	"github.com/paved-dev/paved/supplychain/ledger"
	"github.com/paved-dev/paved/supplychain/secret"
	"github.com/paved-dev/paved/supplychain/sign"
	"github.com/paved-dev/paved/supplychain/vuln"
)

// Env is what the built-in kinds need beyond a template's parameters:
// the deployment facts a program wires once.
type Env struct {
	// Ledger records releases and deployments and answers what shipped.
	Ledger *ledger.Ledger
	// Signer signs artifacts (the Sign step).
	Signer *sign.Signer
	// Vulns is the OSV database VulnScan matches against.
	Vulns *vuln.DB
	// VulnOptions configure VulnScan's matcher: the team's VEX
	// statements (vuln.WithVEX), its SLA (vuln.WithSLA).
	VulnOptions []vuln.Option
	// Secrets scans for secrets (SecretScan); nil uses a scanner with
	// gitleaks' default rules.
	Secrets *secret.Scanner
	// Trust is the policy the Verify step checks evidence against.
	Trust *sign.Trust
}

// Kinds returns the built-in step kinds, by the names templates use, made
// with env. Add your own kinds to the map before loading a template.
func Kinds(env Env) pipeline.Kinds {
	k := pipeline.Kinds{}
	for _, add := range []func(Env, pipeline.Kinds){planKinds, buildKinds, testKinds, verifyKinds, releaseKinds, operateKinds} {
		add(env, k)
	}
	return k
}
