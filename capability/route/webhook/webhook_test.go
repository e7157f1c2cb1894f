package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/capability"
	"github.com/paved-dev/paved/capability/route"
	"github.com/paved-dev/paved/capability/route/webhook"
)

var (
	secret = []byte("0123456789abcdef-shared")
	at     = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
)

// receiver is an httptest server on 127.0.0.1 that verifies each
// delivery's signature and answers with the next status in its script.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	headers  []http.Header
	bodies   [][]byte
	badSig   int
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.headers = append(r.headers, req.Header.Clone())
		r.bodies = append(r.bodies, body)
		if err := webhook.Verify(secret, req.Header.Get(webhook.HeaderTimestamp), req.Header.Get(webhook.HeaderSignature), body, at, 5*time.Minute); err != nil {
			r.badSig++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		status := http.StatusNoContent
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	require.True(t, strings.HasPrefix(r.URL, "http://127.0.0.1:"), r.URL)
	return r
}

func (r *receiver) attempts() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.bodies) }

// sleeps records the waits between attempts instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func notifier(t *testing.T, url string, s *sleeps, opts ...webhook.Option) *webhook.Notifier {
	t.Helper()
	n, err := webhook.New(url, secret, append([]webhook.Option{webhook.WithClock(func() time.Time { return at }),
		webhook.WithSleep(s.sleep), webhook.WithBackoff(100*time.Millisecond, 5*time.Second)}, opts...)...)
	require.NoError(t, err)
	return n
}

var note = route.Notification{
	Event: route.Event{ID: "drift:prod:web", Kind: route.Drift, Severity: route.Critical, Service: "web", Environment: "prod",
		Summary: "web runs sha256:cd, not release web@2", Records: []string{"sha256:rec"}, At: at},
	Owner: capability.Owner{ID: "sre", Name: "Site Reliability Engineering", Contact: "sre@example.com", Members: []string{"sre-lead@example.com"}},
	Route: "sre-webhook",
}

func TestDeliversSignedJSONAfterTransientFailures(t *testing.T) {
	rcv := newReceiver(t, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusOK)
	s := &sleeps{}
	require.NoError(t, notifier(t, rcv.URL, s).Notify(context.Background(), note))
	assert.Equal(t, 3, rcv.attempts())
	assert.Zero(t, rcv.badSig, "every attempt verified")
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, s.d, "exponential backoff")

	h := rcv.headers[2]
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.Equal(t, "drift", h.Get(webhook.HeaderEvent))
	assert.Equal(t, "drift:prod:web", h.Get(webhook.HeaderDelivery))
	assert.Regexp(t, `^sha256=[0-9a-f]{64}$`, h.Get(webhook.HeaderSignature))
	var p webhook.Payload
	require.NoError(t, json.Unmarshal(rcv.bodies[2], &p))
	assert.Equal(t, note.Event, p.Event)
	assert.Equal(t, webhook.Owner{ID: "sre", Name: "Site Reliability Engineering", Contact: "sre@example.com"}, p.Owner)
	assert.NotContains(t, string(rcv.bodies[2]), "sre-lead@example.com", "members are not sent")
	assert.NotContains(t, string(rcv.bodies[2]), string(secret))
}

func TestRetriesAreBounded(t *testing.T) {
	rcv := newReceiver(t, 500, 500, 500, 500, 500, 500)
	s := &sleeps{}
	err := notifier(t, rcv.URL, s, webhook.WithRetries(2)).Notify(context.Background(), note)
	var se *webhook.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, webhook.StatusError{Status: 500, Attempts: 3}, *se)
	assert.NotErrorIs(t, err, webhook.ErrRejected)
	assert.Equal(t, 3, rcv.attempts())
	assert.Len(t, s.d, 2)
}

func TestRejectionIsNotRetried(t *testing.T) {
	rcv := newReceiver(t, http.StatusBadRequest)
	err := notifier(t, rcv.URL, &sleeps{}).Notify(context.Background(), note)
	assert.ErrorIs(t, err, webhook.ErrRejected)
	assert.Equal(t, 1, rcv.attempts())
}

