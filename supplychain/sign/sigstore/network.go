package sigstore

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/sigstore/sigstore-go/pkg/root"
	sigsign "github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
)

// The public-good sigstore services that SignKeyless uses by default.
const (
	PublicGoodFulcioURL = "https://fulcio.sigstore.dev"
	PublicGoodRekorURL  = "https://rekor.sigstore.dev"
)

// FetchOption configures FetchTrustedRoot. Make one with WithTUFMirror,
// WithTUFCacheDir or WithFetchTransport. Giving one twice is an error.
type FetchOption interface {
	applyFetch(*fetchConfig) error
}

type fetchConfig struct {
	mirror    string
	tufRoot   []byte
	cacheDir  string
	transport http.RoundTripper
	given     map[string]bool
}

type fetchOption struct {
	name  string
	apply func(*fetchConfig) error
}

func (o fetchOption) applyFetch(c *fetchConfig) error {
	if c.given[o.name] {
		return fmt.Errorf("%w: %s given twice", ErrInvalidOption, o.name)
	}
	c.given[o.name] = true
	return o.apply(c)
}

// WithTUFMirror fetches from the TUF repository at mirrorURL, trusting
// tufRootJSON (the repository's TUF root.json, not a trusted_root.json) as
// its anchor. Default: the public-good repository and the TUF root
// embedded in sigstore-go.
func WithTUFMirror(mirrorURL string, tufRootJSON []byte) FetchOption {
	return fetchOption{name: "WithTUFMirror", apply: func(c *fetchConfig) error {
		if err := checkURL("WithTUFMirror", mirrorURL); err != nil {
			return err
		}
		if len(tufRootJSON) == 0 {
			return fmt.Errorf("%w: WithTUFMirror: empty TUF root", ErrInvalidOption)
		}
		c.mirror, c.tufRoot = mirrorURL, tufRootJSON
		return nil
	}}
}

// WithTUFCacheDir keeps the TUF metadata in dir between calls, so that a
// later fetch downloads only what changed. Default: no on-disk cache.
func WithTUFCacheDir(dir string) FetchOption {
	return fetchOption{name: "WithTUFCacheDir", apply: func(c *fetchConfig) error {
		if dir == "" {
			return fmt.Errorf("%w: WithTUFCacheDir: empty directory", ErrInvalidOption)
		}
		c.cacheDir = dir
		return nil
	}}
}

// WithFetchTransport sends FetchTrustedRoot's HTTP requests through rt.
// Default http.DefaultTransport.
func WithFetchTransport(rt http.RoundTripper) FetchOption {
	return fetchOption{name: "WithFetchTransport", apply: func(c *fetchConfig) error {
		if rt == nil {
			return fmt.Errorf("%w: WithFetchTransport(nil)", ErrInvalidOption)
		}
		c.transport = rt
		return nil
	}}
}

// FetchTrustedRoot reaches the network: it downloads and verifies, with
// TUF, the trusted_root.json of a sigstore deployment (the public-good one
// by default). Save the result's JSON (its MarshalJSON) and verify offline
// with LoadTrustedRoot afterwards. Cancelling ctx aborts the downloads.
func FetchTrustedRoot(ctx context.Context, opts ...FetchOption) (*root.TrustedRoot, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sigstore: fetch trusted root: %w", err)
	}
	c := fetchConfig{mirror: tuf.DefaultMirror, tufRoot: tuf.DefaultRoot(), transport: http.DefaultTransport, given: map[string]bool{}}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o.applyFetch(&c); err != nil {
			return nil, err
		}
	}
	f := fetcher.NewDefaultFetcher()
	f.SetHTTPClient(callClient{ctx: ctx, client: &http.Client{Transport: c.transport}})
	tufOpts := &tuf.Options{
		Root:              c.tufRoot,
		RepositoryBaseURL: c.mirror,
		CachePath:         c.cacheDir,
		DisableLocalCache: c.cacheDir == "",
		Fetcher:           f,
		Context:           ctx,
	}
	client, err := tuf.New(tufOpts)
	if err != nil {
		return nil, fmt.Errorf("sigstore: fetch trusted root %s: %w", c.mirror, err)
	}
	tr, err := root.GetTrustedRoot(client)
	if err != nil {
		return nil, fmt.Errorf("sigstore: fetch trusted root %s: %w", c.mirror, err)
	}
	return tr, nil
}

// callClient sends each request of one FetchTrustedRoot call under that
// call's context, so that cancelling it aborts the downloads; it lives only
// as long as the call. (go-tuf's SetTransport would change
// http.DefaultClient instead.)
type callClient struct {
	ctx    context.Context
	client *http.Client
}

func (c callClient) Do(req *http.Request) (*http.Response, error) {
	return c.client.Do(req.WithContext(c.ctx))
}

