package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const dashboardConsumersSite = `
http://127.0.0.1:{HTTP} {
	handle /dashboard/* {
		uri strip_prefix /dashboard
		gateway_dashboard
	}
	handle {
		api_key
		throttle {
			plan
		}
		respond "ok"
	}
}`

// TestE2EDashboardConsumers: state.json lists consumers with their plan,
// their keys' ids (never a key or its hash) and their quota use, and the
// decisions by plan; the page shows them.
func TestE2EDashboardConsumers(t *testing.T) {
	g := startGateway(t, consumerPlans, dashboardConsumersSite)
	g.adminCall("POST", "/consumers/", `{"id": "acme", "plan": "pro"}`)
	g.adminCall("POST", "/consumers/", `{"id": "beta", "disabled": true}`)
	keyID, key := g.createKey("acme", `{"name": "ci"}`)
	for range 2 {
		fetchWith(t, g.client, "GET", g.url("/"), http.Header{"X-Api-Key": {key}})
	}
	_, body := g.call("GET", g.url("/dashboard/state.json"), "", nil)
	var st struct {
		Consumers dashConsumers `json:"consumers"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	c := st.Consumers
	if c.Total != 2 || c.Keys != 1 || len(c.Listed) != 2 || c.Requests["pro"]["allowed"] < 2 {
		t.Fatalf("consumers in state.json: %+v", c)
	}
	acme := c.Listed[0]
	if acme.ID != "acme" || acme.Plan != "pro" || len(acme.Keys) != 1 || acme.Keys[0].ID != keyID ||
		len(acme.Quotas) != 1 || acme.Quotas[0].Used != 2 || acme.Quotas[0].Limit != 1000 {
		t.Fatalf("acme in state.json: %+v", acme)
	}
	if strings.Contains(body, key) || strings.Contains(body, "hash") {
		t.Fatalf("state.json holds a key or a hash: %s", body)
	}
}
