package evidencelog_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/evidence"
	"github.com/paved-dev/paved/evidence/sqlite"
	"github.com/paved-dev/paved/metrics"
	"github.com/paved-dev/paved/metrics/evidencelog"
	"github.com/paved-dev/paved/supplychain/attest"
	"github.com/paved-dev/paved/supplychain/attest/attesttest"
	"github.com/paved-dev/paved/supplychain/sign"
)

// log is a SQLite evidence store whose trust policy lets one CI key sign
// paved's delivery predicates.
type log struct {
	store   *evidence.Store
	backend *sqlite.Backend
	ci      *sign.Signer
}

func newLog(t *testing.T) *log {
	t.Helper()
	ctx := context.Background()
	ci, err := sign.GenerateKey(sign.Ed25519)
	require.NoError(t, err)
	trust, err := sign.NewTrust([]sign.TrustedKey{{Name: "ci", Key: ci.Verifier}},
		[]sign.Rule{{PredicateTypes: []string{"https://paved.dev/attestation/*"}, Signers: []string{"ci"}}})
	require.NoError(t, err)
	backend, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "evidence.db"))
	require.NoError(t, err)
	store, err := evidence.Open(ctx, backend, evidence.WithTrust(trust))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(ctx) })
	return &log{store: store, backend: backend, ci: ci}
}

func (l *log) append(t *testing.T, p attest.Predicate) evidence.Record {
	t.Helper()
	ctx := context.Background()
	st, err := attest.Build(p, attesttest.Subject())
	require.NoError(t, err)
	env, err := sign.Sign(ctx, l.ci, st)
	require.NoError(t, err)
	raw, err := json.Marshal(env)
	require.NoError(t, err)
	recs, err := l.store.Append(ctx, evidence.Entry{Envelope: raw, Labels: map[string]string{"team": "shop"}})
	require.NoError(t, err)
	return recs[0]
}

func utc(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

func TestReadDORAFromTheLog(t *testing.T) {
	l := newLog(t)
	ctx := context.Background()
	// Change c1, planned Monday 08:00, shipped by d1 (Monday 11:00-11:10);
	// d2 on Tuesday 10:00 caused incident i1 (10:30 -> 12:00); d3 rolled
	// it back at 11:00.
	l.append(t, attest.Change{ID: "c1", Title: "faster checkout", Author: "ann@example.com", Owner: "shop", Repository: "acme/shop",
		Commit: "1111111111111111111111111111111111111111", Risk: "low", CreatedAt: utc(t, "2024-06-03T08:00:00Z")})
	dep := func(id, kind, prev string, start string) attest.Deployment {
		s := utc(t, start)
		d := attest.Deployment{ID: id, Service: "shop", Environment: "prod", Version: "1.0." + id, Deployer: "ci@example.com",
			Kind: kind, Outcome: "succeeded", Previous: prev, StartedAt: s, FinishedAt: s.Add(10 * time.Minute)}
		if id == "d1" {
			d.Changes = []string{"c1"}
		}
		return d
	}
	r1 := l.append(t, dep("d1", "normal", "", "2024-06-03T11:00:00Z"))
	l.append(t, dep("d2", "normal", "d1", "2024-06-04T09:50:00Z"))
	l.append(t, dep("d3", "rollback", "d2", "2024-06-04T10:50:00Z"))
	resolved := utc(t, "2024-06-04T12:00:00Z")
	l.append(t, attest.Incident{ID: "i1", Service: "shop", Environment: "prod", Severity: "sev2", Owner: "shop", CausedBy: "d2",
		DetectedAt: utc(t, "2024-06-04T10:30:00Z"), ResolvedAt: &resolved})

	ev, err := evidencelog.Read(ctx, l.store)
	require.NoError(t, err)
	require.Len(t, ev.Deployments, 3)
	require.Len(t, ev.Incidents, 1)
	require.Len(t, ev.Changes, 1)
	assert.Contains(t, ev.Origins, evidencelog.Origin{Record: metrics.RecordDeployment, ID: "d1", RecordID: r1.ID, Index: r1.Index})
	assert.Len(t, ev.Origins, 5)
	assert.Empty(t, ev.Pruned)

	c, err := metrics.New(metrics.WithLeadTimeStart(metrics.ClockPRCreated))
	require.NoError(t, err)
	week := metrics.Window{Start: utc(t, "2024-06-03T00:00:00Z"), End: utc(t, "2024-06-10T00:00:00Z")}
	res, err := c.Compute(ev.Events, week)
	require.NoError(t, err)
	m := res.Groups[0].Metrics
	// Lead time of c1: 08:00 -> 11:10 = 3h10m = 3.1667h. d2 failed (the
	// rollback and the incident): 1/3. Recovery from the incident: 1.5h.
	assert.InDelta(t, 3+10.0/60, m.LeadTime.Value, 1e-9)
	assert.InDelta(t, 1.0/3, m.ChangeFailRate.Value, 1e-12)
	assert.Equal(t, 1.5, m.RecoveryTime.Value)
	// With the default clock (commit), the change has no clock start: it is
	// listed, not silently dropped.
	def, err := metrics.New()
	require.NoError(t, err)
	res, err = def.Compute(ev.Events, week)
	require.NoError(t, err)
	assert.Equal(t, metrics.Value{Excluded: []metrics.Exclusion{{Record: metrics.RecordChange, ID: "c1", Reason: metrics.ReasonNoClockStart, Detail: "commit"}}},
		res.Groups[0].Metrics.LeadTime)
}

func TestReadFiltersAndPruned(t *testing.T) {
	l := newLog(t)
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		s := utc(t, "2024-06-03T10:00:00Z").Add(time.Duration(i) * time.Hour)
		r := l.append(t, attest.Deployment{ID: string(rune('a' + i)), Service: "shop", Environment: "prod", Version: "1", Deployer: "ci",
			Kind: "normal", Outcome: "succeeded", StartedAt: s, FinishedAt: s})
		ids = append(ids, r.ID)
	}
	ev, err := evidencelog.Read(ctx, l.store, evidencelog.WithSigner(l.ci.KeyID()), evidencelog.WithLabels(map[string]string{"team": "shop"}))
	require.NoError(t, err)
	assert.Len(t, ev.Deployments, 3)
	ev, err = evidencelog.Read(ctx, l.store, evidencelog.WithLabels(map[string]string{"team": "search"}))
	require.NoError(t, err)
	assert.Empty(t, ev.Deployments)

	// Retention dropped one envelope: the record is listed as pruned.
	n, err := l.backend.Prune(ctx, ids[1:2], time.Now())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	ev, err = evidencelog.Read(ctx, l.store)
	require.NoError(t, err)
	assert.Len(t, ev.Deployments, 2)
	require.Len(t, ev.Pruned, 1)
	assert.Equal(t, ids[1], ev.Pruned[0].ID)

	_, err = evidencelog.Read(ctx, l.store, evidencelog.WithSigner(""), evidencelog.WithLabels(nil))
	assert.ErrorContains(t, err, "WithSigner")
	assert.ErrorContains(t, err, "WithLabels")
}

