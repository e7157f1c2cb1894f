// Package step holds paved's built-in pipeline steps, one or more per
// stage:
//
//   - Plan: ChangeRecord (the change, its owners from CODEOWNERS, a risk
//     score with its reasons).
//   - Build: Command, SBOM, SecretScan, VulnScan, Provenance, SARIF.
//   - Test: GoTest, JUnit.
//   - Release: Sign, Verify (a VSA from an offline re-check of the
//     evidence), Approval, ReleaseNotes, Release.
//   - Operate: Deploy, Incident, VerifyDeployed.
//   - Infrastructure: ProvisionPlan and ProvisionApply, in two stages so
//     that the policy gate between them decides on the plan.
//
// Each step is a struct whose exported fields configure it; its Run
// records what it used and made through the pipeline.Runner. [Kinds]
// returns the step kinds templates name, and [DefaultTemplate] the
// paved-road template for a Go service.
//
// Steps hold no state between runs and are safe to run concurrently.
package step
