package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved/capability/route"
)

// The headers of a delivery.
const (
	// HeaderSignature carries "sha256=<hex>": the HMAC-SHA256, keyed with
	// the shared secret, of the timestamp, a dot and the body.
	HeaderSignature = "X-Paved-Signature"
	// HeaderTimestamp carries the delivery time in Unix seconds.
	HeaderTimestamp = "X-Paved-Timestamp"
	// HeaderEvent carries the event's kind; HeaderDelivery its ID.
	HeaderEvent    = "X-Paved-Event"
	HeaderDelivery = "X-Paved-Delivery"
)

// Defaults.
const (
	DefaultRetries     = 3
	DefaultBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
	DefaultTimeout     = 10 * time.Second
	DefaultMaxBodySize = 1 << 20
)

// ErrRejected: the receiver answered with a status that retrying cannot
// change (a 4xx other than 408 and 429).
var ErrRejected = errors.New("webhook: delivery rejected")

// StatusError is a delivery that ended with an HTTP status other than 2xx.
type StatusError struct {
	// Status is the last status; Attempts how many requests were made.
	Status   int
	Attempts int
}

// Error formats the failure.
func (e *StatusError) Error() string {
	return fmt.Sprintf("webhook: status %d after %d attempt(s)", e.Status, e.Attempts)
}

// Unwrap returns ErrRejected for statuses not worth retrying.
func (e *StatusError) Unwrap() error {
	if retryable(e.Status) {
		return nil
	}
	return ErrRejected
}

func retryable(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

// Notifier posts notifications as JSON to a URL, signed with HMAC-SHA256
// of a shared secret, retrying transient failures (network errors, 5xx,
// 408, 429) a bounded number of times with exponential backoff. It is
// safe for concurrent use by multiple goroutines.
type Notifier struct {
	url    string
	secret []byte
	cfg    config
}

var _ route.Notifier = (*Notifier)(nil)

type config struct {
	client     *http.Client
	retries    int
	backoff    time.Duration
	maxBackoff time.Duration
	timeout    time.Duration
	clock      func() time.Time
	sleep      func(context.Context, time.Duration) error
	insecure   bool
}

// Option configures a Notifier.
type Option interface{ apply(*config) error }

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// WithTransport sends through rt; the default is http.DefaultTransport.
func WithTransport(rt http.RoundTripper) Option {
	return optionFunc(func(c *config) error {
		if rt == nil {
			return errors.New("WithTransport: nil transport")
		}
		c.client = &http.Client{Transport: rt, CheckRedirect: noRedirects}
		return nil
	})
}

// WithRetries sets how many times a transient failure is retried (0 to
// 10); the default is DefaultRetries.
func WithRetries(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 0 || n > 10 {
			return fmt.Errorf("WithRetries: %d is not between 0 and 10", n)
		}
		c.retries = n
		return nil
	})
}

// WithBackoff sets the wait before the first retry, doubled for each
// further one up to max; the defaults are DefaultBackoff and
// DefaultMaxBackoff. A Retry-After header asks for longer, up to max.
func WithBackoff(first, max time.Duration) Option {
	return optionFunc(func(c *config) error {
		if first <= 0 || max < first {
			return fmt.Errorf("WithBackoff: want 0 < first <= max, got %v and %v", first, max)
		}
		c.backoff, c.maxBackoff = first, max
		return nil
	})
}

// WithTimeout bounds each attempt; the default is DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithTimeout: %v is not positive", d)
		}
		c.timeout = d
		return nil
	})
}

// WithClock sets the clock that stamps deliveries; the default is
// time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		c.clock = now
		return nil
	})
}

// WithSleep sets how the notifier waits between attempts; the default
// waits on a timer or until ctx is done. Tests use it to record the
// backoff without waiting.
func WithSleep(sleep func(context.Context, time.Duration) error) Option {
	return optionFunc(func(c *config) error {
		if sleep == nil {
			return errors.New("WithSleep: nil function")
		}
		c.sleep = sleep
		return nil
	})
}

