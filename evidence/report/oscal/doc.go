// Package oscal writes a paved assessment report as an OSCAL 1.1
// assessment-results JSON document, for GRC tools that read OSCAL.
//
// The types are paved's own minimal subset of the OSCAL assessment-results
// model: metadata, the import of the assessment plan (here, the policy set
// by digest), and one result with the reviewed controls, one observation
// per control with evidence (each evidence record as relevant evidence,
// "urn:paved:evidence:<record ID>") and one finding per control judged
// from evidence ("satisfied" or "not-satisfied", with paved's status as
// the reason and as a property in paved's namespace [NS]). UUIDs are
// derived from the assessment, so the same report gives the same bytes.
//
// The package keeps no state; its functions are safe for concurrent use.
package oscal
