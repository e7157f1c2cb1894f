// Package layout verifies classic in-toto supply chains: a signed layout,
// the links its functionaries recorded, and the layout's inspections, with
// in-toto-golang underneath, so that teams already using in-toto verify
// their releases through paved.
//
// # Concepts
//
// A layout, signed by the project owner's root keys, lists the steps of a
// supply chain, which functionaries (keys or certificate constraints) may
// perform each and how many must agree (the threshold), and artifact rules
// (MATCH, ALLOW, DISALLOW, REQUIRE, CREATE, DELETE, MODIFY) that tie each
// step's materials and products to the others'. Each functionary records a
// link per step, a signed list of the files it used and produced. A step may
// be delegated to a sublayout, which a functionary signs and whose links lie
// in a subdirectory. Inspections are commands the verifier itself runs, for
// example to unpack the final product and compare its contents with what the
// steps produced.
//
// [Parse] and [ReadFile] read a layout in the classic form or as a DSSE
// envelope; [ParsePublicKeys] reads the root keys from PEM. [NewVerifier]
// takes the root keys and options, and [Verifier.Verify] checks the layout's
// signatures and expiry, every step's links, thresholds and artifact rules,
// sublayouts, and inspections, and returns a [Result]: the final products
// with their digests, who signed each step, and the layout's expiry.
// Functionaries are named both by in-toto key ID and by paved's (the sha256
// of the PKIX public key, as in package sign).
//
// Inspections execute commands. They run only with [WithInspectionsUnsafe];
// [WithSkipInspectionsUnsafe] accepts a layout without running them; with
// neither, a layout that has inspections is rejected with
// [ErrInspectionsDisabled] and nothing is executed.
//
// Rejections are *[VerificationError] values naming the step, which unwrap
// to sentinels such as [ErrLayoutSignature], [ErrLayoutExpired],
// [ErrLinkThreshold] and [ErrArtifactRule]. Inputs read from disk are
// capped: [MaxLayoutSize], [MaxLinkSize], [MaxLinksPerStep] and
// [MaxKeyFileSize]; sublayouts nest at most [MaxSublayoutDepth] deep.
//
// # Concurrency
//
// [Layout], [PublicKey] and [Verifier] are immutable and safe for concurrent
// use by multiple goroutines. Verifications that run inspections should each
// have their own inspection directory, since inspection commands may change
// it. The package has no global state and writes nothing but what
// inspection commands themselves write; it logs only to the *slog.Logger
// given with [WithLogger].
package layout
