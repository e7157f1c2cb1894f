package attest

import (
	"fmt"
	"time"
)

// paved's drift predicates: what runs against what the ledger says, and a
// configuration as it is against as it should be.
const (
	PredicateDeploymentDrift = "https://paved.dev/attestation/deployment-drift/v1"
	PredicateConfigDrift     = "https://paved.dev/attestation/config-drift/v1"
)

// DeploymentDrift records a drift check of an environment: what the
// ledger says runs there against what was observed running.
type DeploymentDrift struct {
	// Environment is where.
	Environment string `json:"environment"`
	// Checked lists the services checked.
	Checked []string `json:"checked"`
	// Drifts lists the mismatches; empty when there is none.
	Drifts []Drift `json:"drifts"`
	// CheckedAt is when.
	CheckedAt time.Time `json:"checkedAt"`
}

// Drift is one service whose running digest is not what the ledger says.
type Drift struct {
	// Service is the service.
	Service string `json:"service"`
	// ExpectedVersion and Expected are the version and digests the ledger
	// says run; empty for a service the ledger never deployed there.
	ExpectedVersion string   `json:"expectedVersion,omitempty"`
	Expected        []string `json:"expected,omitempty"`
	// Observed is the digest observed; empty when the service was not
	// observed.
	Observed string `json:"observed,omitempty"`
	// Reason says what is wrong.
	Reason string `json:"reason"`
}

// PredicateType returns PredicateDeploymentDrift.
func (DeploymentDrift) PredicateType() string { return PredicateDeploymentDrift }

// Validate checks the environment, the time, and each drift's service,
// reason and digests.
func (d DeploymentDrift) Validate() error {
	p := &problems{typ: PredicateDeploymentDrift}
	p.required("environment", d.Environment)
	for i, x := range d.Drifts {
		f := fmt.Sprintf("drifts[%d]", i)
		p.required(f+".service", x.Service)
		p.required(f+".reason", x.Reason)
		for j, e := range x.Expected {
			p.digest(fmt.Sprintf("%s.expected[%d]", f, j), e)
		}
		if x.Observed != "" {
			p.digest(f+".observed", x.Observed)
		}
	}
	p.time("checkedAt", d.CheckedAt)
	return p.err()
}

// ConfigDrift records a configuration compared with its desired state (an
// IaC plan's or a rendered manifest's): the differences, by path.
type ConfigDrift struct {
	// Name names the configuration, such as "deploy/shop.yaml".
	Name string `json:"name"`
	// Environment is where the actual configuration was read, if any.
	Environment string `json:"environment,omitempty"`
	// Desired and Actual are the digests ("sha256:<hex>") of the two
	// documents compared.
	Desired string `json:"desired"`
	Actual  string `json:"actual"`
	// Differences lists what differs, sorted by path; empty when the
	// actual configuration is as desired.
	Differences []ConfigDifference `json:"differences"`
	// CheckedAt is when.
	CheckedAt time.Time `json:"checkedAt"`
}

// ConfigDifference is one difference between a desired and an actual
// document.
type ConfigDifference struct {
	// Path locates the value, rooted at $: "$.spec.replicas",
	// "$.containers[0].image", with keys that are not identifiers
	// quoted as in "$['app.kubernetes.io/name']".
	Path string `json:"path"`
	// Kind is "added" (only in the actual document), "removed" (only in
	// the desired one) or "changed".
	Kind string `json:"kind"`
	// Desired and Actual are the values at Path, absent where the kind
	// says there is none; a redacted value is the string "(redacted)".
	Desired any `json:"desired,omitempty"`
	Actual  any `json:"actual,omitempty"`
}

// PredicateType returns PredicateConfigDrift.
func (ConfigDrift) PredicateType() string { return PredicateConfigDrift }

// Validate checks the name, the digests, the time, and each difference's
// path and kind.
func (c ConfigDrift) Validate() error {
	p := &problems{typ: PredicateConfigDrift}
	p.required("name", c.Name)
	p.digest("desired", c.Desired)
	p.digest("actual", c.Actual)
	for i, d := range c.Differences {
		f := fmt.Sprintf("differences[%d]", i)
		if len(d.Path) == 0 || d.Path[0] != '$' {
			p.add(f+".path", "%q is not rooted at $", d.Path)
		}
		p.oneOf(f+".kind", d.Kind, "added", "removed", "changed")
	}
	p.time("checkedAt", c.CheckedAt)
	return p.err()
}
