//go:build unix

// Command custom-backend shows an evidence backend of your own: JSONL
// keeps paved's tamper-evident log in one append-only JSON-lines file,
// fsync'd on every append and shared between processes with flock(2). It
// passes the conformance suite every backend runs (evidence/evidencetest),
// crash test included.
//
// The command opens paved over JSONL (paved.WithBackend), records a signed
// approval, takes a signed checkpoint, proves the record is in it and
// audits the whole log:
//
//	go run ./examples/custom-backend -dir /tmp/paved-jsonl
//
// Run it again and the log grows: the file is the store. Its tests run the
// conformance suite against JSONL:
//
//	go test ./examples/custom-backend
package main
