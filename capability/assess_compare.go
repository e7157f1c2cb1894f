package capability

import "math"

// Comparison says how an assessment moved since a previous one of the
// same scope: the controls whose status got worse (regressions) or better,
// and the change in the pass rate overall and per area.
type Comparison struct {
	// Previous and Current are the assessments' IDs.
	Previous string `json:"previous"`
	Current  string `json:"current"`
	// Regressions lists the controls whose status got worse, in the
	// current assessment's order.
	Regressions []StatusChange `json:"regressions"`
	// Improvements lists the controls whose status got better.
	Improvements []StatusChange `json:"improvements"`
	// RateDelta is the current overall pass rate minus the previous one,
	// in percentage points.
	RateDelta float64 `json:"rateDelta"`
	// AreaDeltas holds the same per area, for the areas in both.
	AreaDeltas map[AreaID]float64 `json:"areaDeltas"`
}

// StatusChange is one control's status in two assessments.
type StatusChange struct {
	Control string `json:"control"`
	From    Status `json:"from"`
	To      Status `json:"to"`
}

// Compare compares a with a previous assessment. Statuses rank from worst
// to best as fail, error, no_evidence, warn, waived, pass; a move between
// two of them is a regression or an improvement. Moves to or from manual
// and not_applicable, and controls in only one of the two, are neither.
func (a *Assessment) Compare(prev *Assessment) Comparison {
	c := Comparison{Previous: prev.ID, Current: a.ID, Regressions: []StatusChange{}, Improvements: []StatusChange{},
		RateDelta: a.Overall.Rate - prev.Overall.Rate, AreaDeltas: map[AreaID]float64{}}
	before := prev.Statuses()
	for _, ca := range a.Controls {
		from, ok := before[ca.Control]
		if !ok || !judged(from) || !judged(ca.Status) || from == ca.Status {
			continue
		}
		ch := StatusChange{Control: ca.Control, From: from, To: ca.Status}
		if statusRank[ca.Status] < statusRank[from] {
			c.Regressions = append(c.Regressions, ch)
		} else {
			c.Improvements = append(c.Improvements, ch)
		}
	}
	for _, cur := range a.Areas {
		for _, old := range prev.Areas {
			if old.Area == cur.Area {
				c.AreaDeltas[cur.Area] = cur.Rate - old.Rate
			}
		}
	}
	return c
}

func judged(s Status) bool { return s != StatusManual && s != StatusNotApplicable }

// Regressed reports whether the assessment moved down: a control's status
// got worse, or the overall pass rate fell. Used as a ratchet (fail the
// build when it is true), the programme's state only moves up.
func (c Comparison) Regressed() bool {
	return len(c.Regressions) > 0 || c.RateDelta < -1e-9 && !math.IsNaN(c.RateDelta)
}
