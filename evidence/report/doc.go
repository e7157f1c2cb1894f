// Package report turns a capability assessment into what auditors and
// teams read, and into an evidence pack they can verify offline.
//
// [New] builds a [Report] from a [capability.Assessment] of a map: the
// trend across earlier assessments ([WithHistory]), the approval records
// among the evidence and the exceptions that applied or expire soon. The
// report is written as JSON ([Report.WriteJSON]), Markdown
// ([Report.WriteMarkdown]), a self-contained HTML page with inline SVG
// charts of the statuses per area and the pass-rate trend
// ([Report.WriteHTML]), SARIF 2.1.0 for code-scanning dashboards
// ([Report.SARIF]) and a SLSA verification summary of the release
// ([Report.VSA]). The OSCAL assessment-results form is in the
// subpackage report/oscal.
//
// [WritePack] writes a report pack: the report's files, a signed report
// statement ([PredicateReport], predicate [Summary]) whose subjects are
// those files, and evidence packs (evidence.Store.Export) of every record
// the assessment read and of the statement, all proven against one signed
// checkpoint. [VerifyPack] checks a copy offline with nothing but the
// log's note verifier key; any changed byte of a file, record, envelope,
// proof or checkpoint rejects it with [ErrInvalidPack].
//
// Concurrency: a Report is a plain value, safe to read from several
// goroutines; the functions keep no state.
package report
