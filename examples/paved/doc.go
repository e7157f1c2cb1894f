// Command paved is the reference CLI: the command tree of package cli
// (github.com/paved-dev/paved/cli) run with the process's arguments.
//
//	go run ./examples/paved init
//	go run ./examples/paved run --stage build --step compile --product app -- go build -o app .
//	go run ./examples/paved evidence audit
//
// It exits 0 when all is well, 1 when a policy denied, a step failed or a
// verification failed, 2 on a usage error and 3 on an internal error.
package main
