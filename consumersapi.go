package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/consumers"
)

// consumersPrefix is where the consumers API lives on the admin endpoint.
const consumersPrefix = "/consumers/"

// adminConsumersAPI serves the consumers API on Caddy's admin endpoint,
// under /consumers/ (JSON in and out, errors included):
//
//	POST   /consumers/                      {id, plan?, metadata?, disabled?} → 201
//	GET    /consumers/?limit=&after=        the consumers by id, paged (Link: rel="next")
//	GET    /consumers/{id}                  one consumer, with its keys' ids
//	PUT    /consumers/{id}                  {plan?, metadata?, disabled?}: replaces them (201 if new)
//	PATCH  /consumers/{id}                  the same fields, each only if present; metadata
//	                                        is merged (a null value removes an entry)
//	DELETE /consumers/{id}                  → 204, with its keys
//	POST   /consumers/{id}/keys             {name?, expires?} → 201 {id, key, ...}: the key
//	                                        is shown here only, never again
//	GET    /consumers/{id}/keys             the keys (ids, names, expiry; never the keys)
//	DELETE /consumers/{id}/keys/{key_id}    → 204: the key stops working
//	GET    /consumers/{id}/usage            the use of each quota of its plan in its window
//
// It holds no state: Caddy creates it anew on every config load and never
// cleans it up, so it only points at the process's consumers.
type adminConsumersAPI struct{}

// CaddyModule returns the Caddy module information.
func (adminConsumersAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.consumers",
		New: func() caddy.Module { return new(adminConsumersAPI) },
	}
}

// Provision loads the consumers app, so that consumers made on the admin
// endpoint are persisted and plans are known even when no site names the
// app (Caddy provisions admin modules with the config they serve).
func (adminConsumersAPI) Provision(ctx caddy.Context) error {
	_, err := ctx.App("consumers")
	return err
}

// Routes returns the consumers API's route on the admin endpoint.
func (adminConsumersAPI) Routes() []caddy.AdminRoute {
	api := consumersAPI{state: processState.consumers, logger: caddy.Log().Named("admin.api.consumers")}
	return []caddy.AdminRoute{{
		Pattern: consumersPrefix,
		Handler: caddy.AdminHandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			api.ServeHTTP(w, r)
			return nil
		}),
	}}
}

type consumersAPI struct {
	state  *consumerState
	logger *zap.Logger
}

func (a consumersAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := a.route(w, r); err != nil {
		status, body := consumersErrorAnswer(err)
		a.logger.Debug("consumers API request refused", zap.String("method", r.Method),
			zap.String("path", r.URL.EscapedPath()), zap.Int("status", status), zap.String("error", body["error"]))
		writeJSON(w, status, body)
	}
}

// consumersErrorAnswer maps the store's errors to statuses.
func consumersErrorAnswer(err error) (int, map[string]string) {
	body := map[string]string{"error": err.Error()}
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae.status, body
	case errors.Is(err, consumers.ErrInvalid):
		return http.StatusBadRequest, body
	case errors.Is(err, consumers.ErrNotFound):
		return http.StatusNotFound, body
	case errors.Is(err, consumers.ErrExists), errors.Is(err, consumers.ErrFull):
		return http.StatusConflict, body
	case errors.Is(err, consumers.ErrBackendDown):
		return http.StatusServiceUnavailable, body
	}
	return http.StatusInternalServerError, body
}

// segments splits the path under /consumers/ into decoded segments,
// refusing dot segments and encoded slashes as the registry API does.
func consumerSegments(r *http.Request) ([]string, error) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), consumersPrefix)
	if !ok {
		return nil, badRequestf("the path %q is not under %s", r.URL.EscapedPath(), consumersPrefix)
	}
	if rest == "" {
		return nil, nil
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	for i, seg := range segs {
		dec, err := url.PathUnescape(seg)
		if err != nil || dec == "" || dec == "." || dec == ".." || strings.Contains(dec, "/") {
			return nil, badRequestf("the path segment %q is not a consumer id, a key id or a word of the API", seg)
		}
		segs[i] = dec
	}
	return segs, nil
}

