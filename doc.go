// Package paved is an embeddable SDK that turns a DevSecOps capability into
// code: it makes ownership, automation and evidence visible while delivery
// stays fast.
//
// A DevSecOps programme works when it is a capability map, not a pile of
// tools. paved models that map and makes it executable across eight areas:
//
//   - governance and ownership: a capability map with a named programme
//     owner, controls with owners, mandatory and advisory guardrails, an
//     exception review path and a backlog of gaps;
//   - self-service platform: the paved road of reusable pipeline templates,
//     secrets handling, policy checks, deployment approvals and
//     observability hooks;
//   - delivery pipeline stages: Plan, Build, Test, Release and Operate as
//     gated stages whose every step leaves signed evidence;
//   - supply-chain controls: SBOMs, provenance, signing and verification,
//     upstream vulnerabilities and a ledger of the versions that shipped;
//   - platform foundation: environments with identity boundaries,
//     infrastructure as code and drift detection;
//   - security and compliance services: controls mapped to frameworks,
//     evidence, approvals, vulnerability response, policy as code and
//     reports that reflect the real state;
//   - cross-cutting controls: access control, secrets, retention, alert
//     routing and change traceability;
//   - reliability operations: the DORA metrics and the toil removed.
//
// # Data flow
//
// Work (source, commands, artifacts) runs as a step of a pipeline stage. The
// step's claims become an in-toto Statement (supplychain/attest), signed
// into a DSSE envelope (supplychain/sign) and appended to a tamper-evident
// evidence log with signed checkpoints (evidence). Policy (policy) judges the
// evidence for a subject; its decision is recorded as evidence too. The
// capability map (capability) turns decisions into control statuses, a
// backlog and reports, and metrics computes DORA from the same records.
//
// # Embedding
//
// Open wires the whole model for a tool that embeds paved into a Program,
// from one directory:
//
//	prog, err := paved.Open(ctx, ".paved")
//	...
//	defer prog.Close(ctx)
//	run, err := prog.Runner().Run(ctx, p) // p: a pipeline.Pipeline
//
// By default the Program holds the built-in capability map
// (capability.Default), a SQLite evidence store in dir/evidence.db, an
// Ed25519 signing key and a checkpoint note key generated under dir/keys
// on first use (private halves with mode 0600; a key file others may read
// is refused) and loaded afterwards, a trust policy that trusts that key
// for everything, a policy engine with the built-in guardrails
// (policy.Builtin and platform/iac's) bound to the map's controls and
// environments, a ledger of what shipped, and a pipeline runner that gates
// every stage with the engine and admits at release only the digests the
// ledger records as released. Options replace each part: WithMap or
// WithMapFile, WithBackend (such as evidence/postgres), WithSigner,
// WithTrust, WithCheckpointKey, WithPolicies and WithGuardrails for the
// caller's Rego modules and settings, WithService, WithClock and
// WithLogger. Conflicting options, and an option given twice, are errors.
// The DORA metrics read the same store: metrics/evidencelog.Read(ctx,
// prog.Store()). A Program is safe for concurrent use; after Close its
// store's methods return ErrClosed.
//
// # Packages
//
//   - capability: the governance model: Map, Area, Capability, Control,
//     Owner, Enforcement, Exception, Backlog; strict YAML and JSON loading;
//     the built-in map and framework catalogs.
//   - supplychain: Subject and digests shared by the supply-chain packages.
//   - supplychain/attest: in-toto Statement v1 with typed predicates (SLSA
//     provenance, test results, vulnerabilities, links, releases, VSAs and
//     paved's own approval, change, policy decision, exception, deployment
//     and incident records).
//   - supplychain/sign: DSSE signing and offline verification under a trust
//     policy; supplychain/sign/sigstore: sigstore bundles, verified offline
//     against a trusted root or keys.
//   - supplychain/layout: classic in-toto layouts and links.
//   - evidence: the tamper-evident evidence log (Merkle tree, signed
//     checkpoints, proofs, audit); backends in evidence/sqlite and
//     evidence/postgres, their conformance suite in evidence/evidencetest.
//   - supplychain/ledger: the releases and deployments that shipped.
//   - policy: the embedded OPA engine and the built-in guardrail library.
//   - pipeline: the stages, steps, gates and the Runner; built-in steps in
//     pipeline/step.
//   - platform/iac: infrastructure-as-code plans and the platform
//     foundation's guardrails.
//   - metrics: DORA, from the ledger and evidence store
//     (metrics/evidencelog) or other event sources.
//   - examples: runnable programs, starting with examples/quickstart.
//
// Each package documents whether its types are safe for concurrent use.
package paved
