package ledger

import (
	"context"
	"slices"

	"github.com/paved-dev/paved/supplychain"
)

// Released returns the digests ("sha256:<hex>", sorted, without
// duplicates) of every artifact the ledger records as released for
// service, or for every service when service is empty: what a gate that
// ships only released artifacts (pipeline.WithReleased) checks against.
// Release records it cannot read are left out: an unreadable release
// never makes an artifact shippable.
func (l *Ledger) Released(ctx context.Context, service string) ([]string, error) {
	rels, _, err := l.releases(ctx, service)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rels {
		for _, a := range r.Artifacts {
			for _, d := range a.Digest.Digests() {
				if d.Algorithm == supplychain.SHA256 || d.Algorithm == supplychain.SHA512 {
					out = append(out, d.String())
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