func (a consumersAPI) route(w http.ResponseWriter, r *http.Request) error {
	segs, err := consumerSegments(r)
	if err != nil {
		return err
	}
	switch {
	case len(segs) == 0:
		if err := allowMethods(w, r, http.MethodGet, http.MethodPost); err != nil {
			return err
		}
		if r.Method == http.MethodPost {
			return a.create(w, r)
		}
		return a.list(w, r)
	case len(segs) == 1:
		if err := allowMethods(w, r, http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete); err != nil {
			return err
		}
		return a.consumer(w, r, segs[0])
	case len(segs) == 2 && segs[1] == "keys":
		if err := allowMethods(w, r, http.MethodGet, http.MethodPost); err != nil {
			return err
		}
		if r.Method == http.MethodPost {
			return a.addKey(w, r, segs[0])
		}
		c, ok := a.state.store.Get(segs[0])
		if !ok {
			return fmt.Errorf("%w: consumer %q", consumers.ErrNotFound, segs[0])
		}
		writeJSON(w, http.StatusOK, viewConsumer(c).Keys)
		return nil
	case len(segs) == 3 && segs[1] == "keys":
		if err := allowMethods(w, r, http.MethodDelete); err != nil {
			return err
		}
		if err := a.state.store.DeleteKey(r.Context(), segs[0], segs[2]); err != nil {
			return err
		}
		if err := a.persistNow(r.Context(), segs[0]); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case len(segs) == 2 && segs[1] == "usage":
		if err := allowMethods(w, r, http.MethodGet); err != nil {
			return err
		}
		return a.usage(w, r, segs[0])
	}
	return apiErrorf(http.StatusNotFound, "no such endpoint %s; see the consumers API in docs/consumers.md", r.URL.Path)
}

// consumerBody is the JSON a client sends for a consumer. Pointers tell a
// field that is absent from one that is empty (PATCH).
type consumerBody struct {
	ID       *string            `json:"id"`
	Plan     *string            `json:"plan"`
	Metadata map[string]*string `json:"metadata"`
	Disabled *bool              `json:"disabled"`
}

// describeConsumerJSONError says what is wrong with a consumer or key
// body, naming its own fields (fields) and types.
func describeConsumerJSONError(err error, fields string) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		switch {
		case typeErr.Field == "disabled":
			return fmt.Sprintf(`"disabled" must be true or false, not a %s`, typeErr.Value)
		case strings.HasPrefix(typeErr.Field, "metadata"):
			return fmt.Sprintf(`"metadata" must be an object of string values (null removes an entry), such as {"team": "red"}, not a %s`, typeErr.Value)
		}
		return fmt.Sprintf("%q must be a string, not a %s", typeErr.Field, typeErr.Value)
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Sprintf("unknown field %s; the fields are %s", msg, fields)
	}
	return describeJSONError(err)
}

func readConsumerBody(w http.ResponseWriter, r *http.Request) (consumerBody, error) {
	var b consumerBody
	raw, err := readBody(w, r)
	if err != nil {
		return b, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return b, badRequestf("the body is not a consumer: %s (want {\"id\": ..., \"plan\": ..., \"metadata\": {...}, \"disabled\": false})", describeConsumerJSONError(err, "id, plan, metadata, disabled"))
	}
	if dec.More() {
		return b, badRequestf("the body holds more than one JSON value")
	}
	return b, nil
}

// checkPlan refuses a plan the running config does not define, when it
// defines plans.
func (a consumersAPI) checkPlan(plan string) error {
	app := a.state.app.Load()
	if plan == "" || app == nil || len(app.Plans) == 0 {
		return nil
	}
	if _, ok := app.Plans[plan]; !ok {
		return badRequestf("plan %q is not defined (plans: %s)", plan, strings.Join(app.planNames(), ", "))
	}
	return nil
}

