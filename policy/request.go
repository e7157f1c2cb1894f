package policy

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/attest"
)

// The pipeline stages a Request may gate.
const (
	StagePlan    = "plan"
	StageBuild   = "build"
	StageTest    = "test"
	StageRelease = "release"
	StageOperate = "operate"
)

// stages lists the stages in pipeline order.
var stages = []string{StagePlan, StageBuild, StageTest, StageRelease, StageOperate}

// Predicate types of the evidence the built-in library reads that
// supplychain/attest does not define: the SBOM formats (in-toto's
// CycloneDX and SPDX predicate types) and paved's secret-scan result.
const (
	PredicateCycloneDX  = "https://cyclonedx.org/bom"
	PredicateSPDX       = "https://spdx.dev/Document"
	PredicateSecretScan = "https://paved.dev/attestation/secret-scan/v1"
)

// Request is what one gate decision is about: a subject at a stage, with
// the verified evidence for that subject. The caller assembles it from the
// evidence store after verifying signatures; the engine trusts what it is
// given and checks only its shape.
type Request struct {
	// Stage is the gated stage, one of the Stage constants.
	Stage string
	// Environment is the target environment, such as "production"; empty
	// when the gate is not about one.
	Environment string
	// Deployer is the identity deploying to Environment (or cutting the
	// release), checked against the environment's identity boundary;
	// empty when not known.
	Deployer string
	// Subject is the artifact decided on.
	Subject supplychain.Subject
	// Evidence is the verified evidence about Subject. The input document
	// groups it by predicate type.
	Evidence []Evidence
	// Change is the plan record of the change being released, if any.
	Change *attest.Change
	// Approvals are the verified approvals of the change or release.
	Approvals []attest.Approval
	// Signatures are the verified signatures over the artifact itself.
	Signatures []Signature
	// Released lists the digests ("sha256:<hex>") that the ledger records
	// as released, for the gates that deploy only released artifacts.
	Released []string
	// Exceptions are the exceptions (waivers) that may apply; the engine
	// checks each one before applying it.
	Exceptions []Exception
	// Bypass, when set, lets a blocked decision through (break glass); the
	// decision records who and why.
	Bypass *Bypass
}

// Evidence is one verified attestation about the Request's subject.
type Evidence struct {
	// Predicate is the statement's decoded predicate: one of
	// supplychain/attest's types (attest.Provenance, attest.TestResult,
	// attest.Vulns, attest.Release, attest.VSA, attest.Deployment,
	// attest.Generic, ...), or SBOM or SecretScan.
	Predicate attest.Predicate
	// Digest is the digest of the envelope or statement the predicate came
	// from, "sha256:<hex>"; the decision lists it.
	Digest string
	// Signers are the identities whose signatures on the envelope
	// verified.
	Signers []string
	// Time is when the evidence was recorded; a binding's MaxAge compares
	// it with the evaluation time. Zero means unknown, which no MaxAge
	// accepts.
	Time time.Time
}

// SBOM is the policy input's summary of a software bill of materials
// (CycloneDX or SPDX): its format, the package URLs of its components,
// the one it describes and how many of the others record a digest.
// The input carries this summary instead of the whole document, so that a
// 2,000-component SBOM costs kilobytes, not megabytes, per evaluation.
type SBOM struct {
	// Type is the in-toto predicate type of the SBOM, such as
	// PredicateCycloneDX or PredicateSPDX (versioned forms such as
	// "https://cyclonedx.org/bom/v1.6" are accepted as they are).
	Type string `json:"-"`
	// Format is "CycloneDX" or "SPDX".
	Format string `json:"format"`
	// SpecVersion is the format's version, such as "1.6" or "2.3".
	SpecVersion string `json:"specVersion"`
	// Components is the number of components the SBOM lists.
	Components int `json:"components"`
	// PURLs lists the components' package URLs, where they have one.
	PURLs []string `json:"purls"`
	// Root is the package URL of the component the SBOM describes (a Go
	// binary's main module), or its name when it has none; empty when
	// the SBOM names no such component. Components counts it.
	Root string `json:"root,omitempty"`
	// Hashed is the number of components other than the root that record
	// a digest of their content, such as the go.sum hash a Go module's
	// has: the dependencies a lock file fixed.
	Hashed int `json:"hashed"`
}

// PredicateType returns s.Type.
func (s SBOM) PredicateType() string { return s.Type }

// Validate checks the type, the format and the component counts.
func (s SBOM) Validate() error {
	var errs []error
	if s.Type == "" {
		errs = append(errs, errors.New("type: required"))
	}
	if s.Format != "CycloneDX" && s.Format != "SPDX" {
		errs = append(errs, fmt.Errorf("format: %q is not CycloneDX or SPDX", s.Format))
	}
	if s.Components < len(s.PURLs) {
		errs = append(errs, fmt.Errorf("components: %d is fewer than the %d purls", s.Components, len(s.PURLs)))
	}
	if s.Hashed < 0 || s.Hashed > s.Components {
		errs = append(errs, fmt.Errorf("hashed: %d is not between 0 and the %d components", s.Hashed, s.Components))
	}
	return errors.Join(errs...)
}

