// Package oidc reads an OpenID Provider's metadata (OpenID Connect
// Discovery 1.0) and keeps its signing keys: it fetches
// <issuer>/.well-known/openid-configuration, checks that the document's
// issuer is the one configured, takes jwks_uri (and, for
// token_introspection, introspection_endpoint) from it, and keeps the key
// set current: a periodic refresh, a refetch when a token names an unknown
// kid (at most one per cooldown), and the last good keys when the provider
// cannot be reached.
//
// It knows nothing of Caddy. Every size it reads is bounded: the
// discovery document (MaxDiscoveryBytes), the key set (MaxJWKSBytes) and
// the number of keys (MaxKeys).
package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Bounds on what is read from a provider.
const (
	// MaxDiscoveryBytes bounds the discovery document; real ones are 2-8 KB.
	MaxDiscoveryBytes = 64 << 10
	// MaxJWKSBytes bounds the key set document.
	MaxJWKSBytes = 256 << 10
	// MaxKeys bounds the keys taken from a key set: a set with more is
	// refused as a whole (the last good set stays), rather than cut at an
	// arbitrary key.
	MaxKeys = 64
)

// WellKnownPath is where a provider publishes its metadata, under its
// issuer URL (OpenID Connect Discovery 1.0 §4).
const WellKnownPath = "/.well-known/openid-configuration"

// Metadata is what this package reads of a provider's metadata.
type Metadata struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	IntrospectionEndpoint string `json:"introspection_endpoint,omitempty"`
}

// CheckURL accepts an https URL, or an http one whose host is a loopback
// address or localhost (a provider on the same machine, as in tests). what
// names the URL in the error.
func CheckURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%s %q is not an absolute URL", what, raw)
	}
	if u.User != nil {
		return fmt.Errorf("%s %q must not hold credentials", what, raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%s %q must have no query or fragment", what, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("%s %q must be an https URL (http only for a loopback address)", what, raw)
}

// IsLoopback tells localhost and loopback IP addresses.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DiscoveryURL is the metadata URL of issuer: the issuer without a
// trailing slash, then WellKnownPath.
func DiscoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + WellKnownPath
}

// ErrIssuerMismatch: the document names another issuer than the one
// configured (OpenID Connect Discovery 1.0 §4.3: they must be identical).
var ErrIssuerMismatch = errors.New("the provider's metadata names another issuer")

// Discover fetches issuer's metadata and checks it: the same issuer,
// character for character, and a jwks_uri (and introspection_endpoint
// when there is one) that CheckURL accepts.
func Discover(ctx context.Context, client *http.Client, issuer string) (Metadata, error) {
	var m Metadata
	body, err := Get(ctx, client, DiscoveryURL(issuer), MaxDiscoveryBytes)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return m, fmt.Errorf("reading %s: %w", DiscoveryURL(issuer), err)
	}
	if m.Issuer != issuer {
		return m, fmt.Errorf("%w: %q, configured %q", ErrIssuerMismatch, m.Issuer, issuer)
	}
	if m.JWKSURI != "" {
		if err := CheckURL("jwks_uri", m.JWKSURI); err != nil {
			return m, err
		}
	}
	if m.IntrospectionEndpoint != "" {
		if err := CheckURL("introspection_endpoint", m.IntrospectionEndpoint); err != nil {
			return m, err
		}
	}
	return m, nil
}

// Get fetches u and returns its body, refusing a status other than 200
// and a body longer than limit.
func Get(ctx context.Context, client *http.Client, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return ReadLimited(resp.Body, limit, u)
}

// ReadLimited reads r whole, or fails when it holds more than limit bytes.
func ReadLimited(r io.Reader, limit int64, what string) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", what, limit)
	}
	return body, nil
}

// NewClient is the HTTP client for a provider's documents: it follows no
// redirect. A redirect would take the request (and, for introspection,
// the client's secret and the token) to a host the configuration never
// named, perhaps over plain HTTP, and the answer from there would be
// trusted: a provider's endpoints answer where discovery says they are.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: RefuseRedirect}
}

// RefuseRedirect is an http.Client's CheckRedirect that follows none.
func RefuseRedirect(req *http.Request, _ []*http.Request) error {
	return fmt.Errorf("the provider redirected to %s://%s%s; redirects are not followed (configure the URL it redirects to)", req.URL.Scheme, req.URL.Host, req.URL.Path)
}
