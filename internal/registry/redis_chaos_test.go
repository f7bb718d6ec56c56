package registry

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/testenv"
)

// TestClusterChaos: two gateways, one Redis, random registrations,
// renewals and deregistrations through both while Redis is stopped and
// started (empty) twice. At the end both gateways route to exactly what
// Redis holds, and every registration that was acknowledged and not
// removed is there.
func TestClusterChaos(t *testing.T) {
	rs := testenv.StartOwnRedis(t)
	gws := []*Registry{clusterMember(t, rs, 200*time.Millisecond), clusterMember(t, rs, 200*time.Millisecond)}
	rng := rand.New(rand.NewPCG(testenv.Seed(t), 7))

	// the model: what an acknowledged change leaves; an id whose last
	// change failed (the outcome is unknown) is left out of the checks
	want := map[string]string{} // id -> address
	unknown := map[string]bool{}
	step := func() {
		g := gws[rng.IntN(len(gws))]
		id := fmt.Sprintf("i%d", rng.IntN(20))
		switch rng.IntN(3) {
		case 0, 1: // register or renew, maybe moving it
			addr := fmt.Sprintf("10.0.%d.%d:80", rng.IntN(4), rng.IntN(200)+1)
			if _, _, err := g.Register(Registration{Service: "svc", ID: id, Address: addr, TTL: time.Hour}); err != nil {
				unknown[id] = true
				return
			}
			want[id] = addr
		case 2:
			if _, err := g.Deregister("svc", id); err != nil {
				unknown[id] = true
				return
			}
			delete(want, id)
		}
		delete(unknown, id)
	}
	redisState := func() map[string]string {
		out := map[string]string{}
		c := rs.Client()
		for _, k := range rs.Keys(redisInstancePrefix + "svc/*") {
			v, err := c.Get(context.Background(), k).Result()
			if err != nil {
				continue
			}
			inst, _, err := parseRedisValue(v)
			if err == nil {
				out[inst.ID] = inst.Address
			}
		}
		return out
	}
	local := func(g *Registry) map[string]string {
		out := map[string]string{}
		insts, _ := g.Instances("svc")
		for _, inst := range insts {
			out[inst.ID] = inst.Address
		}
		return out
	}
	for phase := range 3 {
		for range 150 {
			step()
		}
		if phase < 2 {
			// both gateways have taken in every change before Redis dies:
			// a deletion acknowledged microseconds before a crash, whose
			// event never reached the other gateway, is lost with Redis
			testenv.Eventually(t, 5*time.Second, "the gateways did not catch up before the outage", func() bool {
				held := redisState()
				return maps.Equal(local(gws[0]), held) && maps.Equal(local(gws[1]), held)
			})
			rs.Stop()
			for range 20 {
				step() // all refused: Redis is down
			}
			testenv.Eventually(t, 5*time.Second, "the gateways did not notice the outage", func() bool {
				return gws[0].remote.isDown() && gws[1].remote.isDown()
			})
			rs.Start() // empty: the gateways write back what they know
		}
	}

	var last string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last state: %s", last)
		}
	})
	testenv.Eventually(t, 15*time.Second, "the gateways did not converge on what Redis holds (see the last state below)", func() bool {
		held := redisState()
		for _, g := range gws {
			if !maps.Equal(local(g), held) {
				last = fmt.Sprintf("redis %v, gateway %v", held, local(g))
				return false
			}
		}
		return true
	})
	held := redisState()
	for id, addr := range want {
		if unknown[id] {
			continue
		}
		if held[id] != addr {
			t.Errorf("acknowledged registration %s at %s: Redis holds %q (%s)", id, addr, held[id], last)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(held)) {
		if _, ok := want[id]; !ok && !unknown[id] {
			t.Errorf("%s is registered, but its deregistration was acknowledged", id)
		}
	}
}