// KeylessOption configures SignKeyless. Make one with WithFulcioURL,
// WithRekorURL, WithTimestampAuthorityURL or WithSignTransport. Giving one
// twice is an error.
type KeylessOption interface {
	applyKeyless(*keylessConfig) error
}

type keylessConfig struct {
	fulcio, rekor, tsa string
	transport          http.RoundTripper
	given              map[string]bool
}

type keylessOption struct {
	name  string
	apply func(*keylessConfig) error
}

func (o keylessOption) applyKeyless(c *keylessConfig) error {
	if c.given[o.name] {
		return fmt.Errorf("%w: %s given twice", ErrInvalidOption, o.name)
	}
	c.given[o.name] = true
	return o.apply(c)
}

// WithFulcioURL gets the signing certificate from the Fulcio instance at
// u. Default PublicGoodFulcioURL.
func WithFulcioURL(u string) KeylessOption {
	return keylessOption{name: "WithFulcioURL", apply: func(c *keylessConfig) error {
		c.fulcio = u
		return checkURL("WithFulcioURL", u)
	}}
}

// WithRekorURL records the signature in the Rekor (v1 API) transparency
// log at u. Default PublicGoodRekorURL.
func WithRekorURL(u string) KeylessOption {
	return keylessOption{name: "WithRekorURL", apply: func(c *keylessConfig) error {
		c.rekor = u
		return checkURL("WithRekorURL", u)
	}}
}

// WithTimestampAuthorityURL also gets an RFC 3161 timestamp of the
// signature from the timestamp authority at u (its full timestamp
// endpoint, such as https://timestamp.sigstore.dev/api/v1/timestamp).
// Default: no timestamp authority; the log's integrated time serves.
func WithTimestampAuthorityURL(u string) KeylessOption {
	return keylessOption{name: "WithTimestampAuthorityURL", apply: func(c *keylessConfig) error {
		c.tsa = u
		return checkURL("WithTimestampAuthorityURL", u)
	}}
}

// WithSignTransport sends SignKeyless's requests to Fulcio and the
// timestamp authority through rt (sigstore-go's Rekor client keeps its
// own). Default http.DefaultTransport.
func WithSignTransport(rt http.RoundTripper) KeylessOption {
	return keylessOption{name: "WithSignTransport", apply: func(c *keylessConfig) error {
		if rt == nil {
			return fmt.Errorf("%w: WithSignTransport(nil)", ErrInvalidOption)
		}
		c.transport = rt
		return nil
	}}
}

func checkURL(option, u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidOption, option, err)
	}
	if (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return fmt.Errorf("%w: %s: %q is not an http(s) URL", ErrInvalidOption, option, u)
	}
	return nil
}

// SignKeyless reaches the network: it signs c with a fresh ephemeral key,
// gets a short-lived certificate for the identity in idToken (an OIDC ID
// token) from Fulcio, records the signature in Rekor and, if configured,
// gets a timestamp from a timestamp authority; it returns the bundle's
// JSON (media type v0.3). Verify it with a Verifier over the deployment's
// trusted root (FetchTrustedRoot, then LoadTrustedRoot) and WithIdentity.
// Cancelling ctx aborts the requests.
func SignKeyless(ctx context.Context, c Content, idToken string, opts ...KeylessOption) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sigstore: sign keyless: %w", err)
	}
	sc, err := c.sigstore()
	if err != nil {
		return nil, err
	}
	if idToken == "" {
		return nil, fmt.Errorf("%w: sign keyless: empty ID token", ErrInvalidOption)
	}
	cfg := keylessConfig{fulcio: PublicGoodFulcioURL, rekor: PublicGoodRekorURL, transport: http.DefaultTransport, given: map[string]bool{}}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o.applyKeyless(&cfg); err != nil {
			return nil, err
		}
	}
	kp, err := sigsign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, fmt.Errorf("sigstore: sign keyless: %w", err)
	}
	bo := sigsign.BundleOptions{
		CertificateProvider:        sigsign.NewFulcio(&sigsign.FulcioOptions{BaseURL: cfg.fulcio, Transport: cfg.transport}),
		CertificateProviderOptions: &sigsign.CertificateProviderOptions{IDToken: idToken},
		TransparencyLogs:           []sigsign.Transparency{sigsign.NewRekor(&sigsign.RekorOptions{BaseURL: cfg.rekor})},
		Context:                    ctx,
	}
	if cfg.tsa != "" {
		bo.TimestampAuthorities = []*sigsign.TimestampAuthority{
			sigsign.NewTimestampAuthority(&sigsign.TimestampAuthorityOptions{URL: cfg.tsa, Transport: cfg.transport}),
		}
	}
	pb, err := sigsign.Bundle(sc, kp, bo)
	if err != nil {
		return nil, fmt.Errorf("sigstore: sign keyless %s: %w", cfg.fulcio, err)
	}
	return marshalBundle(pb)
}
