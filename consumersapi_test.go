package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddygateway/caddy-gateway/internal/consumers"
)

const consumerPlans = `consumers {
		plan free {
			rate 5/1s
			quota 3/day
		}
		plan pro {
			rate 100/1s
			quota 1000/month
		}
		default_plan free
	}`

// createKey makes a key for a consumer on the admin endpoint.
func (g *testGateway) createKey(consumer, body string) (id, key string) {
	g.t.Helper()
	code, ans := g.adminCall("POST", "/consumers/"+consumer+"/keys", body)
	if code != http.StatusCreated {
		g.t.Fatalf("creating a key for %s: %d %s", consumer, code, ans)
	}
	var k struct{ ID, Key string }
	if err := json.Unmarshal([]byte(ans), &k); err != nil || k.Key == "" {
		g.t.Fatalf("key answer: %s", ans)
	}
	return k.ID, k.Key
}

func TestConsumerAdminAPI(t *testing.T) {
	g := startGateway(t, consumerPlans, "")
	for _, c := range []struct {
		method, path, body string
		want               int
		contains           string
	}{
		{"POST", "/consumers/", `{"id": "acme", "plan": "pro", "metadata": {"team": "red"}}`, 201, `"plan":"pro"`},
		{"POST", "/consumers/", `{"id": "acme"}`, 409, "already exists"},
		{"POST", "/consumers/", `{"id": "beta", "plan": "gold"}`, 400, `plan \"gold\" is not defined (plans: free, pro)`},
		{"POST", "/consumers/", `{"id": "../x"}`, 400, "consumer id"},
		{"POST", "/consumers/", `{"plan": "pro"}`, 400, "needs an id"},
		{"POST", "/consumers/", `{"id": "beta", "colour": "red"}`, 400, "colour"},
		{"POST", "/consumers/", `{"id": "beta", "metadata": {"Team": "x"}}`, 400, "metadata key"},
		{"POST", "/consumers/", `not json`, 400, "not a consumer"},
		{"POST", "/consumers/", `{"id": "beta"}`, 201, `"id":"beta"`},
		{"GET", "/consumers/acme", "", 200, `"metadata":{"team":"red"}`},
		{"GET", "/consumers/nobody", "", 404, "not found"},
		{"PATCH", "/consumers/acme", `{"metadata": {"tier": "1"}}`, 200, `"metadata":{"team":"red","tier":"1"}`},
		{"PATCH", "/consumers/acme", `{"metadata": {"team": null}}`, 200, `"metadata":{"tier":"1"}`},
		{"PATCH", "/consumers/acme", `{"id": "other"}`, 400, "cannot change"},
		{"PUT", "/consumers/acme", `{"plan": "free"}`, 200, `"plan":"free"`},
		{"GET", "/consumers/acme", "", 200, `"disabled":false`},
		{"PUT", "/consumers/gamma", `{"plan": "pro"}`, 201, `"id":"gamma"`},
		{"DELETE", "/consumers/gamma", "", 204, ""},
		{"DELETE", "/consumers/gamma", "", 404, "not found"},
		{"POST", "/consumers/nobody/keys", `{}`, 404, "not found"},
		{"POST", "/consumers/acme/keys", `{"expires": "tomorrow"}`, 400, "RFC 3339"},
		{"POST", "/consumers/acme/keys", `{"expires": "2001-01-01T00:00:00Z"}`, 400, "not in the future"},
		{"DELETE", "/consumers/acme/keys/aaaaaaaaaaaaa", "", 404, "no key"},
		{"GET", "/consumers/acme/usage", "", 200, `"quota":"3/day"`},
		{"GET", "/consumers/acme/nothing", "", 404, "no such endpoint"},
		{"PATCH", "/consumers/", "", 405, "not allowed"},
		{"GET", "/consumers/?limit=0", "", 400, "limit"},
	} {
		code, body := g.adminCall(c.method, c.path, c.body)
		if code != c.want || !strings.Contains(body, c.contains) {
			t.Errorf("%s %s %s: %d %s, want %d with %q", c.method, c.path, c.body, code, body, c.want, c.contains)
		}
	}

	// a key is shown once: the listing holds its id, never the key
	keyID, key := g.createKey("acme", `{"name": "ci", "expires": "2099-01-01T00:00:00Z"}`)
	_, one := g.adminCall("GET", "/consumers/acme", "")
	_, keys := g.adminCall("GET", "/consumers/acme/keys", "")
	for _, body := range []string{one, keys} {
		if !strings.Contains(body, keyID) || strings.Contains(body, key) || strings.Contains(body, "hash") {
			t.Errorf("a consumer's keys show the key or its hash, or not its id: %s", body)
		}
	}
	if code, _ := g.adminCall("DELETE", "/consumers/acme/keys/"+keyID, ""); code != 204 {
		t.Errorf("deleting the key: %d", code)
	}

	// paging
	for _, id := range []string{"c1", "c2", "c3"} {
		g.adminCall("POST", "/consumers/", `{"id": "`+id+`"}`)
	}
	var ids []string
	next := "/consumers/?limit=2"
	for next != "" {
		code, body, link := g.adminCallLink("GET", next)
		if code != 200 {
			t.Fatalf("GET %s: %d %s", next, code, body)
		}
		var page struct{ Consumers []consumerView }
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Consumers {
			ids = append(ids, c.ID)
		}
		next = ""
		if link != "" {
			next = strings.TrimSuffix(strings.TrimPrefix(strings.Split(link, ";")[0], "<"), ">")
		}
	}
	if strings.Join(ids, ",") != "acme,beta,c1,c2,c3" {
		t.Errorf("paged listing: %v", ids)
	}
}

