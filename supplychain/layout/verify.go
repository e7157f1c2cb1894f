package layout

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/paved-dev/paved/supplychain"
	"github.com/paved-dev/paved/supplychain/sign"
)

// Functionary is who signed a layout or a link.
type Functionary struct {
	// InTotoKeyID is the signing key's ID as in-toto computes it, the ID
	// that layouts, signatures and link file names use.
	InTotoKeyID string
	// Identity names the key as paved's sign package does: Identity.KeyID
	// is the hex sha256 of the public key's PKIX DER form. For a functionary
	// that signed with a certificate, Subject is the certificate's first URI
	// or e-mail subject alternative name, else its common name.
	Identity sign.Identity
}

// StepResult is one verified step.
type StepResult struct {
	// Name is the step's name.
	Name string
	// Functionaries signed the step's valid links, at least the step's
	// threshold of them, sorted by in-toto key ID.
	Functionaries []Functionary
	// Command is the command the step's links report; for a sublayout, the
	// command of the sublayout's last step.
	Command []string
	// Sublayouts holds, when functionaries delegated the step to sublayouts
	// of their own, each verified sublayout, in the order of Functionaries.
	Sublayouts []*Result
}

// Result is a verified supply chain.
type Result struct {
	// Products are the final products, the products of the layout's last
	// step: artifact path to digests.
	Products map[string]supplychain.DigestSet
	// Steps are the layout's steps, in layout order.
	Steps []StepResult
	// Inspections names the inspections that ran and whose artifact rules
	// held, in layout order.
	Inspections []string
	// SkippedInspections names the inspections that
	// WithSkipInspectionsUnsafe left unrun and unchecked.
	SkippedInspections []string
	// Expires is the layout's expiry.
	Expires time.Time
	// LayoutSigners are the root keys whose signatures on the layout
	// verified, sorted by in-toto key ID.
	LayoutSigners []Functionary
}

// Verifier verifies in-toto layouts against a fixed set of root keys. It is
// immutable and safe for concurrent use by multiple goroutines; with
// WithInspectionsUnsafe, concurrent verifications run their inspections in
// the same directory, so give each its own Verifier and directory.
type Verifier struct {
	keys map[string]in_toto.Key
	cfg  config
}

// NewVerifier returns a verifier that trusts layouts signed by rootKeys
// (every one of them, unless WithLayoutThreshold says fewer). It does no
// I/O. Bad options, conflicting options and duplicate or empty keys are a
// *VerificationError wrapping ErrInvalidOption or ErrInvalidKey.
func NewVerifier(rootKeys []PublicKey, opts ...Option) (*Verifier, error) {
	if len(rootKeys) == 0 {
		return nil, fail("configure", "", ErrInvalidKey, errors.New("no root keys"))
	}
	keys := make(map[string]in_toto.Key, len(rootKeys))
	for _, k := range rootKeys {
		if k.KeyID() == "" {
			return nil, fail("configure", "", ErrInvalidKey, errors.New("zero PublicKey; use ParsePublicKeys"))
		}
		if _, dup := keys[k.KeyID()]; dup {
			return nil, fail("configure", "", ErrInvalidKey, fmt.Errorf("key %s given twice", k.KeyID()))
		}
		keys[k.KeyID()] = k.key
	}
	cfg := config{
		seen:   map[string]bool{},
		clock:  time.Now,
		logger: slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if o == nil {
			return nil, fail("configure", "", ErrInvalidOption, errors.New("nil option"))
		}
		if err := o.apply(&cfg); err != nil {
			return nil, fail("configure", "", ErrInvalidOption, err)
		}
	}
	if cfg.inspectDir != "" && cfg.skipInspections {
		return nil, fail("configure", "", ErrInvalidOption, errors.New("WithInspectionsUnsafe and WithSkipInspectionsUnsafe conflict"))
	}
	if cfg.layoutThreshold > len(keys) {
		return nil, fail("configure", "", ErrInvalidOption, fmt.Errorf("WithLayoutThreshold: threshold %d exceeds the %d root keys", cfg.layoutThreshold, len(keys)))
	}
	if cfg.layoutThreshold == 0 {
		cfg.layoutThreshold = len(keys)
	}
	cfg.seen = nil
	return &Verifier{keys: keys, cfg: cfg}, nil
}

