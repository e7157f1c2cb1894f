package policy

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved/supplychain"
)

// Exception is a waiver of controls for some subjects, granted by someone
// other than its requester until an expiry. The engine applies it in Go,
// after evaluation: a matching, valid exception turns a control's fail or
// warn (or its missing evidence) into waived. An exception that would have
// matched but is expired, not yet granted or malformed never applies, and
// the decision says so in a Note.
type Exception struct {
	// ID identifies the exception.
	ID string `json:"id"`
	// Controls lists the IDs of the waived controls.
	Controls []string `json:"controls"`
	// Digests lists the subject digests ("sha256:<hex>") the exception
	// covers; PURLs lists package URL patterns (path.Match syntax, such as
	// "pkg:golang/example.com/app@*"). At least one of the two is
	// required.
	Digests []string `json:"digests,omitempty"`
	PURLs   []string `json:"purls,omitempty"`
	// Findings, when set, limits the waiver to the violations with these
	// finding IDs (such as CVE IDs); other violations stand.
	Findings []string `json:"findings,omitempty"`
	// Environments and Stages limit where the exception applies; empty
	// means anywhere.
	Environments []string `json:"environments,omitempty"`
	Stages       []string `json:"stages,omitempty"`
	// Justification says why, and what mitigates the risk.
	Justification string `json:"justification"`
	// RequestedBy and ApprovedBy are identities; they must differ.
	RequestedBy string `json:"requestedBy"`
	ApprovedBy  string `json:"approvedBy"`
	// Granted and Expires bound when the exception applies: from Granted,
	// until (not including) Expires.
	Granted time.Time `json:"granted"`
	Expires time.Time `json:"expires"`
}

// Check reports every reason the exception cannot apply at now under a
// maximum duration: missing fields, self-approval, an expiry not after the
// grant or further than max from it, a grant in the future, an expiry
// passed.
func (x *Exception) Check(now time.Time, max time.Duration) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if x.ID == "" {
		add("id: required")
	}
	if len(x.Controls) == 0 {
		add("controls: required")
	}
	if len(x.Digests) == 0 && len(x.PURLs) == 0 {
		add("scope: needs subject digests or purl patterns")
	}
	for _, d := range x.Digests {
		if _, err := supplychain.ParseDigest(d); err != nil {
			add("digests: %v", err)
		}
	}
	for _, p := range x.PURLs {
		if _, err := path.Match(p, ""); err != nil {
			add("purls: %q: %v", p, err)
		}
	}
	if strings.TrimSpace(x.Justification) == "" {
		add("justification: required")
	}
	if x.RequestedBy == "" {
		add("requestedBy: required")
	}
	if x.ApprovedBy == "" {
		add("approvedBy: required")
	} else if x.ApprovedBy == x.RequestedBy {
		add("approvedBy: approved by its requester %q", x.RequestedBy)
	}
	switch {
	case x.Granted.IsZero() || x.Expires.IsZero():
		add("granted and expires: required")
	case !x.Expires.After(x.Granted):
		add("expires: not after granted")
	case x.Expires.Sub(x.Granted) > max:
		add("expires: lasts %v, longer than the maximum %v", x.Expires.Sub(x.Granted), max)
	case now.Before(x.Granted):
		add("granted: not until %s", timeString(x.Granted))
	case !now.Before(x.Expires):
		add("expires: expired at %s", timeString(x.Expires))
	}
	return errors.Join(errs...)
}

// covers reports whether the exception's scope covers the control for the
// request, whatever its validity.
func (x *Exception) covers(r *Request, control string) bool {
	if !slices.Contains(x.Controls, control) {
		return false
	}
	if len(x.Environments) > 0 && !slices.Contains(x.Environments, r.Environment) {
		return false
	}
	if len(x.Stages) > 0 && !slices.Contains(x.Stages, r.Stage) {
		return false
	}
	for _, d := range x.Digests {
		if pd, err := supplychain.ParseDigest(d); err == nil && r.Subject.Digest[pd.Algorithm] == pd.Hex {
			return true
		}
	}
	if r.Subject.PURL != "" {
		for _, p := range x.PURLs {
			if ok, _ := path.Match(p, r.Subject.PURL); ok {
				return true
			}
		}
	}
	return false
}

// waives reports whether the exception waives a violation with the given
// finding ID.
func (x *Exception) waives(finding string) bool {
	return len(x.Findings) == 0 || (finding != "" && slices.Contains(x.Findings, finding))
}