// WithInsecureHTTPUnsafe allows a plain http:// URL to a host other than
// the loopback interface. The default requires https, except for
// 127.0.0.1, ::1 and localhost.
func WithInsecureHTTPUnsafe() Option {
	return optionFunc(func(c *config) error { c.insecure = true; return nil })
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// New returns a Notifier that posts to rawURL, signing with secret (at
// least 16 bytes). It does no I/O. Redirects are not followed.
func New(rawURL string, secret []byte, opts ...Option) (*Notifier, error) {
	cfg := config{client: &http.Client{CheckRedirect: noRedirects}, retries: DefaultRetries, backoff: DefaultBackoff,
		maxBackoff: DefaultMaxBackoff, timeout: DefaultTimeout, clock: time.Now, sleep: sleepCtx}
	var errs []error
	for _, o := range opts {
		if err := o.apply(&cfg); err != nil {
			errs = append(errs, fmt.Errorf("webhook: new: %w", err))
		}
	}
	u, err := url.Parse(rawURL)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("webhook: new: url: %v", err))
	case u.Scheme == "https" && u.Host != "":
	case u.Scheme == "http" && u.Host != "" && (cfg.insecure || loopback(u.Hostname())):
	default:
		errs = append(errs, fmt.Errorf("webhook: new: url %q: want https (or http to the loopback interface)", u.Redacted()))
	}
	if len(secret) < 16 {
		errs = append(errs, errors.New("webhook: new: the secret must be at least 16 bytes"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Notifier{url: rawURL, secret: bytes.Clone(secret), cfg: cfg}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Payload is the JSON body of a delivery.
type Payload struct {
	// Event is what happened.
	Event route.Event `json:"event"`
	// Owner is who must act.
	Owner Owner `json:"owner"`
	// Route is the route's name.
	Route string `json:"route"`
}

// Owner is the owner as a delivery names them.
type Owner struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Contact string `json:"contact,omitempty"`
}

// Notify posts the notification. It retries network errors, 5xx, 408 and
// 429 answers up to the retry limit, waiting between attempts; it fails
// at once on other answers (a *StatusError wrapping ErrRejected) and when
// ctx is done.
func (n *Notifier) Notify(ctx context.Context, note route.Notification) error {
	body, err := json.Marshal(Payload{Event: note.Event, Route: note.Route,
		Owner: Owner{ID: note.Owner.ID, Name: note.Owner.Name, Contact: note.Owner.Contact}})
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	if len(body) > DefaultMaxBodySize {
		return fmt.Errorf("webhook: body of %d bytes, the limit is %d", len(body), DefaultMaxBodySize)
	}
	wait := n.cfg.backoff
	var last error
	for attempt := 1; ; attempt++ {
		status, retryAfter, err := n.post(ctx, note, body)
		switch {
		case err == nil && status/100 == 2:
			return nil
		case err != nil:
			if ctx.Err() != nil {
				return fmt.Errorf("webhook: %w", ctx.Err())
			}
			last = fmt.Errorf("webhook: attempt %d: %w", attempt, err)
		default:
			last = &StatusError{Status: status, Attempts: attempt}
			if !retryable(status) {
				return last
			}
		}
		if attempt > n.cfg.retries {
			return last
		}
		d := min(max(wait, retryAfter), n.cfg.maxBackoff)
		if err := n.cfg.sleep(ctx, d); err != nil {
			return fmt.Errorf("webhook: %w (after %v)", err, last)
		}
		wait = min(wait*2, n.cfg.maxBackoff)
	}
}

// post makes one attempt and returns the status and the Retry-After wait.
func (n *Notifier) post(ctx context.Context, note route.Notification, body []byte) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	ts := strconv.FormatInt(n.cfg.clock().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paved-webhook/1")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(n.secret, ts, body))
	req.Header.Set(HeaderEvent, string(note.Event.Kind))
	req.Header.Set(HeaderDelivery, note.Event.ID)
	resp, err := n.cfg.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	var after time.Duration
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 {
		after = time.Duration(s) * time.Second
	}
	return resp.StatusCode, after, nil
}

// Sign returns the signature header value of a body sent at timestamp
// (Unix seconds, as in HeaderTimestamp): "sha256=" and the hex HMAC-SHA256
// of timestamp + "." + body.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// ErrBadSignature: a delivery whose signature or timestamp does not
// verify.
var ErrBadSignature = errors.New("webhook: bad signature")

// Verify checks a received delivery, for receivers: the signature header
// must be Sign's over the timestamp header and the body (compared in
// constant time), and the timestamp within tolerance of now, so that a
// captured delivery cannot be replayed later.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrBadSignature, timestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %s is %v from now", ErrBadSignature, timestamp, d)
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, timestamp, body))) {
		return fmt.Errorf("%w: signature does not match", ErrBadSignature)
	}
	return nil
}
