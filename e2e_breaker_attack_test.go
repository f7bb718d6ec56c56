package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestE2EBreakerIsNoOffSwitch: three users hammering a path of the service
// that fails (500) do not open the service's circuit for everyone else, as
// they did when the breaker counted every failure alike.
func TestE2EBreakerIsNoOffSwitch(t *testing.T) {
	secret := "e2e-secret-e2e-secret-e2e-secret-e2e"
	t.Setenv("GATEWAY_TEST_JWT_SECRET", secret)
	g := startGateway(t, "", `
http://127.0.0.1:{HTTP} {
	route {
		jwt_auth {
			secret {env.GATEWAY_TEST_JWT_SECRET}
		}
		circuit_breaker {
			key {http.request.uri.path.0}
		}
		reverse_proxy {
			dynamic registry {http.request.uri.path.0}
		}
	}
}`)
	for i := range 2 {
		be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/fail") {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			fmt.Fprintf(w, `{"instance": "be%d"}`, i)
		}))
		t.Cleanup(be.Close)
		g.register("svc", fmt.Sprintf(`{"address": %q, "id": "be%d"}`, strings.TrimPrefix(be.URL, "http://"), i))
	}
	as := func(user string) http.Header {
		return http.Header{"Authorization": {"Bearer " + liveToken(t, secret, jwt.MapClaims{"sub": user})}}
	}
	var wg sync.WaitGroup
	for _, attacker := range []string{"mallory", "trudy", "eve"} {
		h := as(attacker)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if _, err := tryFetch(g.client, "GET", g.url("/svc/fail"), h); err != nil {
					t.Error(err) // not t.Fatal: this is not the test's goroutine
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range 10 {
		if ans := fetchWith(t, g.client, "GET", g.url("/svc/ok"), as(fmt.Sprintf("user-%d", i))); ans.code != 200 {
			_, registered := g.adminCall("GET", "/registry/services", "")
			t.Fatalf("after the attack, user-%d got %d %q (headers %v; registry %s, admin at %s): the attackers switched the service off",
				i, ans.code, ans.body, ans.header, registered, g.admin)
		}
	}
}
