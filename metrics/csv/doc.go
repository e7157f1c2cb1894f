// Package csv reads metrics events from CSV files with documented columns.
//
// Each kind of event has its own file and reader. The first row is the
// header: column names in any order, each at most once; a column not
// listed below is an error, and only the ID column is required. An empty
// cell is an empty (or zero) value: the metrics package, not this one,
// decides whether the record is complete, and lists it as excluded if not.
// Times are RFC 3339 ("2024-06-03T09:00:00Z" or with an offset).
//
// [ReadChanges]: id, repository, commit, authored_at, committed_at,
// pr_created_at, merged_at.
//
// [ReadDeployments]: id, service, environment, started_at, finished_at,
// outcome (succeeded, failed, rolled_back), version, changes (change IDs
// separated by spaces), previous, repository, kind (normal, rollback,
// hotfix, unplanned).
//
// [ReadIncidents]: id, service, environment, detected_at, resolved_at,
// caused_by, version.
//
// [ReadRuns], one row per step: run_id, service, environment, started_at,
// step, manual (true or false), duration (a Go duration such as "1m30s").
// Rows of one run must agree on its service, environment and start.
//
// A malformed file (a bad header, a cell that does not parse, a row of the
// wrong length) is an error joining a *ParseError, with the line and
// column, for every problem; nothing is returned from it.
package csv
