// Package ci detects the CI system a pipeline runs in from environment
// variables the caller hands over: GitHub Actions, GitLab CI, Jenkins,
// Buildkite, CircleCI and Azure Pipelines, with a local fallback.
//
// Detection is opt-in: [FromEnv] reads only through the lookup function it
// is given (os.LookupEnv in a real CI job, a map in tests), and nothing in
// paved reads the environment on its own. A [Context] says who built what:
// the builder ID and run URL that provenance records, the repository,
// commit and ref, the actor and the trigger.
//
// Context is a plain value, safe to copy and share.
package ci
