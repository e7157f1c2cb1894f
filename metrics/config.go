package metrics

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// ClockStart is the event of a change that starts the lead-time clock.
type ClockStart string

// The lead-time clock starts.
const (
	// ClockFirstCommit starts at the change's AuthoredAt (its first
	// commit).
	ClockFirstCommit ClockStart = "first-commit"
	// ClockCommit starts at CommittedAt, as DORA defines lead time:
	// committed to running in production.
	ClockCommit ClockStart = "commit"
	// ClockPRCreated starts when the pull request was opened.
	ClockPRCreated ClockStart = "pr-created"
	// ClockMerge starts when the pull request was merged.
	ClockMerge ClockStart = "merge"
)

// LinkRule is one way of linking an incident to the deployment that
// caused it.
type LinkRule string

// The link rules, tried in the order the caller gives them.
const (
	// LinkExplicit uses the incident's CausedBy.
	LinkExplicit LinkRule = "explicit"
	// LinkVersion picks the latest deployment of the incident's Version in
	// its service and environment that finished before it was detected.
	LinkVersion LinkRule = "version"
	// LinkNearest picks the deployment of its service and environment that
	// finished last before it was detected, if within the link window.
	LinkNearest LinkRule = "nearest"
)

// Quantile is how a median is computed.
type Quantile string

// The quantile definitions.
const (
	// QuantileType7 interpolates between the two middle values (Hyndman
	// and Fan's type 7, the default of R, NumPy and PostgreSQL's
	// percentile_cont).
	QuantileType7 Quantile = "type7"
	// QuantileLowerMedian takes the lower of the two middle values: always
	// an observed value.
	QuantileLowerMedian Quantile = "lower-median"
)

// Bucket is the length of a series' buckets.
type Bucket string

// The bucket lengths, in the configured time zone.
const (
	BucketDay   Bucket = "day"
	BucketWeek  Bucket = "week"
	BucketMonth Bucket = "month"
)

// Negative is what happens to a negative duration (a deployment that
// finished before its change was committed, after clock skew).
type Negative string

// The negative-duration policies.
const (
	// NegativeDrop excludes the value, with the reason.
	NegativeDrop Negative = "drop"
	// NegativeClamp counts it as zero.
	NegativeClamp Negative = "clamp"
	// NegativeError makes Compute fail with a *DurationError.
	NegativeError Negative = "error"
)

// Settings are every choice a computation made; a Result carries them so
// that a number is never read without its definition.
type Settings struct {
	// LeadTimeStart starts the lead-time clock (default ClockCommit).
	LeadTimeStart ClockStart `json:"leadTimeStart"`
	// IncidentLinks are the link rules in the order tried (default
	// explicit, version, nearest); empty links no incident.
	IncidentLinks []LinkRule `json:"incidentLinks"`
	// LinkWindow bounds LinkNearest (default 24h).
	LinkWindow time.Duration `json:"linkWindow"`
	// Quantile defines medians (default QuantileType7).
	Quantile Quantile `json:"quantile"`
	// Location is the time zone of buckets (default UTC).
	Location string `json:"location"`
	// WeekStart is the first day of a week bucket (default Monday).
	WeekStart time.Weekday `json:"weekStart"`
	// Bucket is the series' bucket length (default BucketWeek).
	Bucket Bucket `json:"bucket"`
	// Rolling, when positive, makes each series point cover the Rolling
	// period that ends where its bucket ends, instead of the bucket
	// itself (default 0: calendar buckets).
	Rolling time.Duration `json:"rolling,omitempty"`
	// Negative is the negative-duration policy (default NegativeDrop).
	Negative Negative `json:"negative"`
	// TierYear is the DORA report whose tiers rate the results (default
	// 2024; 2025 has no tiers).
	TierYear int `json:"tierYear"`
}

type config struct {
	Settings
	loc *time.Location
}

// Option configures a Calculator.
type Option interface{ apply(*config) error }

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithLeadTimeStart sets the event that starts the lead-time clock; the
// default is ClockCommit.
func WithLeadTimeStart(s ClockStart) Option {
	return optionFunc(func(c *config) error {
		if !slices.Contains([]ClockStart{ClockFirstCommit, ClockCommit, ClockPRCreated, ClockMerge}, s) {
			return fmt.Errorf("WithLeadTimeStart: unknown clock start %q", s)
		}
		c.LeadTimeStart = s
		return nil
	})
}

