// Package iac reads infrastructure-as-code plans into evidence and policy
// input.
//
// [Parse] reads the JSON that `terraform show -json <planfile>` (or
// `tofu show -json`) prints, format_version 1.x, into a [Plan]: a
// normalized change set of [Change] values, each with the resource's
// address, type, provider, the [Module] that declares it (source and
// version constraint, from the plan's configuration section), its [Action]
// (create, update, delete, replace, read, no-op, forget; both orders of
// delete and create are a replace) and its values before and after.
//
// Values the plan marks sensitive (before_sensitive, after_sensitive, at
// any depth of lists and maps) are replaced by [Redacted] while parsing, so
// no secret of the plan reaches a Change, the evidence or the policy
// input; values known only after apply are set to [Unknown]. Both are
// listed by path in the Change. Credentials in a module's source (the
// user information of an HTTP(S) URL, go-getter's sshkey) are redacted
// too. Only the sections that the change set
// needs are read: variables, prior state and planned values, which hold
// secrets in clear, are skipped.
//
// A plan's resource_drift section lists what changed outside the code.
// [Plan.Drift] returns it as a [Drift]; a refresh-only plan
// (`terraform plan -refresh-only`) that is not empty is infrastructure
// drift.
//
// [Plan.Predicate] and [Drift.Predicate] give the change set as paved's
// attest.IaCPlan predicate, ready for attest.Build, signing and the
// evidence store; the policy engine reads it from the evidence. The
// package's Rego guardrails ([Policies], package paved.foundation) check
// IaC changes (public storage, administrative ports open to the internet,
// encryption at rest, approval to delete protected resources, allowed and
// pinned modules) and deployments (promotion order, identity boundary).
// Load them with policy.FS(iac.Policies()), or beside the built-in library
// with policy.Merge; their settings are data.guardrails.iac
// (module_sources, admin_ports, protected_label) and
// data.guardrails.environments, which capability's Map.GuardrailData
// gives. The deployment rules read the identity deploying from
// input.deployer.
//
// Bad input gives a [*PlanError] with the JSON path, byte offset, line and
// column, wrapping a sentinel such as [ErrSyntax] or [ErrFormatVersion];
// plans larger than [DefaultMaxBytes] (or the WithMaxBytes cap) are
// rejected with [ErrTooLarge]. Parse never panics.
//
// Concurrency: Parse keeps no state between calls and may run in several
// goroutines at once; a Plan is a plain value, safe to read concurrently.
package iac
