// Command ci-gate is what a CI job runs to ask paved whether an artifact
// may pass a stage: it opens the evidence store, reads the CI system's
// context from the environment (pipeline/ci's FromEnv: GitHub Actions,
// GitLab CI, Jenkins, Buildkite, CircleCI, Azure Pipelines), records a
// one-step run that declares the artifact by digest, lets the stage's
// policy gate decide on everything recorded about the artifact, and prints
// the decision. The run's records carry the CI context: the builder, the
// run's URL and the commit.
//
//	ci-gate --stage release --artifact bin/app [--environment prod] [--output json]
//
// The store is the directory --dir, $PAVED_DIR or .paved, made by
// `paved init` and filled by the job's earlier steps. --guardrails names a
// JSON file of guardrail settings (trusted_builders, release_signers,
// teams, ...; see paved.WithGuardrails), such as the CI system's builder
// ID and the key that signs for it.
//
// Exit codes, as the reference CLI's: 0 the gate allowed, 1 it blocked (or
// could not decide), 2 a usage error, 3 an internal error.
package main