func TestRetryAfterIsHonouredUpToTheMaximum(t *testing.T) {
	rcv := newReceiver(t, http.StatusTooManyRequests, http.StatusOK)
	s := &sleeps{}
	require.NoError(t, notifier(t, rcv.URL, s).Notify(context.Background(), note))
	assert.Equal(t, []time.Duration{5 * time.Second}, s.d, "Retry-After 7s, capped at the 5s maximum")
}

func TestNetworkErrorsAreRetriedAndCancellationStops(t *testing.T) {
	rcv := newReceiver(t)
	url := rcv.URL
	rcv.Close()
	s := &sleeps{}
	err := notifier(t, url, s, webhook.WithRetries(1)).Notify(context.Background(), note)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "attempt 2")
	assert.Len(t, s.d, 1)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = notifier(t, url, &sleeps{}).Notify(ctx, note)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestVerify(t *testing.T) {
	body := []byte(`{"event":{}}`)
	ts := "1795867200" // 2026-11-28T12:00:00Z
	sig := webhook.Sign(secret, ts, body)
	require.NoError(t, webhook.Verify(secret, ts, sig, body, at, time.Minute))
	for name, err := range map[string]error{
		"body":      webhook.Verify(secret, ts, sig, []byte(`{"event":{} }`), at, time.Minute),
		"secret":    webhook.Verify([]byte("another secret, 16+"), ts, sig, body, at, time.Minute),
		"timestamp": webhook.Verify(secret, "1795867201", sig, body, at, time.Minute),
		"replayed":  webhook.Verify(secret, ts, sig, body, at.Add(time.Hour), time.Minute),
		"garbage":   webhook.Verify(secret, "soon", sig, body, at, time.Minute),
	} {
		assert.ErrorIs(t, err, webhook.ErrBadSignature, name)
	}
}

func TestNewValidates(t *testing.T) {
	_, err := webhook.New("http://hooks.example.com/x", []byte("short"), webhook.WithRetries(11), webhook.WithBackoff(time.Second, time.Millisecond))
	for _, want := range []string{"want https", "at least 16 bytes", "WithRetries", "WithBackoff"} {
		assert.ErrorContains(t, err, want)
	}
	_, err = webhook.New("http://hooks.example.com/x", secret, webhook.WithInsecureHTTPUnsafe())
	assert.NoError(t, err)
	_, err = webhook.New("https://hooks.example.com/x", secret)
	assert.NoError(t, err)
	_, err = webhook.New("http://[::1]:9/x", secret)
	assert.NoError(t, err)
}

func TestRouterThroughWebhook(t *testing.T) {
	rcv := newReceiver(t)
	n := notifier(t, rcv.URL, &sleeps{})
	r, err := route.New(capability.Default(), []route.Rule{{Route: "hook"}}, map[string]route.Notifier{"hook": n})
	require.NoError(t, err)
	e := route.Event{ID: "gate:d1:DSO-REL-01", Kind: route.GateFailure, Severity: route.Critical, Control: "DSO-REL-01", Summary: "no approval", At: at}
	require.NoError(t, r.Notify(context.Background(), e, e))
	require.Equal(t, 1, rcv.attempts(), "once per route")
	var p webhook.Payload
	require.NoError(t, json.Unmarshal(rcv.bodies[0], &p))
	assert.Equal(t, "release-engineering", p.Owner.ID)
	assert.Equal(t, "releases@example.com", p.Owner.Contact)
}

func FuzzVerify(f *testing.F) {
	body := []byte(`{"event":{}}`)
	f.Add("1795867200", webhook.Sign(secret, "1795867200", body), body)
	f.Add("-1", "sha256=", []byte{})
	f.Add("99999999999999999999", "x", []byte("{"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		err := webhook.Verify(secret, ts, sig, body, at, 5*time.Minute)
		if err == nil {
			require.Equal(t, webhook.Sign(secret, ts, body), sig)
			return
		}
		require.ErrorIs(t, err, webhook.ErrBadSignature)
	})
}