// WithIncidentLinks sets the rules that link incidents to deployments, in
// the order tried; none links no incident. The default is LinkExplicit,
// LinkVersion, LinkNearest.
func WithIncidentLinks(rules ...LinkRule) Option {
	return optionFunc(func(c *config) error {
		for _, r := range rules {
			if !slices.Contains([]LinkRule{LinkExplicit, LinkVersion, LinkNearest}, r) {
				return fmt.Errorf("WithIncidentLinks: unknown link rule %q", r)
			}
		}
		for i, r := range rules {
			if slices.Contains(rules[:i], r) {
				return fmt.Errorf("WithIncidentLinks: rule %q given twice", r)
			}
		}
		c.IncidentLinks = slices.Clone(rules)
		return nil
	})
}

// WithLinkWindow sets how long after a deployment finished an incident may
// be detected for LinkNearest to blame it; the default is 24 hours.
func WithLinkWindow(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithLinkWindow: %v is not positive", d)
		}
		c.LinkWindow = d
		return nil
	})
}

// WithQuantile sets the median definition; the default is QuantileType7.
func WithQuantile(q Quantile) Option {
	return optionFunc(func(c *config) error {
		if q != QuantileType7 && q != QuantileLowerMedian {
			return fmt.Errorf("WithQuantile: unknown quantile %q", q)
		}
		c.Quantile = q
		return nil
	})
}

// WithLocation sets the time zone that days, weeks and months begin in;
// the default is UTC.
func WithLocation(loc *time.Location) Option {
	return optionFunc(func(c *config) error {
		if loc == nil {
			return errors.New("WithLocation: nil location")
		}
		c.loc = loc
		c.Location = loc.String()
		return nil
	})
}

// WithWeekStart sets the first day of week buckets; the default is Monday.
func WithWeekStart(d time.Weekday) Option {
	return optionFunc(func(c *config) error {
		if d < time.Sunday || d > time.Saturday {
			return fmt.Errorf("WithWeekStart: %d is not a weekday", d)
		}
		c.WeekStart = d
		return nil
	})
}

// WithBuckets sets the series' bucket length; the default is BucketWeek.
func WithBuckets(b Bucket) Option {
	return optionFunc(func(c *config) error {
		if b != BucketDay && b != BucketWeek && b != BucketMonth {
			return fmt.Errorf("WithBuckets: unknown bucket %q", b)
		}
		c.Bucket = b
		return nil
	})
}

// WithRolling makes each series point cover the period d that ends where
// its bucket ends (a 28-day rolling value each week, say); the default is
// calendar buckets.
func WithRolling(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithRolling: %v is not positive", d)
		}
		c.Rolling = d
		return nil
	})
}

// WithNegative sets the negative-duration policy; the default is
// NegativeDrop.
func WithNegative(n Negative) Option {
	return optionFunc(func(c *config) error {
		if n != NegativeDrop && n != NegativeClamp && n != NegativeError {
			return fmt.Errorf("WithNegative: unknown policy %q", n)
		}
		c.Negative = n
		return nil
	})
}

// WithTierYear picks the DORA report whose performance tiers rate the
// results: 2021 to 2025 (2025 publishes none, so no value gets a tier);
// the default is 2024.
func WithTierYear(year int) Option {
	return optionFunc(func(c *config) error {
		if _, ok := tierTables[year]; !ok && year != 2025 {
			return fmt.Errorf("WithTierYear: no DORA report of %d (2021 to 2025)", year)
		}
		c.TierYear = year
		return nil
	})
}

// Calculator computes the metrics with fixed settings. Make one with New
// and use it for many computations; it is immutable and safe for
// concurrent use.
type Calculator struct {
	cfg config
}

// New returns a Calculator with the given options; every invalid option
// is reported in the error.
func New(opts ...Option) (*Calculator, error) {
	cfg := config{
		Settings: Settings{
			LeadTimeStart: ClockCommit,
			IncidentLinks: []LinkRule{LinkExplicit, LinkVersion, LinkNearest},
			LinkWindow:    24 * time.Hour,
			Quantile:      QuantileType7,
			Location:      "UTC",
			WeekStart:     time.Monday,
			Bucket:        BucketWeek,
			Negative:      NegativeDrop,
			TierYear:      2024,
		},
		loc: time.UTC,
	}
	var errs []error
	for _, o := range opts {
		if o == nil {
			errs = append(errs, errors.New("metrics: new: nil option"))
			continue
		}
		if err := o.apply(&cfg); err != nil {
			errs = append(errs, fmt.Errorf("metrics: new: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Calculator{cfg: cfg}, nil
}

// Settings returns the calculator's settings.
func (c *Calculator) Settings() Settings {
	s := c.cfg.Settings
	s.IncidentLinks = slices.Clone(s.IncidentLinks)
	return s
}