// Verify verifies the supply chain that l describes, with the links in
// linkDir, in in-toto's order:
//
//  1. the layout's signatures, by at least the threshold of root keys;
//  2. its expiry, against the clock of WithClock;
//  3. parameter substitution (WithParameters);
//  4. for each step, its links: files "<step>.<first 8 hex of key ID>.link"
//     (classic or DSSE) in linkDir, validly signed by at least the step's
//     threshold of distinct authorized functionaries (layout keys or
//     certificates meeting the step's constraints); invalid links are
//     ignored;
//  5. sublayouts: a link that is itself a layout is verified recursively
//     with the functionary's key, its links in
//     "<linkDir>/<step>.<first 8 hex of key ID>", and stands for its summary;
//  6. the links of one step agree on materials and products;
//  7. each step's artifact rules;
//  8. inspections: run and checked with WithInspectionsUnsafe, skipped with
//     WithSkipInspectionsUnsafe, else the layout is rejected with
//     ErrInspectionsDisabled (right after step 3, before any link is read).
//
// A rejection is a *VerificationError naming the step and wrapping a
// sentinel such as ErrLinkThreshold. Inspection commands run under ctx and
// are killed when it ends.
func (v *Verifier) Verify(ctx context.Context, l *Layout, linkDir string) (*Result, error) {
	if l == nil {
		return nil, fail("verify", "", ErrInvalidLayout, errors.New("nil layout"))
	}
	res, _, err := v.verify(ctx, l, v.keys, v.cfg.layoutThreshold, linkDir, "", 0)
	return res, err
}