func (a consumersAPI) create(w http.ResponseWriter, r *http.Request) error {
	b, err := readConsumerBody(w, r)
	if err != nil {
		return err
	}
	if b.ID == nil {
		return badRequestf("the body needs an id, e.g. {\"id\": \"acme\", \"plan\": \"pro\"}")
	}
	c := consumers.Consumer{ID: *b.ID}
	if err := applyBody(&c, b, true); err != nil {
		return err
	}
	if err := a.checkPlan(c.Plan); err != nil {
		return err
	}
	n, err := a.state.store.Create(r.Context(), c)
	if err != nil {
		return err
	}
	w.Header().Set("Location", consumersPrefix+url.PathEscape(n.ID))
	writeJSON(w, http.StatusCreated, viewConsumer(n))
	return nil
}

// applyBody sets the fields the body has; with replace, absent fields are
// emptied (PUT), else kept (PATCH).
func applyBody(c *consumers.Consumer, b consumerBody, replace bool) error {
	if replace {
		c.Plan, c.Metadata, c.Disabled = "", nil, false
	}
	if b.Plan != nil {
		c.Plan = *b.Plan
	}
	if b.Disabled != nil {
		c.Disabled = *b.Disabled
	}
	if b.Metadata != nil {
		if c.Metadata == nil {
			c.Metadata = map[string]string{}
		}
		for k, v := range b.Metadata {
			if v == nil {
				if replace {
					return badRequestf("metadata %q is null; values are strings", k)
				}
				delete(c.Metadata, k)
				continue
			}
			c.Metadata[k] = *v
		}
	}
	return nil
}

func (a consumersAPI) consumer(w http.ResponseWriter, r *http.Request, id string) error {
	store := a.state.store
	switch r.Method {
	case http.MethodGet:
		c, ok := store.Get(id)
		if !ok {
			return fmt.Errorf("%w: consumer %q", consumers.ErrNotFound, id)
		}
		writeJSON(w, http.StatusOK, viewConsumer(c))
		return nil
	case http.MethodDelete:
		if err := store.Delete(r.Context(), id); err != nil {
			return err
		}
		if err := a.persistNow(r.Context(), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	b, err := readConsumerBody(w, r)
	if err != nil {
		return err
	}
	if b.ID != nil && *b.ID != id {
		return badRequestf("the body's id %q is not the path's %q; a consumer's id cannot change", *b.ID, id)
	}
	if b.Plan != nil {
		if err := a.checkPlan(*b.Plan); err != nil {
			return err
		}
	}
	replace := r.Method == http.MethodPut
	n, err := store.Update(r.Context(), id, func(c *consumers.Consumer) error { return applyBody(c, b, replace) })
	status := http.StatusOK
	if replace && errors.Is(err, consumers.ErrNotFound) {
		c := consumers.Consumer{ID: id}
		if err = applyBody(&c, b, true); err == nil {
			n, err = store.Create(r.Context(), c)
			status = http.StatusCreated
		}
	}
	if err != nil {
		return err
	}
	if err := a.persistNow(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, status, viewConsumer(n))
	return nil
}

// persistNow writes a consumer's record to storage before the answer, for
// the changes that can take rights away (a key deleted, a consumer
// disabled, changed or deleted): a crash right after the answer cannot
// bring a revoked key back. Creations (a consumer, a key) are written in
// the background within a second. Nothing to do in cluster mode (Redis
// has the change before the answer) or with persist off.
func (a consumersAPI) persistNow(ctx context.Context, id string) error {
	a.state.mu.Lock()
	p := a.state.persister
	a.state.mu.Unlock()
	if p == nil {
		return nil
	}
	if err := p.WriteNow(ctx, id); err != nil {
		return apiErrorf(http.StatusInternalServerError, "the change is in force, but writing it to storage failed (retried in the background): %v", err)
	}
	return nil
}

// keyBody is the JSON of POST /consumers/{id}/keys.
type keyBody struct {
	Name    string `json:"name"`
	Expires string `json:"expires"`
}

func (a consumersAPI) addKey(w http.ResponseWriter, r *http.Request, id string) error {
	raw, err := readBody(w, r)
	if err != nil {
		return err
	}
	var b keyBody
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			return badRequestf("the body is not a key request: %s (want {\"name\": \"ci\", \"expires\": \"2027-01-01T00:00:00Z\"}, both optional)", describeConsumerJSONError(err, "name, expires"))
		}
	}
	var expires time.Time
	if b.Expires != "" {
		if expires, err = time.Parse(time.RFC3339, b.Expires); err != nil {
			return badRequestf("expires %q is not an RFC 3339 time such as 2027-01-01T00:00:00Z", b.Expires)
		}
		if expires.IsZero() {
			// the store reads the zero time as "never expires": refused
			// here rather than taken for it
			return badRequestf("expires %q is the zero time, not in the future; omit expires for a key that never expires", b.Expires)
		}
	}
	secret, k, err := a.state.store.AddKey(r.Context(), id, b.Name, expires)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, struct {
		keyView
		Key     string `json:"key"`
		Warning string `json:"warning"`
	}{viewKey(k), secret, "the key is shown only now; store it safely"})
	return nil
}