func TestIncidentRecordedOpenThenResolved(t *testing.T) {
	l := newLog(t)
	ctx := context.Background()
	detected, resolved := utc(t, "2024-06-04T10:30:00Z"), utc(t, "2024-06-04T12:00:00Z")
	deploy := utc(t, "2024-06-04T09:50:00Z")
	l.append(t, attest.Deployment{ID: "d1", Service: "shop", Environment: "prod", Version: "1.0.1", Deployer: "ci@example.com",
		Kind: "normal", Outcome: "succeeded", StartedAt: deploy, FinishedAt: deploy.Add(10 * time.Minute)})
	// i1 opens without a known cause, and is resolved, linked to d1.
	// i2 opens and is later recorded with another detection time: a
	// conflict, which metrics reports rather than guess.
	l.append(t, attest.Incident{ID: "i1", Service: "shop", Environment: "prod", Severity: "sev2", Owner: "shop", DetectedAt: detected})
	l.append(t, attest.Incident{ID: "i2", Service: "shop", Environment: "prod", Severity: "sev3", Owner: "shop", DetectedAt: detected})
	l.append(t, attest.Incident{ID: "i1", Service: "shop", Environment: "prod", Severity: "sev2", Owner: "shop", CausedBy: "d1",
		DetectedAt: detected, ResolvedAt: &resolved})
	l.append(t, attest.Incident{ID: "i2", Service: "shop", Environment: "prod", Severity: "sev3", Owner: "shop",
		DetectedAt: detected.Add(time.Minute), ResolvedAt: &resolved})

	ev, err := evidencelog.Read(ctx, l.store)
	require.NoError(t, err)
	assert.Len(t, ev.Origins, 5, "every record read is named")
	require.Len(t, ev.Incidents, 3)
	assert.Equal(t, metrics.Incident{ID: "i1", Service: "shop", Environment: "prod", CausedBy: "d1", DetectedAt: detected, ResolvedAt: resolved}, ev.Incidents[0])

	c, err := metrics.New()
	require.NoError(t, err)
	res, err := c.Compute(ev.Events, metrics.Window{Start: utc(t, "2024-06-03T00:00:00Z"), End: utc(t, "2024-06-10T00:00:00Z")})
	require.NoError(t, err)
	m := res.Groups[0].Metrics
	assert.Equal(t, 1.0, m.ChangeFailRate.Value, "d1 caused i1")
	assert.Equal(t, 1.5, m.RecoveryTime.Value, "10:30 -> 12:00")
	require.Len(t, res.Excluded, 1)
	assert.Equal(t, metrics.Exclusion{Record: metrics.RecordIncident, ID: "i2", Reason: metrics.ReasonConflictingDuplicate}, res.Excluded[0])
}
