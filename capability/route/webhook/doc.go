// Package webhook delivers routed notifications (route.Notification) by
// HTTP POST of JSON ([Payload]) to a receiver's URL.
//
// Each delivery is signed: [HeaderSignature] carries "sha256=" and the
// hex HMAC-SHA256, keyed with a shared secret, of the [HeaderTimestamp]
// value, a dot and the body; receivers check it with [Verify], which also
// refuses old timestamps. Transient failures (network errors, 5xx, 408,
// 429) are retried a bounded number of times ([WithRetries]) with
// exponential backoff ([WithBackoff]), honouring Retry-After up to the
// maximum wait; other answers fail at once with a [*StatusError] wrapping
// [ErrRejected]. Redirects are not followed, and plain http is accepted
// only to the loopback interface unless [WithInsecureHTTPUnsafe].
//
// A Notifier is safe for concurrent use. It starts no goroutine.
package webhook
