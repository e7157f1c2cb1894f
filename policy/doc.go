// Package policy is paved's policy-as-code engine: guardrails written in
// Rego v1, evaluated by an embedded OPA (github.com/open-policy-agent/opa
// v1), with audit-grade decisions.
//
// # Engine
//
// New compiles a policy set once, from a file system (FS), a directory
// (Dir), an OPA bundle (Bundle, signature-checked when WithBundleKey is
// set) or the built-in library (Builtin), and prepares one query per entry
// point. Evaluate then decides Requests, many times and concurrently.
// Reload swaps the policy set atomically; a set that does not compile is
// reported and the engine keeps serving the previous one.
//
// The engine is hermetic by default: its capabilities (Capabilities) lack
// http.send, net.*, opa.runtime and the nondeterministic builtins, so a
// policy calling one does not compile, and time.now_ns returns the
// engine clock's time (WithClock). WithNetworkUnsafe brings the network
// builtins back.
//
// # Conventions
//
// Close to conftest's: a package paved.<area or stage> holds rules
//
//	deny contains v if { ... }   # the control fails
//	warn contains v if { ... }   # the control warns
//
// where v is an object with "msg" and "control" (a control ID of the
// capability map, such as "DSO-BLD-04") and optionally "finding" (such as
// a CVE ID, which exceptions can waive one by one). Each deny and warn rule
// names its control in a METADATA annotation too, with the stages it
// applies at and the predicate types of the evidence it needs:
//
//	# METADATA
//	# title: SBOM produced per artifact
//	# custom:
//	#   control: DSO-BLD-04
//	#   stages: [build, release]
//	#   evidence: ["https://cyclonedx.org/bom", "https://spdx.dev/Document"]
//	deny contains v if { ... }
//
// # Decisions
//
// Each control gets a Status: pass, fail, waived, warn, manual,
// not_applicable or error. Missing evidence is an error, never a pass, and
// so is evidence older than its binding's MaxAge.
// Whether a control is mandatory or advisory comes from its Binding (the
// capability map's word, WithBindings), not from the Rego: an advisory
// control's deny is a warn. Without a binding, deny is mandatory.
// Exceptions (waivers) are applied in Go after evaluation; an expired one
// never applies and leaves a Note. A Decision records its ID, time,
// subject, policy digest and revision, input digest, evidence digests,
// per-control results with framework mappings, the exceptions applied and
// the outcome (allowed, blocked, or bypassed by whom and why). It encodes
// deterministically to JSON, to an in-toto statement with paved's
// policy-decision predicate (Decision.Statement), to a SLSA VSA
// (Decision.VSA), to SARIF 2.1.0 and to JUnit XML.
//
// # Input
//
// The input document is built once per evaluation, straight into OPA's
// value form, and passed to every entry point. InputSchema returns its
// JSON schema; Engine.Input returns it as canonical JSON. SBOMs appear as
// a summary (format, component count, package URLs, the root component
// and how many others record a digest; see SBOM) and secret scans as a
// finding count (SecretScan).
//
// # Built-in library
//
// Builtin holds guardrails for the default capability map's automatable
// controls, each with Rego tests that show it passing and failing (Library
// has them; policytest runs them):
//
//   - DSO-PLN-01 (plan): the change has an owner, a scope and a risk rating
//   - DSO-PLN-02 (plan): a high-risk change is reviewed by someone other
//     than its author before Build
//   - DSO-BLD-01: provenance from a trusted builder, signed by it
//   - DSO-BLD-02: the secret scan found nothing
//   - DSO-BLD-03 (build, advisory): every dependency in the SBOMs is
//     pinned to a version and locked by a digest
//   - DSO-BLD-04: an SBOM per artifact, with components
//   - DSO-BLD-05: no vulnerability open past its severity's SLA
//   - DSO-TST-01: tests passed; DSO-TST-02 (test, advisory): a security
//     test passed, a fuzz target or a dynamic scan
//   - DSO-SUP-01: the artifact's signature verified
//   - DSO-SUP-02: a verification summary (VSA) passed
//   - DSO-REL-01: release approved by someone other than the change's
//     author, and by two approvers for a high-risk change
//   - DSO-REL-02: a release attestation names the artifact
//   - DSO-REL-03 (operate, advisory): the deployment names the one it
//     replaced, its rollback target
//   - DSO-SUP-04 (release, advisory): a vulnerability accepted as
//     not_affected has a VEX justification, and none is accepted by an
//     exception instead of a VEX statement
//   - DSO-SUP-05: only digests the ledger records as released ship
//   - DSO-GOV-04: exceptions are well formed
//   - DSO-TST-03 (test): provenance, SBOM, secret and vulnerability
//     scans and test results are all there before release
//   - DSO-REL-04 (release): the artifact's latest Build and Test gate
//     decisions allowed it
//   - DSO-CMP-02: every gate since Build left a recorded decision
//   - DSO-CMP-03 (operate): no finding of the latest scan is open past
//     its deadline
//   - DSO-PLT-02: the stage's steps left link records signed by a
//     trusted builder; DSO-PLT-01 (advisory): built by a paved-road
//     pipeline
//   - DSO-XCT-01 (plan, release): approvers are members of the change's
//     owning team, never its author
//   - DSO-XCT-05 (release, operate): commit, release and deployment form
//     one chain
//   - DSO-OPS-01 (operate): the deployment is recorded with version,
//     environment and deployer; DSO-OPS-03: incidents have an owner and
//     a recorded causing deployment
//   - DSO-BLD-06, DSO-SUP-03 (advisory): a static analyser ran; SBOM
//     packages come from allowed sources
//   - DSO-RLB-01, DSO-RLB-02 (operate, advisory): the deployment lists
//     the changes it carries, for lead time; no incident about the
//     artifact is still open
//
// Findings a VEX statement suppressed (not_affected, fixed) are not open.
// The build, test and supply-chain guardrails apply at the release stage
// too, so a release gate rechecks them. Their settings live under
// data.guardrails (WithData; the default capability map's header lists
// them): trusted_builders (builder ID to signer identities),
// release_signers (identities), vulnerability_sla_days (severity to days;
// default critical 15, high 30, medium 90, low 180), teams (owning team
// to member identities), package_sources, paved_road_pipelines,
// static_analysers, security_tests (test-name patterns) and
// security_scanners (commands). A mandatory control whose setting is missing fails
// and says which setting to add.
//
// # Concurrency
//
// An Engine is safe for concurrent use by multiple goroutines; a Decision
// is a plain value.
package policy
