package ledger

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved/supplychain"
)

// PredicateRelease is the predicate type of the ledger's release
// statements. in-toto's release predicate (attest.PredicateRelease) holds
// only a package URL and a release ID; a ledger release must also sign
// which SBOMs, provenance and approvals it shipped with, so paved defines
// its own. Its JSON schema is ReleaseSchema.
const PredicateRelease = "https://paved.dev/attestation/release/v1"

// ReleaseSchema is the JSON schema (draft 2020-12) of the release
// predicate.
//
//go:embed schemas/release.json
var ReleaseSchema []byte

// Release is one shipped version of a service: the predicate of a release
// statement, whose subjects are the release's artifacts.
type Release struct {
	// Service names the service, such as "checkout".
	Service string `json:"service"`
	// Version is the released version, unique within the service.
	Version string `json:"version"`
	// Commit is the source commit the release was built from.
	Commit string `json:"commit,omitempty"`
	// SBOMs, Provenance and Approvals are the evidence record IDs
	// ("sha256:<hex>") of the release's SBOM statements, SLSA provenance
	// and approvals, already in the store.
	SBOMs      []string `json:"sboms,omitempty"`
	Provenance []string `json:"provenance,omitempty"`
	Approvals  []string `json:"approvals,omitempty"`
	// ReleasedBy is the identity that cut the release.
	ReleasedBy string `json:"releasedBy"`
	// ReleasedAt is when.
	ReleasedAt time.Time `json:"releasedAt"`

	// Artifacts are the statement's subjects: the released artifacts and
	// their digests. They are not part of the predicate.
	Artifacts []supplychain.Subject `json:"-"`
	// RecordID is the release statement's evidence record ID, set on
	// releases the ledger returns.
	RecordID string `json:"-"`
}

// ID returns "service@version", the change ID approvals of the release
// carry.
func (r Release) ID() string { return r.Service + "@" + r.Version }

// PredicateType returns PredicateRelease.
func (Release) PredicateType() string { return PredicateRelease }

// Validate checks the predicate's fields, each problem a *FieldError.
func (r Release) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Err: fmt.Errorf(format, args...)})
	}
	if strings.TrimSpace(r.Service) == "" {
		bad("service", "required")
	} else if strings.ContainsAny(r.Service, "@ \t\n") {
		bad("service", "%q holds '@' or white space", r.Service)
	}
	if strings.TrimSpace(r.Version) == "" {
		bad("version", "required")
	} else if strings.ContainsAny(r.Version, " \t\n") {
		bad("version", "%q holds white space", r.Version)
	}
	for _, refs := range []struct {
		name string
		ids  []string
	}{{"sboms", r.SBOMs}, {"provenance", r.Provenance}, {"approvals", r.Approvals}} {
		for i, id := range refs.ids {
			if _, err := supplychain.ParseDigest(id); err != nil {
				bad(fmt.Sprintf("%s[%d]", refs.name, i), "%v", err)
			}
		}
	}
	if r.ReleasedBy == "" {
		bad("releasedBy", "required")
	}
	if r.ReleasedAt.IsZero() {
		bad("releasedAt", "required")
	}
	return errors.Join(errs...)
}
