// Command quickstart is paved's first run: one service, one pipeline, one
// control set, end to end on this machine, offline.
//
// It creates a small Go HTTP service (the greeter) in a new git
// repository and takes it through the paved-road template's five stages
// with paved's built-in capability map and policies: Plan records the
// change and its reviewer's approval; Build compiles it, makes an SBOM,
// scans for secrets and for vulnerabilities against the OSV fixture in
// fixtures/ (the finding is suppressed by the team's VEX statement beside
// it) and records provenance; Test runs go test; Release signs, verifies,
// checks the approval and records the release in the ledger; Operate
// deploys it to staging. Every step is a signed record in a SQLite
// evidence log and every stage ends at a policy gate.
//
// Then the week goes on: an incident caused by that release is opened,
// the fix goes down the same road as v1.0.1, and the incident is
// resolved. The quickstart prints the capability assessment of the
// release and the DORA metrics computed from the same records, writes
// the HTML, Markdown and JSON reports with a signed report pack, and
// audits the evidence log.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -repo ~/src/myservice -version v0.3.0
//
// With -repo, your repository (a Go module with its main package at its
// root, and a CODEOWNERS file naming its owning team) takes the same road
// once and is promoted to staging; the quickstart's reviewer approves its
// head commit and joins the owning team's roster.
//
// Everything is kept in a working directory (-dir, a new temporary one
// by default): the greeter, the paved directory .paved and the reports.
// Look around with the reference CLI, such as
// go run ./examples/paved --dir DIR/.paved evidence query. Apart from
// times, digests and paths, the output is the same on every run.
package main
