// Command custom-step shows a pipeline step of a team's own, beside the
// built-in ones: Vet runs `go vet` and records its findings as signed
// evidence of the team's own predicate type (VetReport), and a guardrail of
// the team's own in Rego (policy/vet.rego, control TEAM-VET-01) judges that
// evidence at the Test stage's gate.
//
// The command opens paved (paved.Open, with the team's policy added by
// paved.WithPolicies), runs GoTest and Vet in the Test stage through the
// Program's gated runner for the module's checked-out commit, prints what
// the gate decided, control by control, then reads Vet's evidence back from
// the store, verifies its signature and decodes it:
//
//	go run ./examples/custom-step -paved /tmp/paved -dir .
//
// It exits 0 when the gate allowed the run, 1 when it did not, 3 on an
// error. Until the run also carries the rest of the paved road's evidence
// (provenance, an SBOM, scans), paved's own controls keep the Test gate
// blocked; TEAM-VET-01's line says what the team's guardrail decided.
package main