// SecretScan is the policy input's summary of a secret scan of the
// subject's source and build files.
type SecretScan struct {
	// Scanner names the scanner, such as "gitleaks".
	Scanner string `json:"scanner"`
	// Findings is the number of secrets found that are not allow-listed.
	Findings int `json:"findings"`
	// Rules lists the IDs of the rules that matched, without the secrets.
	Rules []string `json:"rules,omitempty"`
}

// PredicateType returns PredicateSecretScan.
func (SecretScan) PredicateType() string { return PredicateSecretScan }

// Validate checks the scanner and that the count is not negative.
func (s SecretScan) Validate() error {
	var errs []error
	if s.Scanner == "" {
		errs = append(errs, errors.New("scanner: required"))
	}
	if s.Findings < 0 {
		errs = append(errs, fmt.Errorf("findings: %d is negative", s.Findings))
	}
	return errors.Join(errs...)
}

// Signature is a verified signature over the subject artifact.
type Signature struct {
	// Identity is the signer: a key's owner or a certificate's subject.
	Identity string `json:"identity"`
	// KeyID identifies the key, when known.
	KeyID string `json:"keyId,omitempty"`
}

// Bypass lets a blocked decision through, and says who decided and why.
type Bypass struct {
	// By is the identity that bypassed the gate.
	By string `json:"by"`
	// Reason says why.
	Reason string `json:"reason"`
}

// validate reports every problem with the request's shape.
func (r *Request) validate() error {
	var errs []error
	add := func(field string, err error) { errs = append(errs, &RequestError{Field: field, Err: err}) }
	if !slices.Contains(stages, r.Stage) {
		add("stage", fmt.Errorf("%q is not one of %v", r.Stage, stages))
	}
	if err := r.Subject.Validate(); err != nil {
		add("subject", err)
	}
	for i, ev := range r.Evidence {
		f := fmt.Sprintf("evidence[%d]", i)
		if v := reflect.ValueOf(ev.Predicate); ev.Predicate == nil || (v.Kind() == reflect.Pointer && v.IsNil()) {
			add(f+".predicate", errors.New("required"))
			continue
		}
		if ev.Predicate.PredicateType() == "" {
			add(f+".predicate", errors.New("no predicate type"))
		}
		if _, err := supplychain.ParseDigest(ev.Digest); err != nil {
			add(f+".digest", err)
		}
	}
	for i, d := range r.Released {
		if _, err := supplychain.ParseDigest(d); err != nil {
			add(fmt.Sprintf("released[%d]", i), err)
		}
	}
	for i, a := range r.Approvals {
		if err := a.Validate(); err != nil {
			add(fmt.Sprintf("approvals[%d]", i), err)
		}
	}
	if r.Change != nil {
		if err := r.Change.Validate(); err != nil {
			add("change", err)
		}
	}
	if r.Bypass != nil && (r.Bypass.By == "" || r.Bypass.Reason == "") {
		add("bypass", errors.New("needs both who (by) and why (reason)"))
	}
	return errors.Join(errs...)
}

// evidenceTimes returns, per predicate type of the evidence the request
// holds, the time of its newest item (zero when none has a time),
// counting the change and the approvals as the evidence they are.
func (r *Request) evidenceTimes() map[string]time.Time {
	times := make(map[string]time.Time, len(r.Evidence)+2)
	note := func(t string, at time.Time) {
		if prev, ok := times[t]; !ok || at.After(prev) {
			times[t] = at
		}
	}
	for _, ev := range r.Evidence {
		note(ev.Predicate.PredicateType(), ev.Time)
	}
	if r.Change != nil {
		note(attest.PredicateChange, r.Change.CreatedAt)
	}
	for _, a := range r.Approvals {
		note(attest.PredicateApproval, a.DecidedAt)
	}
	return times
}

// evidenceOf reports whether times holds evidence of type want, newer
// than maxAge before now when maxAge is set (evidence without a time is
// then too old). A versioned SBOM type ("https://cyclonedx.org/bom/v1.6")
// is evidence of its unversioned form.
func evidenceOf(times map[string]time.Time, want string, maxAge time.Duration, now time.Time) (present, fresh bool) {
	for t, at := range times {
		if t != want && !(len(t) > len(want) && t[:len(want)] == want && t[len(want)] == '/') {
			continue
		}
		present = true
		if maxAge == 0 || (!at.IsZero() && now.Sub(at) <= maxAge) {
			return true, true
		}
	}
	return present, false
}

// timeString formats t as the input document and decisions write times.
func timeString(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
