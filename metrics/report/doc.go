// Package report writes a metrics.Result for people and programs: JSON,
// Markdown, and a self-contained HTML page that works offline.
//
// [JSON] writes the result as indented JSON; undefined values are null.
// [Markdown] writes the settings and, per service and environment, the
// window's metrics (value, n, tier, exclusions) and the series as a table.
// [HTML] writes one page with no external resource (a Content Security
// Policy forbids any): the same tables and, per service and environment,
// one chart per metric over the series with the performance tier bands of
// the result's DORA year drawn behind the line. The charts are inline SVG
// drawn by this package; a short inline script only checks, in the
// browser, that each chart has a drawn line and marks the page with the
// count ("data-charts-drawn" on the body).
package report
