// Package e2e holds the gateway's tests that need what a user's build must
// not inherit: headless Chromium driven by github.com/chromedp/chromedp
// (the dashboard and cross-origin browser tests), and the xcaddy tool
// (`go -C e2e tool xcaddy`, which the root's binary walk-through test and
// the bench tool run to build Caddy).
//
// It is a Go module of its own, beside the root one, so that those
// dependencies are listed in e2e/go.mod and never in the go.mod that users
// import: a user's `go list -m all` stays free of them. It requires the
// root module through a replace (../), and imports the root's internal
// packages (allowed: its import path is under the root's). Its tests run
// Caddy in-process, as the root's end-to-end tests do (gateway_test.go).
package e2e
