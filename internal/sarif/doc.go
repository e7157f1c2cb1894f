// Package sarif is the subset of the SARIF 2.1.0 log format that paved's
// reports write and read: runs of one tool with rules, and results with
// physical or logical locations, suppressions, fingerprints and
// properties. Every package that emits SARIF (policy decisions, secret
// and vulnerability scans, assessment reports) builds these values, so
// the format lives in one place.
//
// The types are plain values, safe to share once built.
package sarif
