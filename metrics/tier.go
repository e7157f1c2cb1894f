package metrics

import "slices"

// Tier is one performance tier of a DORA report for one metric.
type Tier struct {
	// Name is "elite", "high", "medium" or "low".
	Name string `json:"name"`
	// Published is the report's own description of the tier's range.
	Published string `json:"published"`
	// Bound is the edge paved draws between this tier and the next one
	// down, in the metric's unit (see Metrics): for deployment frequency
	// the least value that reaches the tier, for the others the value the
	// tier stays below. The last tier takes everything else; its Bound is
	// 0.
	Bound float64 `json:"bound"`
}

// TierTable is the performance tiers of one DORA report, best first.
//
// The reports describe ranges in words, with gaps and overlaps (2021's
// high lead time starts at one day, its elite ends at one hour; 2023's low
// and medium deployment frequencies read the same). paved draws one bound
// between neighbouring tiers: a value in a gap rates the lower tier, and
// where two tiers read the same the value rates the better one. A month is
// 30 days and six months 180. The 2023 and 2024 change failure rates are
// one typical value per tier; the bound is halfway between neighbours, and
// as 2024's are not in tier order (high 20%, medium 10%) its tiers are
// listed by value: elite, medium, high, low.
type TierTable struct {
	// Year is the report's year.
	Year int `json:"year"`
	// The tiers of each metric, best first.
	DeploymentFrequency []Tier `json:"deploymentFrequency"`
	LeadTime            []Tier `json:"leadTime"`
	ChangeFailRate      []Tier `json:"changeFailRate"`
	RecoveryTime        []Tier `json:"recoveryTime"`
}

// Units of the bounds: deployments per day, hours, ratios.
const (
	perWeek     = 1.0 / 7
	perMonth    = 1.0 / 30
	perHalfYear = 1.0 / 180
	hour        = 1.0
	day         = 24.0
	week        = 7 * day
	month       = 30 * day
	halfYear    = 180 * day
)

// tierTables is the published tiers, 2021 to 2024; the 2025 report has
// none.
var tierTables = map[int]TierTable{
	2021: {
		Year: 2021,
		DeploymentFrequency: []Tier{
			{"elite", "on-demand (multiple deploys per day)", 1},
			{"high", "between once per week and once per month", perMonth},
			{"medium", "between once per month and once every 6 months", perHalfYear},
			{"low", "fewer than once per six months", 0},
		},
		LeadTime: []Tier{
			{"elite", "less than one hour", hour},
			{"high", "between one day and one week", week},
			{"medium", "between one month and six months", halfYear},
			{"low", "more than six months", 0},
		},
		ChangeFailRate: []Tier{
			{"elite", "0%-15%", 0.155},
			{"high", "16%-30% (medium and low read the same)", 0},
		},
		RecoveryTime: []Tier{
			{"elite", "less than one hour", hour},
			{"high", "less than one day", day},
			{"medium", "between one day and one week", week},
			{"low", "more than six months", 0},
		},
	},
	2022: {
		Year: 2022,
		DeploymentFrequency: []Tier{
			{"high", "on-demand (multiple deploys per day)", 1},
			{"medium", "between once per week and once per month", perMonth},
			{"low", "between once per month and once every 6 months", 0},
		},
		LeadTime: []Tier{
			{"high", "between one day and one week", week},
			{"medium", "between one week and one month", month},
			{"low", "between one month and six months", 0},
		},
		ChangeFailRate: []Tier{
			{"high", "0%-15%", 0.155},
			{"medium", "16%-30%", 0.38},
			{"low", "46%-60%", 0},
		},
		RecoveryTime: []Tier{
			{"high", "less than one day", day},
			{"medium", "between one day and one week", week},
			{"low", "between one week and one month", 0},
		},
	},
	2023: {
		Year: 2023,
		DeploymentFrequency: []Tier{
			{"elite", "on demand", 1},
			{"high", "between once per day and once per week", perWeek},
			{"medium", "between once per week and once per month", perMonth},
			{"low", "between once per week and once per month", 0},
		},
		LeadTime: []Tier{
			{"elite", "less than one day", day},
			{"high", "between one day and one week", week},
			{"medium", "between one week and one month", month},
			{"low", "between one week and one month", 0},
		},
		ChangeFailRate: []Tier{
			{"elite", "5%", 0.075},
			{"high", "10%", 0.125},
			{"medium", "15%", 0.395},
			{"low", "64%", 0},
		},
		RecoveryTime: []Tier{
			{"elite", "less than one hour", hour},
			{"high", "less than one day", day},
			{"medium", "between one day and one week", week},
			{"low", "between one month and six months", 0},
		},
	},
	2024: {
		Year: 2024,
		DeploymentFrequency: []Tier{
			{"elite", "on demand (multiple deploys per day)", 1},
			{"high", "between once per day and once per week", perWeek},
			{"medium", "between once per week and once per month", perMonth},
			{"low", "between once per month and once every six months", 0},
		},
		LeadTime: []Tier{
			{"elite", "less than one day", day},
			{"high", "between one day and one week", week},
			{"medium", "between one week and one month", month},
			{"low", "between one month and six months", 0},
		},
		ChangeFailRate: []Tier{
			{"elite", "5%", 0.075},
			{"medium", "10%", 0.15},
			{"high", "20%", 0.30},
			{"low", "40%", 0},
		},
		RecoveryTime: []Tier{
			{"elite", "less than one hour", hour},
			{"high", "less than one day", day},
			{"medium", "less than one day (as high); paved: less than one week", week},
			{"low", "between one week and one month", 0},
		},
	},
}