func (a consumersAPI) list(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r)
	if err != nil {
		return err
	}
	limit := p.limit
	if limit == 0 {
		limit = 100
	}
	page := a.state.store.List(p.after, limit)
	out := make([]consumerView, len(page))
	for i, c := range page {
		out[i] = viewConsumer(c)
	}
	if len(page) == limit {
		nextLink(w, consumersPrefix, limit, page[len(page)-1].ID)
	}
	total, _ := a.state.store.Len()
	writeJSON(w, http.StatusOK, map[string]any{"consumers": out, "total": total})
	return nil
}

func (a consumersAPI) usage(w http.ResponseWriter, r *http.Request, id string) error {
	c, ok := a.state.store.Get(id)
	if !ok {
		return fmt.Errorf("%w: consumer %q", consumers.ErrNotFound, id)
	}
	app := a.state.app.Load()
	if app == nil {
		return apiErrorf(http.StatusServiceUnavailable, "no config is running")
	}
	plan, uses, err := app.usage(r.Context(), c)
	if err != nil {
		return apiErrorf(http.StatusServiceUnavailable, "reading the quota counts: %v", err)
	}
	views := make([]useView, len(uses))
	for i, u := range uses {
		views[i] = viewUse(u)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "plan": plan, "quotas": views})
	return nil
}

// consumerView is a consumer as the API shows it: keys without hashes.
type consumerView struct {
	ID        string            `json:"id"`
	Plan      string            `json:"plan,omitempty"`
	Metadata  map[string]string `json:"metadata,omitempty"`
	Disabled  bool              `json:"disabled"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	Keys      []keyView         `json:"keys"`
}

type keyView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Expires   time.Time `json:"expires,omitzero"`
}

func viewKey(k consumers.Key) keyView {
	return keyView{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, Expires: k.Expires}
}

func viewConsumer(c *consumers.Consumer) consumerView {
	v := consumerView{ID: c.ID, Plan: c.Plan, Metadata: c.Metadata, Disabled: c.Disabled,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Keys: make([]keyView, len(c.Keys))}
	for i, k := range c.Keys {
		v.Keys[i] = viewKey(k)
	}
	return v
}

type useView struct {
	Quota     string    `json:"quota"`
	Period    string    `json:"period"`
	Limit     int64     `json:"limit"`
	Used      int64     `json:"used"`
	Remaining int64     `json:"remaining"`
	Start     time.Time `json:"window_start"`
	Renews    time.Time `json:"renews_at"`
}

func viewUse(u consumers.Use) useView {
	return useView{Quota: u.Quota.String(), Period: u.Period.String(), Limit: u.Limit, Used: u.Used,
		Remaining: u.Remaining(), Start: u.Start, Renews: u.End}
}

// Interface guards
var (
	_ caddy.AdminRouter = (*adminConsumersAPI)(nil)
	_ caddy.Provisioner = (*adminConsumersAPI)(nil)
)
