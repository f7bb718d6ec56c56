// Package ordertest holds the tests of where waf sorts among the gateway's
// directives (jwt_auth, throttle, registry_api, ...): they need the
// gateway's root package next to this module, hence a Go module of their
// own (replacing both with the copies in this repository), so that the waf
// module does not require the gateway's and builds alone.
package ordertest
