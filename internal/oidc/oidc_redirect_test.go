package oidc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestRedirectsAreNotFollowed: a provider's discovery document or key set
// that redirects (to another host, perhaps over plain HTTP) fails; what
// answers where it points is never asked, so it cannot choose the keys.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var asked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	t.Cleanup(elsewhere.Close)
	var redirector *httptest.Server
	redirector = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/good/.well-known/openid-configuration" {
			// a good document whose jwks_uri redirects
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"issuer":"` + redirector.URL + `/good","jwks_uri":"` + redirector.URL + `/jwks"}`))
			return
		}
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	client := NewClient(time.Second)
	if _, err := Discover(context.Background(), client, redirector.URL); err == nil {
		t.Fatal("discovery followed a redirect")
	}
	if _, err := Get(context.Background(), client, redirector.URL+"/jwks", 1<<16); err == nil {
		t.Fatal("the key set's fetch followed a redirect")
	}
	ks := NewKeySet(KeySetConfig{Issuer: redirector.URL + "/good", Cooldown: time.Minute})
	if err := ks.Refresh(context.Background()); err == nil {
		t.Fatal("a key set was taken from where a redirect pointed")
	}
	if n := asked.Load(); n != 0 {
		t.Fatalf("the redirect was followed: %d requests where it pointed", n)
	}
}