// adminCallLink is adminCall returning the Link header too.
func (g *testGateway) adminCallLink(method, path string) (int, string, string) {
	g.t.Helper()
	req, _ := http.NewRequest(method, "http://"+g.admin+path, nil)
	resp, err := g.client.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Link")
}

func TestConsumerAdminAPIBodyLimits(t *testing.T) {
	g := startGateway(t, "", "")
	big := `{"id": "a", "metadata": {"k": "` + strings.Repeat("x", 20<<10) + `"}}`
	if code, body := g.adminCall("POST", "/consumers/", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("an over-size body: %d %s", code, body)
	}
	// declared over the cap and never sent: refused before it is read
	req, _ := http.NewRequest("POST", "http://"+g.admin+"/consumers/", strings.NewReader("{}"))
	req.ContentLength = 1 << 30
	req.Header.Set("Expect", "100-continue")
	resp, err := g.client.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("a declared 1 GiB body: %d", resp.StatusCode)
		}
	}
}

// TestConsumerPersistence: consumers and keys survive a reload and a
// restart, and storage holds only the keys' hashes.
func TestConsumerPersistence(t *testing.T) {
	g := startGateway(t, consumerPlans, "")
	g.adminCall("POST", "/consumers/", `{"id": "acme", "plan": "pro", "metadata": {"team": "red"}}`)
	keyID, key := g.createKey("acme", `{"name": "ci"}`)

	g.load(consumerPlans+"\n\tdebug", "") // a reload
	if code, body := g.adminCall("GET", "/consumers/acme", ""); code != 200 || !strings.Contains(body, keyID) {
		t.Fatalf("after a reload: %d %s", code, body)
	}

	g.restart(consumerPlans, "") // a new process, the same storage
	code, body := g.adminCall("GET", "/consumers/acme", "")
	if code != 200 || !strings.Contains(body, keyID) || !strings.Contains(body, `"team":"red"`) {
		t.Fatalf("after a restart: %d %s", code, body)
	}
	if c, why := processState.consumers.store.Authenticate(key, time.Now()); why != 0 || c.ID != "acme" {
		t.Fatalf("the key after a restart: %v", why)
	}
	secret := key[len("cgw_")+14:]
	secret = secret[:strings.IndexByte(secret, '_')]
	found := 0
	err := filepath.Walk(g.storageDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("%s holds the key's secret", path)
		}
		if strings.Contains(string(b), keyID) {
			found++
		}
		return nil
	})
	if err != nil || found == 0 {
		t.Fatalf("no stored record names the key (%v)", err)
	}

	// a deletion is persisted too
	g.adminCall("DELETE", "/consumers/acme", "")
	g.restart(consumerPlans, "")
	if code, _ := g.adminCall("GET", "/consumers/acme", ""); code != 404 {
		t.Fatalf("a deleted consumer is back after a restart: %d", code)
	}
}

// TestConsumerPersistenceWithoutTheOption: consumers made on the admin
// endpoint are persisted even when the config has no consumers option and
// no api_key (the admin module loads the app).
func TestConsumerPersistenceWithoutTheOption(t *testing.T) {
	g := startGateway(t, "", "")
	if code, body := g.adminCall("POST", "/consumers/", `{"id": "acme"}`); code != http.StatusCreated {
		t.Fatalf("creating: %d %s", code, body)
	}
	g.restart("", "")
	if code, body := g.adminCall("GET", "/consumers/acme", ""); code != http.StatusOK {
		t.Fatalf("after a restart: %d %s", code, body)
	}
}

