package sigstore

import (
	"fmt"
	"time"
)

// config holds what NewVerifier's options say about the deployment.
type config struct {
	tlog, signedTimestamps, observerTimestamps, scts int
	offlineKeys                                      bool
	now                                              func() time.Time
	given                                            map[string]bool
}

func defaultConfig() config {
	return config{tlog: 1, observerTimestamps: 1, scts: 1, now: time.Now, given: map[string]bool{}}
}

// VerifierOption is a fact about the sigstore deployment that NewVerifier
// is told. Make one with WithTransparencyLog, WithSignedTimestamps,
// WithObserverTimestamps, WithSignedCertificateTimestamps,
// WithOfflineKeys or WithClock. Giving the same option twice is an error.
type VerifierOption interface {
	applyVerifier(*config) error
}

type verifierOption struct {
	name  string
	apply func(*config) error
}

func (o verifierOption) applyVerifier(c *config) error {
	if c.given[o.name] {
		return fmt.Errorf("%w: %s given twice", ErrInvalidOption, o.name)
	}
	c.given[o.name] = true
	return o.apply(c)
}

func threshold(name string, n int, set func(*config, int)) VerifierOption {
	return verifierOption{name: name, apply: func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: %s(%d): threshold is negative", ErrInvalidOption, name, n)
		}
		set(c, n)
		return nil
	}}
}

// WithTransparencyLog requires n verified transparency log (Rekor) entries
// in each bundle; 0 requires none and ignores any. Default 1.
func WithTransparencyLog(n int) VerifierOption {
	return threshold("WithTransparencyLog", n, func(c *config, n int) { c.tlog = n })
}

// WithSignedTimestamps requires n verified RFC 3161 timestamps from the
// trusted timestamp authorities in each bundle. Default 0.
func WithSignedTimestamps(n int) VerifierOption {
	return threshold("WithSignedTimestamps", n, func(c *config, n int) { c.signedTimestamps = n })
}

// WithObserverTimestamps requires n verified observer timestamps in each
// bundle, counting both RFC 3161 timestamps and the integrated times of
// transparency log entries with a verified inclusion promise. A
// certificate is checked at each of them. Default 1.
func WithObserverTimestamps(n int) VerifierOption {
	return threshold("WithObserverTimestamps", n, func(c *config, n int) { c.observerTimestamps = n })
}

// WithSignedCertificateTimestamps requires n verified signed certificate
// timestamps (from the trusted CT logs) embedded in each certificate.
// Default 1. Key-signed bundles have no certificate and are exempt.
func WithSignedCertificateTimestamps(n int) VerifierOption {
	return threshold("WithSignedCertificateTimestamps", n, func(c *config, n int) { c.scts = n })
}

// WithOfflineKeys accepts bundles signed with a trusted long-lived key
// without any transparency log entry or timestamp, such as those that Sign
// makes; a key's validity window is then checked against the clock.
// Certificate-signed bundles still need what the other options say.
// Default: key-signed bundles need the same log entries and timestamps as
// certificate-signed ones.
func WithOfflineKeys() VerifierOption {
	return verifierOption{name: "WithOfflineKeys", apply: func(c *config) error {
		c.offlineKeys = true
		return nil
	}}
}

// WithClock sets the clock that key validity windows are checked against
// under WithOfflineKeys. Default time.Now.
func WithClock(now func() time.Time) VerifierOption {
	return verifierOption{name: "WithClock", apply: func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrInvalidOption)
		}
		c.now = now
		return nil
	}}
}
