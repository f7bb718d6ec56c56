package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// BenchmarkServerStack measures what the plugin's handlers cost inside a
// real Caddy HTTP server (its ServeHTTP called directly, no network): the
// same site with and without jwt_auth and two throttle blocks in front of a
// fixed answer. The difference between the rows is the plugin's cost per
// request, in time and allocations, without a load generator's noise.
func BenchmarkServerStack(b *testing.B) {
	secret := "bench-secret-bench-secret-bench-secret"
	b.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	token := "Bearer " + liveToken(&testing.T{}, secret, nil)
	for _, c := range []struct{ name, site string }{
		{"respond", "respond ok"},
		{"jwt_auth+respond", "jwt_auth {\n\t\tsecret {env.GATEWAY_TEST_JWT_SECRET}\n\t}\n\trespond ok"},
		{"throttle+respond", "throttle {\n\t\trate 1000000000/1s\n\t}\n\trespond ok"},
		{"jwt_auth+2×throttle+respond", "throttle {\n\t\tzone a\n\t\trate 1000000000/1s\n\t}\n\tjwt_auth {\n\t\tsecret {env.GATEWAY_TEST_JWT_SECRET}\n\t}\n\t" +
			"throttle {\n\t\tzone b\n\t\tkey {http.auth.user.id}\n\t\trate 1000000000/1s\n\t}\n\trespond ok"},
		{"route+respond", "route {\n\t\trespond ok\n\t}"},
	} {
		b.Run(c.name, func(b *testing.B) {
			g := startGateway(b, "", "http://127.0.0.1:{HTTP} {\n\t"+c.site+"\n}")
			app, err := caddy.ActiveContext().App("http")
			if err != nil {
				b.Fatal(err)
			}
			var srv *caddyhttp.Server
			for _, s := range app.(*caddyhttp.App).Servers {
				srv = s
			}
			req := httptest.NewRequest("GET", g.url("/"), nil)
			req.Header.Set("Authorization", token)
			req.RemoteAddr = "127.0.0.1:12345"
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
