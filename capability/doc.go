// Package capability models a DevSecOps programme as a capability map: the
// governance layer that says who owns what, which guardrails are mandatory,
// how exceptions are reviewed and which gaps remain.
//
// A [Map] has a programme owner, a list of [Owner] teams and people, and up
// to eight areas ([AreaID]: governance, platform, pipeline, supply-chain,
// foundation, compliance, cross-cutting, reliability). Each [Area] holds
// capabilities, and each [Capability] holds the [Control] values that check
// it. A control names the pipeline [Stage] values it applies to, its
// [Enforcement] (a [Mandatory] guardrail stops a pipeline, an [Advisory] one
// warns), its owner (or inherits its capability's or area's), the evidence
// it needs as in-toto predicate types, the Rego query that checks it (or
// that it is manual), and the framework entries it maps to.
//
// Framework mappings are checked against reference catalogs shipped with the
// package ([Catalogs]): NIST SSDF 1.1, SLSA 1.0, OpenSSF Scorecard, NIST SP
// 800-53 rev5, SOC 2 and the CIS Software Supply Chain Security Guide. The
// catalogs list IDs with paved's own short titles, never the frameworks'
// text. A map may declare further catalogs of its own.
//
// [Default] returns the built-in map; [Load] and [LoadFile] read a map from
// YAML or JSON. Loading is strict: unknown fields, duplicate keys and every
// validation failure are reported together, each as a [*FieldError] with the
// file, line, column and field path, unwrapping to a sentinel such as
// [ErrDuplicateID] or [ErrSelfApproval].
//
// An [Environment] (dev, staging, prod, ...) has a [Tier], an owner and an
// identity boundary: the owners or identities that may deploy there and
// approve deployments there. It lists the controls required before a
// deployment and its [Promotion]: the environment a digest must have been
// deployed to first and how long it must have stayed healthy there.
// Validation rejects unknown identities ([ErrUnknownIdentity]), unknown
// controls and a promotion order with a cycle ([ErrPromotionCycle]).
// [Map.Boundary] and [Map.GuardrailData] give an environment in the plain
// form the policy engine reads.
//
// An [Exception] waives one control for a [Scope] until it expires; an
// expired exception never applies. [Map.Backlog] turns control statuses into
// a [Backlog] of gaps with owners, written as JSON, CSV or Markdown, and
// [Map.WriteMarkdown] renders the map for people.
//
// [Assess] judges the map's controls for a scope (a service's release
// artifacts, an environment, a time range) from the evidence store and the
// policy engine (built with [Map.Bindings]): each control gets a [Status]
// with the evidence records that prove it and the policy decisions that
// judged it, in an [Assessment] with scores per area and overall, the
// backlog of gaps and the exceptions about to expire.
// [Assessment.Compare] flags regressions against a previous assessment,
// a ratchet that only lets the programme move up.
//
// Concurrency: a Map is a plain value; it is safe to read from several
// goroutines at once, but not to change while others read it. The
// package's functions keep no state between calls.
package capability
