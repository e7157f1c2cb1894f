// Package pipeline is paved's paved road: the five delivery stages (Plan,
// Build, Test, Release, Operate) as typed stages whose every step leaves
// signed evidence and whose gates are policy.
//
// A [Pipeline] is stages of [Step] values, built in Go or loaded from a
// declarative YAML template ([LoadTemplate]) that teams share. A [Runner]
// executes pipelines: for every step it records a signed, link-like
// statement (the declared materials and products by digest, the command,
// the exit code, an allow-listed environment, digests of stdout and
// stderr, start and end times) and whatever evidence the step produced,
// into an evidence.Store; after each stage it evaluates the stage's policy
// gate (a policy.Engine) over the subject's evidence, stores the decision,
// and stops the run on a mandatory failure that no exception covers. Each
// run ends with a summary record: what ran, outcomes, gate decisions,
// durations, and manual steps counted as toil.
//
// Secrets reach steps only through [Secrets]; every value fetched is
// redacted from captured output, logs and evidence. Logging goes to a
// *slog.Logger (silent by default) and spans to an OpenTelemetry tracer
// (none by default).
//
// The built-in steps live in pipeline/step, the CI context detection in
// pipeline/ci.
//
// A Runner is safe for concurrent use; a Pipeline is immutable once built
// and may be run many times, concurrently.
package pipeline