// verify verifies one layout; scope is "" for the root layout and the
// qualified name of the step for a sublayout. It returns the result and the
// layout's summary link.
func (v *Verifier) verify(ctx context.Context, l *Layout, keys map[string]in_toto.Key, threshold int, linkDir, scope string, depth int) (*Result, in_toto.Metadata, error) {
	log := v.cfg.logger
	if err := ctx.Err(); err != nil {
		return nil, nil, &VerificationError{Op: "verify", Step: scope, Err: err}
	}
	res := &Result{Expires: l.expires}

	signers, err := verifyLayoutSignatures(l, keys, threshold)
	if err != nil {
		return nil, nil, fail("verify", scope, ErrLayoutSignature, err)
	}
	res.LayoutSigners = signers
	if now := v.cfg.clock(); now.After(l.expires) {
		return nil, nil, fail("verify", scope, ErrLayoutExpired, fmt.Errorf("expired at %s, now %s", l.expires.Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
	}
	log.DebugContext(ctx, "layout signature and expiry verified", "scope", scope, "signers", len(signers), "expires", l.expires)

	lay := l.layout
	if depth == 0 && len(v.cfg.parameters) > 0 {
		if lay, err = substitute(lay, v.cfg.parameters); err != nil {
			return nil, nil, fail("verify", scope, ErrInvalidLayout, err)
		}
	}
	if len(lay.Inspect) > 0 && v.cfg.inspectDir == "" && !v.cfg.skipInspections {
		return nil, nil, fail("verify", scope, ErrInspectionsDisabled, fmt.Errorf("the layout's inspections %q execute commands; WithInspectionsUnsafe runs them", l.Inspections()))
	}
	var roots, intermediates *x509.CertPool
	err = callLibrary(func() (err error) {
		roots, intermediates, err = in_toto.LoadLayoutCertificates(lay, nil)
		return err
	})
	if err != nil {
		return nil, nil, fail("verify", scope, ErrInvalidLayout, err)
	}

	files, err := linkFiles(linkDir)
	if err != nil {
		return nil, nil, &VerificationError{Op: "verify", Path: linkDir, Step: scope, Kind: ErrLinkThreshold, Err: err}
	}
	verified := make(map[string]map[string]in_toto.Metadata, len(lay.Steps))
	for _, step := range lay.Steps {
		if err := ctx.Err(); err != nil {
			return nil, nil, &VerificationError{Op: "verify", Step: scope, Err: err}
		}
		sr, links, err := v.verifyStep(ctx, lay, step, files, linkDir, roots, intermediates, scope, depth)
		if err != nil {
			return nil, nil, err
		}
		verified[step.Name] = links
		res.Steps = append(res.Steps, sr)
	}

	// The links of each step must agree; then one stands for the step.
	reduced := make(map[string]in_toto.Metadata, len(lay.Steps))
	for _, step := range lay.Steps {
		one := lay
		one.Steps = []in_toto.Step{step}
		var r map[string]in_toto.Metadata
		err := callLibrary(func() (err error) {
			r, err = in_toto.ReduceStepsMetadata(one, map[string]map[string]in_toto.Metadata{step.Name: verified[step.Name]})
			return err
		})
		if err != nil {
			return nil, nil, fail("verify", qualify(scope, step.Name), ErrLinksDisagree, err)
		}
		reduced[step.Name] = r[step.Name]
	}
	for i, step := range lay.Steps {
		if link, ok := reduced[step.Name].GetPayload().(in_toto.Link); ok {
			res.Steps[i].Command = link.Command
		}
		if err := callLibrary(func() error { return in_toto.VerifyArtifacts([]any{step}, reduced) }); err != nil {
			return nil, nil, fail("verify", qualify(scope, step.Name), ErrArtifactRule, err)
		}
	}
	log.DebugContext(ctx, "steps verified", "scope", scope, "steps", len(lay.Steps))

	if err := v.inspect(ctx, lay, reduced, scope, res); err != nil {
		return nil, nil, err
	}

	var summary in_toto.Metadata
	err = callLibrary(func() (err error) {
		// A sublayout's summary link is named after the step it stands for.
		summary, err = in_toto.GetSummaryLink(lay, reduced, scope[strings.LastIndex(scope, "/")+1:], false)
		return err
	})
	if err != nil {
		return nil, nil, fail("verify", scope, ErrInvalidLayout, err)
	}
	res.Products = map[string]supplychain.DigestSet{}
	if link, ok := summary.GetPayload().(in_toto.Link); ok {
		for name, digests := range link.Products {
			res.Products[name] = supplychain.DigestSet(maps.Clone(digests))
		}
	}
	return res, summary, nil
}

// verifyLayoutSignatures checks the layout's signature by each key and
// returns the signers, or an error when fewer than threshold signed.
func verifyLayoutSignatures(l *Layout, keys map[string]in_toto.Key, threshold int) ([]Functionary, error) {
	var signers []Functionary
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(keys)) {
		k := keys[id]
		if err := callLibrary(func() error { return l.md.VerifySignature(k) }); err != nil {
			errs = append(errs, fmt.Errorf("key %s: %w", id, err))
			continue
		}
		signers = append(signers, functionaryOf(k))
	}
	if len(signers) < threshold {
		return nil, fmt.Errorf("%d of %d root keys signed validly, %d required: %w", len(signers), len(keys), threshold, errors.Join(errs...))
	}
	return signers, nil
}

// substitute applies parameter substitution to a copy of lay, and checks
// the result again.
func substitute(lay in_toto.Layout, params map[string]string) (in_toto.Layout, error) {
	// SubstituteParameters writes into the step and inspection slices it is
	// given; copy them so that the parsed Layout stays unchanged.
	lay.Steps = slices.Clone(lay.Steps)
	lay.Inspect = slices.Clone(lay.Inspect)
	var out in_toto.Layout
	err := callLibrary(func() (err error) {
		out, err = in_toto.SubstituteParameters(lay, params)
		return err
	})
	if err != nil {
		return in_toto.Layout{}, err
	}
	if err := checkLayout(out); err != nil {
		return in_toto.Layout{}, fmt.Errorf("after parameter substitution: %w", err)
	}
	return out, nil
}

// linkFiles lists the names of the files in dir; a directory that does not
// exist holds no links.
func linkFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// verifyStep loads a step's links, checks their signatures and threshold,
// and verifies the sublayouts among them. It returns the step's result and
// its valid links by in-toto key ID, sublayouts replaced by their summary
// links.
func (v *Verifier) verifyStep(ctx context.Context, lay in_toto.Layout, step in_toto.Step, files []string, linkDir string, roots, intermediates *x509.CertPool, scope string, depth int) (StepResult, map[string]in_toto.Metadata, error) {
	name := qualify(scope, step.Name)
	links, sublayouts, rejected, err := loadLinks(step.Name, files, linkDir)
	if err != nil {
		return StepResult{}, nil, fail("verify", name, ErrLinkThreshold, err)
	}
	for _, r := range rejected {
		v.cfg.logger.WarnContext(ctx, "ignoring invalid link", "step", name, "error", r)
	}

	one := lay
	one.Steps = []in_toto.Step{step}
	var verified map[string]map[string]in_toto.Metadata
	err = callLibrary(func() (err error) {
		verified, err = in_toto.VerifyLinkSignatureThesholds(one, map[string]map[string]in_toto.Metadata{step.Name: links}, roots, intermediates)
		return err
	})
	if err != nil {
		return StepResult{}, nil, fail("verify", name, ErrLinkThreshold, errors.Join(append([]error{err}, rejected...)...))
	}
	valid := verified[step.Name]

	sr := StepResult{Name: step.Name}
	for _, id := range slices.Sorted(maps.Keys(valid)) {
		if k, ok := lay.Keys[id]; ok && slices.Contains(step.PubKeys, id) {
			sr.Functionaries = append(sr.Functionaries, functionaryOf(k))
		} else {
			sig, _ := valid[id].GetSignatureForKeyID(id)
			sr.Functionaries = append(sr.Functionaries, functionaryOfCertificate(id, sig.Certificate))
		}

		sub, ok := sublayouts[id]
		if !ok {
			v.checkCommand(ctx, step, name, id, valid[id])
			continue
		}
		if depth+1 > MaxSublayoutDepth {
			return StepResult{}, nil, fail("verify", name, ErrInvalidLayout, fmt.Errorf("sublayouts nest more than %d deep", MaxSublayoutDepth))
		}
		key, ok := lay.Keys[id]
		if !ok {
			return StepResult{}, nil, fail("verify", name, ErrLayoutSignature, fmt.Errorf("sublayout signed by %s, which is not a layout key", id))
		}
		subDir := filepath.Join(linkDir, fmt.Sprintf(in_toto.SublayoutLinkDirFormat, step.Name, id))
		subRes, summary, err := v.verify(ctx, sub, map[string]in_toto.Key{id: key}, 1, subDir, name, depth+1)
		if err != nil {
			return StepResult{}, nil, err
		}
		valid[id] = summary
		sr.Sublayouts = append(sr.Sublayouts, subRes)
	}
	return sr, valid, nil
}

// checkCommand logs a warning when a link's command differs from the step's
// expected command; in-toto treats that as a warning, not a failure.
func (v *Verifier) checkCommand(ctx context.Context, step in_toto.Step, name, keyID string, md in_toto.Metadata) {
	link, ok := md.GetPayload().(in_toto.Link)
	if !ok || slices.Equal(link.Command, step.ExpectedCommand) || len(link.Command) == 0 && len(step.ExpectedCommand) == 0 {
		return
	}
	v.cfg.logger.WarnContext(ctx, "link command differs from the step's expected command",
		"step", name, "keyid", keyID, "expected", step.ExpectedCommand, "reported", link.Command)
}

// loadLinks reads the link files of one step: among files, those named
// "<step>.<8 characters>.link". A link is stored under the full key ID of
// its signature that the 8 characters begin. Links that are unreadable,
// malformed, too large or for another step are returned as rejected, each
// wrapping ErrInvalidLink; only more than MaxLinksPerStep candidates is an
// error.
func loadLinks(step string, files []string, linkDir string) (map[string]in_toto.Metadata, map[string]*Layout, []error, error) {
	var candidates []string
	for _, f := range files {
		short, hasStep := strings.CutPrefix(f, step+".")
		short, isLink := strings.CutSuffix(short, ".link")
		if hasStep && isLink && len(short) == 8 {
			candidates = append(candidates, f)
		}
	}
	if len(candidates) > MaxLinksPerStep {
		return nil, nil, nil, fmt.Errorf("%w: %d link files, more than the %d allowed", ErrInvalidLink, len(candidates), MaxLinksPerStep)
	}
	links := map[string]in_toto.Metadata{}
	sublayouts := map[string]*Layout{}
	var rejected []error
	for _, f := range candidates {
		short := strings.TrimSuffix(strings.TrimPrefix(f, step+"."), ".link")
		md, sub, err := loadLink(step, filepath.Join(linkDir, f))
		if err != nil {
			rejected = append(rejected, fmt.Errorf("%w: %s: %v", ErrInvalidLink, f, err))
			continue
		}
		keyID := ""
		for _, sig := range md.Sigs() {
			if strings.HasPrefix(sig.KeyID, short) {
				keyID = sig.KeyID
				break
			}
		}
		if keyID == "" {
			rejected = append(rejected, fmt.Errorf("%w: %s: no signature by a key whose ID begins %s", ErrInvalidLink, f, short))
			continue
		}
		links[keyID] = md
		if sub != nil {
			sublayouts[keyID] = sub
		}
	}
	return links, sublayouts, rejected, nil
}

// loadLink reads and checks one link file of step; a sublayout is returned
// parsed as well.
func loadLink(step, path string) (in_toto.Metadata, *Layout, error) {
	data, err := readCapped(path, MaxLinkSize)
	if err != nil {
		return nil, nil, err
	}
	md, err := decodeMetadata(data)
	if err != nil {
		return nil, nil, err
	}
	switch payload := md.GetPayload().(type) {
	case in_toto.Link:
		if payload.Name != step {
			return nil, nil, fmt.Errorf("link of step %q", payload.Name)
		}
		mb := in_toto.Metablock{Signed: payload}
		if classic, ok := md.(*in_toto.Metablock); ok {
			mb.Signatures = classic.Signatures
		}
		if err := callLibrary(func() error { return in_toto.ValidateMetablock(mb) }); err != nil {
			return nil, nil, err
		}
		return md, nil, nil
	case in_toto.Layout:
		if len(data) > MaxLayoutSize {
			return nil, nil, fmt.Errorf("sublayout of %d bytes, more than the %d allowed", len(data), MaxLayoutSize)
		}
		sub, err := newLayout(md)
		if err != nil {
			return nil, nil, fmt.Errorf("sublayout: %w", err)
		}
		return md, sub, nil
	}
	return nil, nil, errors.New("neither a link nor a layout")
}

// qualify names a step of a sublayout "outer/inner".
func qualify(scope, step string) string {
	if scope == "" {
		return step
	}
	return scope + "/" + step
}