// TestConsumerRevocationPersistedBeforeAnswer: a key deletion, a disable
// and a consumer deletion are in storage when the admin API answers 2xx,
// so a crash right after the answer cannot bring the key back.
func TestConsumerRevocationPersistedBeforeAnswer(t *testing.T) {
	g := startGateway(t, consumerPlans, "")
	record := func(id string) string {
		b, err := os.ReadFile(filepath.Join(g.storageDir, filepath.FromSlash(consumers.RecordKey(id))))
		if errors.Is(err, os.ErrNotExist) {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// waits for the background writer to have written the key: it then
	// waits a second before its next write
	settle := func(id, keyID string) {
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(record(id), keyID) {
			if time.Now().After(deadline) {
				t.Fatalf("the key %s of %s was never persisted", keyID, id)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	g.adminCall("POST", "/consumers/", `{"id": "acme"}`)
	keyID, _ := g.createKey("acme", "")
	settle("acme", keyID)
	if code, body := g.adminCall("DELETE", "/consumers/acme/keys/"+keyID, ""); code != http.StatusNoContent {
		t.Fatalf("deleting the key: %d %s", code, body)
	}
	if strings.Contains(record("acme"), keyID) {
		t.Fatal("the key deletion was answered 204 before it was in storage")
	}

	keyID, _ = g.createKey("acme", "")
	settle("acme", keyID)
	if code, body := g.adminCall("PATCH", "/consumers/acme", `{"disabled": true}`); code != http.StatusOK {
		t.Fatalf("disabling: %d %s", code, body)
	}
	if !strings.Contains(record("acme"), `"disabled":true`) {
		t.Fatal("the disable was answered 200 before it was in storage")
	}

	g.adminCall("POST", "/consumers/", `{"id": "gone"}`)
	keyID, _ = g.createKey("gone", "")
	settle("gone", keyID)
	if code, body := g.adminCall("DELETE", "/consumers/gone", ""); code != http.StatusNoContent {
		t.Fatalf("deleting the consumer: %d %s", code, body)
	}
	if record("gone") != "" {
		t.Fatal("the consumer deletion was answered 204 before it was in storage")
	}
}

// TestConsumerKeyExpiresValidated: a key's expires must be a real future
// time the gateway can hold: the zero time is refused (it is not "never";
// omit expires for that), and so is a time past the largest one a key can
// carry (after 2262 a time in ns overflows: the key would be dead at
// birth). A far but sane time works.
func TestConsumerKeyExpiresValidated(t *testing.T) {
	g := startGateway(t, consumerPlans, "")
	g.adminCall("POST", "/consumers/", `{"id": "acme"}`)
	for _, exp := range []string{"0001-01-01T00:00:00Z", "0001-01-01T01:00:00+01:00", "2263-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2001-01-01T00:00:00Z"} {
		if code, body := g.adminCall("POST", "/consumers/acme/keys", `{"expires": "`+exp+`"}`); code != http.StatusBadRequest {
			t.Errorf("expires %s: %d %s; want 400", exp, code, body)
		}
	}
	_, key := g.createKey("acme", `{"expires": "2199-12-31T00:00:00Z"}`)
	if _, why := processState.consumers.store.Authenticate(key, time.Now()); why != consumers.Accepted {
		t.Fatalf("a key expiring in 2199: %v", why)
	}
}

// TestConsumerAdminAPIMessages: the admin API's 400s name the consumers'
// own fields and types, and a key name with a control character (CR, LF)
// is refused like a metadata value.
func TestConsumerAdminAPIMessages(t *testing.T) {
	g := startGateway(t, consumerPlans, "")
	for _, c := range []struct {
		method, path, body string
		want, notWant      string
	}{
		{"POST", "/consumers/", `{"id": "a", "ttl": 3}`, "id, plan, metadata, disabled", "address"},
		{"POST", "/consumers/", `{"id": "a", "disabled": "true"}`, `"disabled" must be true or false, not a string`, ""},
		{"POST", "/consumers/", `{"id": 7}`, `"id" must be a string, not a number`, ""},
		{"POST", "/consumers/", `{"id": "a", "metadata": {"team": 1}}`, `"metadata" must be an object of string values`, ""},
	} {
		code, raw := g.adminCall(c.method, c.path, c.body)
		var ans struct{ Error string }
		_ = json.Unmarshal([]byte(raw), &ans)
		body := ans.Error
		if code != http.StatusBadRequest || !strings.Contains(body, c.want) || (c.notWant != "" && strings.Contains(body, c.notWant)) {
			t.Errorf("%s %s %s: %d %s; want 400 with %q", c.method, c.path, c.body, code, body, c.want)
		}
	}
	g.adminCall("POST", "/consumers/", `{"id": "acme"}`)
	if code, body := g.adminCall("POST", "/consumers/acme/keys", `{"nme": "ci"}`); code != http.StatusBadRequest || !strings.Contains(body, "name, expires") {
		t.Errorf("a key body's unknown field: %d %s", code, body)
	}
	for _, name := range []string{"ci\r\nX-Injected: 1", "tab\there", "del\x7f"} {
		b, _ := json.Marshal(map[string]string{"name": name})
		if code, body := g.adminCall("POST", "/consumers/acme/keys", string(b)); code != http.StatusBadRequest || !strings.Contains(body, "control character") {
			t.Errorf("key name %q: %d %s; want 400", name, code, body)
		}
	}
}
