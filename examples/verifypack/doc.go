// Command verifypack verifies a report pack (evidence/report.WritePack)
// offline, with nothing but the evidence log's note verifier key, and
// lists what it proves: the report's files and digests, the assessment
// summary, the checkpoint and the number of records proven.
//
//	go run ./examples/verifypack -key 'paved.example/log+1234abcd+AUq...' report.pack
//
// The key may also be read from a file with -key-file. The exit status is
// 0 when the pack verifies, 1 when it does not, 2 on a usage error.
package main
