package vuln

import (
	"fmt"
	"strings"
	"time"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// Rating is a qualitative severity, as CVSS names its score bands.
type Rating string

// The ratings, from most to least severe; Unknown when no source says.
const (
	Critical Rating = "CRITICAL"
	High     Rating = "HIGH"
	Medium   Rating = "MEDIUM"
	Low      Rating = "LOW"
	None     Rating = "NONE"
	Unknown  Rating = "UNKNOWN"
)

// rank orders ratings: higher is more severe.
func (r Rating) rank() int {
	switch r {
	case Critical:
		return 5
	case High:
		return 4
	case Medium:
		return 3
	case Low:
		return 2
	case None:
		return 1
	}
	return 0
}

// ratingOf maps a CVSS score to its band (the same bands for v3.x and v4).
func ratingOf(score float64) Rating {
	switch {
	case score >= 9.0:
		return Critical
	case score >= 7.0:
		return High
	case score >= 4.0:
		return Medium
	case score > 0:
		return Low
	}
	return None
}

// SeverityScore is the severity of a finding: the most severe of its
// sources.
type SeverityScore struct {
	// Rating is the qualitative severity.
	Rating Rating `json:"rating"`
	// Score is the CVSS base score (v3.x) or score (v4); 0 when the rating
	// came from a database's word rather than a vector.
	Score float64 `json:"score,omitempty"`
	// Vector is the CVSS vector the score came from.
	Vector string `json:"vector,omitempty"`
	// Source says where the rating came from: "CVSS_V3", "CVSS_V4" or
	// "database_specific".
	Source string `json:"source,omitempty"`
}

// ScoreVector computes the score of a CVSS v3.0, v3.1 or v4.0 vector with
// github.com/pandatix/go-cvss. Other versions (v2) yield an error wrapping
// ErrUnsupported; a malformed vector, an error.
func ScoreVector(vector string) (SeverityScore, error) {
	var score float64
	var source string
	switch {
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(vector)
		if err != nil {
			return SeverityScore{}, fmt.Errorf("vuln: CVSS vector %q: %w", vector, err)
		}
		score, source = c.BaseScore(), "CVSS_V3"
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(vector)
		if err != nil {
			return SeverityScore{}, fmt.Errorf("vuln: CVSS vector %q: %w", vector, err)
		}
		score, source = c.BaseScore(), "CVSS_V3"
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		c, err := gocvss40.ParseVector(vector)
		if err != nil {
			return SeverityScore{}, fmt.Errorf("vuln: CVSS vector %q: %w", vector, err)
		}
		score, source = c.Score(), "CVSS_V4"
	default:
		return SeverityScore{}, fmt.Errorf("%w: CVSS vector %q (paved scores v3.0, v3.1 and v4.0)", ErrUnsupported, vector)
	}
	return SeverityScore{Rating: ratingOf(score), Score: score, Vector: vector, Source: source}, nil
}

// better reports whether a is more severe than b.
func (a SeverityScore) better(b SeverityScore) bool {
	return a.Rating.rank() > b.Rating.rank() || (a.Rating == b.Rating && a.Score > b.Score)
}

// entrySeverity is the most severe rating of the CVSS vectors of a record
// and one of its affected entries, else of the record's database_specific
// word, else Unknown. Vectors that do not score are returned as problems.
func entrySeverity(r *Record, a *Affected) (SeverityScore, []error) {
	best := SeverityScore{Rating: Unknown}
	var problems []error
	for _, list := range [][]Severity{r.Severity, a.Severity} {
		for _, s := range list {
			if !strings.HasPrefix(s.Type, "CVSS_V") {
				continue
			}
			sc, err := ScoreVector(s.Score)
			if err != nil {
				problems = append(problems, &RecordError{ID: r.ID, Field: "severity", Err: err})
				continue
			}
			if sc.better(best) {
				best = sc
			}
		}
	}
	if best.Rating != Unknown {
		return best, problems
	}
	switch strings.ToUpper(r.databaseSeverity()) {
	case "CRITICAL":
		best = SeverityScore{Rating: Critical, Source: "database_specific"}
	case "HIGH":
		best = SeverityScore{Rating: High, Source: "database_specific"}
	case "MODERATE", "MEDIUM":
		best = SeverityScore{Rating: Medium, Source: "database_specific"}
	case "LOW":
		best = SeverityScore{Rating: Low, Source: "database_specific"}
	}
	return best, problems
}

// severityOf is the most severe rating of a group's entries; a CVSS score
// wins over a database's word.
func severityOf(g []match) SeverityScore {
	best := SeverityScore{Rating: Unknown}
	for _, m := range g {
		s := m.entry.severity
		if (s.Score > 0) != (best.Score > 0) {
			if s.Score > 0 {
				best = s
			}
			continue
		}
		if s.better(best) {
			best = s
		}
	}
	return best
}

// SLA is how long a finding of each rating may stay open before its fix-by
// date. Ratings it does not list get no fix-by date.
type SLA map[Rating]time.Duration

// DefaultSLA: critical 7 days, high 30, medium 90, low 180; unknown 30,
// since an unrated vulnerability is not a minor one until someone says so.
func DefaultSLA() SLA {
	const day = 24 * time.Hour
	return SLA{Critical: 7 * day, High: 30 * day, Medium: 90 * day, Low: 180 * day, Unknown: 30 * day}
}
