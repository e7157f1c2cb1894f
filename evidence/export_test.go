package evidence

// AuditChunk is how many records one of Audit's scans reads.
const AuditChunk = auditChunk
