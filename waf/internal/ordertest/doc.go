// Package ordertest holds the tests of where waf sorts among the gateway's
// directives (jwt_auth, throttle, registry_api, ...): they need the
// gateway's root package next to this module, hence a package of their
// own, so that the waf package's tests build without it.
package ordertest