// Tiers returns the performance tiers of the DORA report of year, and
// false for a year without tiers (2025 publishes none).
func Tiers(year int) (TierTable, bool) {
	t, ok := tierTables[year]
	if !ok {
		return TierTable{}, false
	}
	t.DeploymentFrequency = slices.Clone(t.DeploymentFrequency)
	t.LeadTime = slices.Clone(t.LeadTime)
	t.ChangeFailRate = slices.Clone(t.ChangeFailRate)
	t.RecoveryTime = slices.Clone(t.RecoveryTime)
	return t, true
}

// classify returns the name of the tier v falls in; higher says whether a
// larger value is better (deployment frequency).
func classify(tiers []Tier, v float64, higher bool) string {
	for _, t := range tiers[:len(tiers)-1] {
		if higher && v >= t.Bound || !higher && v < t.Bound {
			return t.Name
		}
	}
	return tiers[len(tiers)-1].Name
}

// rate fills in the tiers and the Quick Check score of m.
func (c *Calculator) rate(m *Metrics) {
	if t, ok := tierTables[c.cfg.TierYear]; ok {
		for _, v := range []struct {
			val    *Value
			tiers  []Tier
			higher bool
		}{
			{&m.DeploymentFrequency, t.DeploymentFrequency, true},
			{&m.LeadTime, t.LeadTime, false},
			{&m.ChangeFailRate, t.ChangeFailRate, false},
			{&m.RecoveryTime, t.RecoveryTime, false},
		} {
			if v.val.Defined {
				v.val.Tier = classify(v.tiers, v.val.Value, v.higher)
			}
		}
	}
	m.QuickCheck = quickCheck(m)
}

// The Quick Check answer scales, worst answer first: each metric's value
// is placed on its scale by these edges.
var (
	quickFrequency = []float64{perHalfYear, perMonth, perWeek, 1, 2} // fewer than every six months ... multiple per day
	quickDuration  = []float64{halfYear, month, week, day, hour}     // more than six months ... less than one hour
	quickFailRate  = []float64{0.755, 0.605, 0.455, 0.305, 0.155}    // 76-100% ... 0-15%
)

// quickCheck scores m like the DORA Quick Check: each metric's answer on
// its six-step scale (worst 0, best 5) is scaled to 0-10, and the score is
// their mean. It needs deployment frequency, lead time and change fail
// rate; recovery time joins when defined.
func quickCheck(m *Metrics) *float64 {
	if !m.DeploymentFrequency.Defined || !m.LeadTime.Defined || !m.ChangeFailRate.Defined {
		return nil
	}
	step := func(v float64, edges []float64, higher bool) float64 {
		k := 0
		for _, e := range edges {
			if higher && v >= e || !higher && v < e {
				k++
			}
		}
		return float64(k) * 2
	}
	scores := []float64{
		step(m.DeploymentFrequency.Value, quickFrequency, true),
		step(m.LeadTime.Value, quickDuration, false),
		step(m.ChangeFailRate.Value, quickFailRate, false),
	}
	if m.RecoveryTime.Defined {
		scores = append(scores, step(m.RecoveryTime.Value, quickDuration, false))
	}
	sum := 0.0
	for _, s := range scores {
		sum += s
	}
	q := sum / float64(len(scores))
	return &q
}
