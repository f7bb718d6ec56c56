package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddygateway/caddy-gateway/internal/addrpolicy"
	"github.com/caddygateway/caddy-gateway/internal/registry"
)

func init() {
	caddy.RegisterModule(RegistryAPI{})
	caddy.RegisterModule(adminRegistryAPI{})
}

// apiPrefix is where the registration API lives, on the admin endpoint and
// on a site route alike.
const apiPrefix = "/registry/"

// maxBodyBytes caps a registration body; over it the answer is 413.
const maxBodyBytes = 16 << 10

// apiError is an error with the HTTP status it answers with. Its message is
// meant for the client: it says what was wrong.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func apiErrorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

func badRequestf(format string, args ...any) error {
	return apiErrorf(http.StatusBadRequest, format, args...)
}

// registryAPI is the one implementation of the registration API; the admin
// module and the registry_api handler both serve it.
type apiServer struct {
	reg    *registry.Registry
	logger *zap.Logger
	// origin is the path registrations come through: the address policy
	// accepts loopback addresses only from the admin endpoint
	origin addrpolicy.Origin
	// services, when not nil, are the services a caller may register or
	// deregister (registry_api's `services`), expanded per request
	services []template
}

// ServeHTTP answers a request whose path starts with apiPrefix. Every answer,
// errors included, is JSON.
func (a apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := a.route(w, r); err != nil {
		status, body := errorAnswer(err)
		a.logger.Debug("registry API request refused", zap.String("method", r.Method),
			zap.String("path", r.URL.EscapedPath()), zap.Int("status", status), zap.String("error", body["error"]))
		writeJSON(w, status, body)
	}
}

// errorAnswer maps an error to the API's status and JSON body: the
// registry's kinds of error, the address policy's refusals (naming the
// rule), and the API's own.
func errorAnswer(err error) (int, map[string]string) {
	body := map[string]string{"error": err.Error()}
	var ae *apiError
	var refused *addrpolicy.RefusedError
	var unresolved *addrpolicy.ResolveError
	switch {
	case errors.As(err, &ae):
		return ae.status, body
	case errors.As(err, &refused):
		body["rule"] = refused.Rule
		return http.StatusForbidden, body
	case errors.As(err, &unresolved), errors.Is(err, registry.ErrInvalid):
		return http.StatusBadRequest, body
	case errors.Is(err, registry.ErrFull):
		return http.StatusConflict, body
	case errors.Is(err, registry.ErrBackendDown):
		return http.StatusServiceUnavailable, body
	}
	return http.StatusInternalServerError, body
}

// apiSegments splits the request's path under apiPrefix into its decoded
// segments. It reads the path as sent (escaped), so that a segment holding
// an encoded "/" cannot pass for two, and refuses dot segments, raw or
// encoded: Caddy's path matchers see the cleaned path, in which
// "/registry/services/.." is "/registry", so a handler acting on the raw
// path would act on something no matcher in front of it saw.
func apiSegments(r *http.Request) ([]string, error) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), apiPrefix)
	if !ok {
		return nil, badRequestf("the path %q is not under %s as sent (an encoded '/'?)", r.URL.EscapedPath(), apiPrefix)
	}
	segs := strings.Split(rest, "/")
	if len(segs) > 1 && segs[len(segs)-1] == "" {
		segs = segs[:len(segs)-1] // one trailing slash is fine
	}
	for i, seg := range segs {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return nil, badRequestf("the path segment %q is not valid percent-encoding", seg)
		}
		if dec == "." || dec == ".." {
			return nil, badRequestf("the path %q has a dot segment (%q); paths under %s never hold . or ..", r.URL.EscapedPath(), seg, apiPrefix)
		}
		if strings.Contains(dec, "/") {
			return nil, badRequestf("the path segment %q holds an encoded '/'", seg)
		}
		segs[i] = dec
	}
	return segs, nil
}

// mayWrite refuses a registration or deregistration of a service the caller
// is not allowed to change.
func (a apiServer) mayWrite(r *http.Request, service string) error {
	if a.services == nil {
		return nil
	}
	repl, _ := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if repl == nil {
		repl = caddy.NewReplacer()
	}
	for _, t := range a.services {
		for allowed := range strings.SplitSeq(t.render(repl), ",") {
			if strings.TrimSpace(allowed) == service {
				return nil
			}
		}
	}
	return apiErrorf(http.StatusForbidden, "this caller may not register or deregister instances of service %q (registry_api services)", service)
}

func (a apiServer) route(w http.ResponseWriter, r *http.Request) error {
	segs, err := apiSegments(r)
	if err != nil {
		return err
	}
	switch {
	case len(segs) == 1 && segs[0] == "services":
		if err := allowMethods(w, r, http.MethodGet); err != nil {
			return err
		}
		return a.listServices(w, r)

	case len(segs) >= 2 && len(segs) <= 3 && segs[0] == "services":
		service := segs[1]
		if err := registry.ValidateServiceName(service); err != nil {
			return err
		}
		if len(segs) == 2 {
			return a.service(w, r, service)
		}
		return a.instance(w, r, service, segs[2])

	case len(segs) == 1 && segs[0] == "register_service":
		if err := allowMethods(w, r, http.MethodPost); err != nil {
			return err
		}
		body, err := readBody(w, r)
		if err != nil {
			return err
		}
		service, address, err := parseTextRegistration(body)
		if err != nil {
			return err
		}
		if err := a.mayWrite(r, service); err != nil {
			return err
		}
		return a.register(w, registry.Registration{Service: service, Address: address})

	case len(segs) == 1 && segs[0] == "deregister_service":
		if err := allowMethods(w, r, http.MethodPost); err != nil {
			return err
		}
		body, err := readBody(w, r)
		if err != nil {
			return err
		}
		service, address, err := parseTextDeregistration(body)
		if err != nil {
			return err
		}
		if err := a.mayWrite(r, service); err != nil {
			return err
		}
		var n int
		if address == "" {
			n, err = a.reg.DeregisterService(service)
		} else {
			n, err = a.reg.DeregisterAddress(service, address)
		}
		switch {
		case err != nil:
			return err
		case n == 0 && address == "":
			return apiErrorf(http.StatusNotFound, "service %q is not registered", service)
		case n == 0:
			return apiErrorf(http.StatusNotFound, "service %q has no instance at %s", service, address)
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return apiErrorf(http.StatusNotFound, "no registry endpoint at %s; see /registry/services", r.URL.EscapedPath())
}

// service serves /registry/services/{service}.
func (a apiServer) service(w http.ResponseWriter, r *http.Request, service string) error {
	if err := allowMethods(w, r, http.MethodGet, http.MethodPost, http.MethodDelete); err != nil {
		return err
	}
	switch r.Method {
	case http.MethodGet:
		return a.listInstances(w, r, service)
	case http.MethodPost:
		if err := a.mayWrite(r, service); err != nil {
			return err
		}
		body, err := readBody(w, r)
		if err != nil {
			return err
		}
		reg, err := parseRegistration(service, body)
		if err != nil {
			return err
		}
		return a.register(w, reg)
	case http.MethodDelete:
		if err := a.mayWrite(r, service); err != nil {
			return err
		}
		n, err := a.reg.DeregisterService(service)
		if err != nil {
			return err
		}
		if n == 0 {
			return apiErrorf(http.StatusNotFound, "service %q is not registered", service)
		}
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// instance serves /registry/services/{service}/{id}.
func (a apiServer) instance(w http.ResponseWriter, r *http.Request, service, id string) error {
	if err := allowMethods(w, r, http.MethodGet, http.MethodDelete); err != nil {
		return err
	}
	if err := registry.ValidateID(id); err != nil {
		return err
	}
	switch r.Method {
	case http.MethodGet:
		inst, ok := a.reg.Instance(service, id)
		if !ok {
			return apiErrorf(http.StatusNotFound, "service %q has no instance %q", service, id)
		}
		writeJSON(w, http.StatusOK, inst)
	case http.MethodDelete:
		if err := a.mayWrite(r, service); err != nil {
			return err
		}
		found, err := a.reg.Deregister(service, id)
		if err != nil {
			return err
		}
		if !found {
			return apiErrorf(http.StatusNotFound, "service %q has no instance %q", service, id)
		}
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

func (a apiServer) register(w http.ResponseWriter, reg registry.Registration) error {
	reg.Origin = a.origin
	inst, created, err := a.reg.Register(reg)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", apiPrefix+"services/"+inst.Service+"/"+inst.ID)
	}
	writeJSON(w, status, inst)
	return nil
}

func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) error {
	for _, m := range methods {
		if r.Method == m {
			return nil
		}
	}
	allow := strings.Join(methods, ", ")
	w.Header().Set("Allow", allow)
	return apiErrorf(http.StatusMethodNotAllowed, "method %s is not allowed on %s; use %s", r.Method, r.URL.Path, allow)
}

// readBody reads the request body, at most maxBodyBytes of it.
//
// A body declared longer than that is refused before anything is read: a
// client that sent Expect: 100-continue (curl does for bodies over 1 MB) is
// then answered 413 without being asked for the body (Go's server sends
// "100 Continue" on the first read), instead of sending it all only to
// have the connection reset under it. A body of undeclared length
// (chunked) is read up to the cap plus one byte; over it, the answer is
// 413 too, written before Go's server drains a bounded part of the rest
// and closes the connection.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > maxBodyBytes {
		closeUnread(w, r) // the body was not read: see caddykit.CloseUnread
		return nil, errBodyTooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errBodyTooLarge()
		}
		return nil, badRequestf("reading body: %v", err)
	}
	return body, nil
}

func errBodyTooLarge() error {
	return apiErrorf(http.StatusRequestEntityTooLarge, "body is larger than %d bytes", maxBodyBytes)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// registrationBody is the JSON body of POST /registry/services/{service}.
type registrationBody struct {
	Service  *string           `json:"service"`
	Address  string            `json:"address"`
	ID       string            `json:"id"`
	TTL      json.RawMessage   `json:"ttl"`
	Metadata map[string]string `json:"metadata"`
	Weight   *int              `json:"weight"`
	Health   *struct {
		Path string `json:"path"`
	} `json:"health"`
}

// parseRegistration parses and checks the JSON body of a registration for
// service. The answer is a normalized registry.Registration, or an error that says
// what is wrong with the body.
func parseRegistration(service string, body []byte) (registry.Registration, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return registry.Registration{}, badRequestf(`body is empty; send JSON such as {"address": "127.0.0.1:9090", "ttl": "30s"}`)
	}
	var b registrationBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return registry.Registration{}, badRequestf("body is not a valid registration: %s", describeJSONError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return registry.Registration{}, badRequestf("body has data after the JSON object; send one object")
	}
	if b.Service != nil && *b.Service != service {
		return registry.Registration{}, badRequestf("body names service %q but the URL names %q", *b.Service, service)
	}
	if b.Address == "" {
		return registry.Registration{}, badRequestf(`"address" is missing; send JSON such as {"address": "127.0.0.1:9090"}`)
	}
	reg := registry.Registration{Service: service, ID: b.ID, Address: b.Address, Metadata: b.Metadata, Weight: b.Weight}
	if b.Health != nil {
		if b.Health.Path == "" {
			return registry.Registration{}, badRequestf(`"health" needs a "path", e.g. {"path": "/healthz"}`)
		}
		reg.HealthPath = b.Health.Path
	}
	if len(b.TTL) > 0 && string(b.TTL) != "null" {
		var s string
		if err := json.Unmarshal(b.TTL, &s); err != nil {
			return registry.Registration{}, badRequestf(`"ttl" must be a duration string such as "30s", not %s`, b.TTL)
		}
		d, err := caddy.ParseDuration(s)
		if err != nil || d <= 0 {
			return registry.Registration{}, badRequestf(`"ttl" %q is not a positive duration such as "30s" or "5m"`, s)
		}
		reg.TTL = d
	}
	if err := reg.Normalize(); err != nil {
		return registry.Registration{}, err
	}
	return reg, nil
}

// describeJSONError turns encoding/json's errors into sentences about the
// registration's fields rather than about Go types.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		want := "a string"
		if strings.HasPrefix(typeErr.Field, "health") {
			return fmt.Sprintf(`"health" must be an object such as {"path": "/healthz"}, not a %s`, typeErr.Value)
		}
		if strings.HasPrefix(typeErr.Field, "metadata") {
			return fmt.Sprintf(`"metadata" must be an object of string values, such as {"version": "1.2"}, not a %s`, typeErr.Value)
		} else if typeErr.Field == "weight" {
			return fmt.Sprintf(`"weight" must be a whole number from 0 to 10000 written without a fraction or exponent, such as 10, not a %s`, typeErr.Value)
		} else if typeErr.Field == "" {
			want = "a JSON object"
		}
		field := typeErr.Field
		if field == "" {
			return fmt.Sprintf("the body must be %s, not a %s", want, typeErr.Value)
		}
		return fmt.Sprintf("%q must be %s, not a %s", field, want, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("invalid JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Sprintf("unknown field %s; the fields are address, id, ttl, metadata, weight, health", msg)
	}
	return err.Error()
}

// parseTextRegistration parses the seed's text registration body,
// "name,address", and returns the service and the normalized address.
func parseTextRegistration(body []byte) (service, address string, err error) {
	service, address, err = splitTextBody(body)
	if err != nil {
		return "", "", err
	}
	if address == "" {
		return "", "", badRequestf(`body %q has no address; send "name,address", e.g. "hello_service,127.0.0.1:9090"`, clip(body))
	}
	return service, address, nil
}

// parseTextDeregistration parses the seed's text deregistration body, "name"
// (the whole service) or "name,address" (its instances at that address).
func parseTextDeregistration(body []byte) (service, address string, err error) {
	return splitTextBody(body)
}

func splitTextBody(body []byte) (service, address string, err error) {
	text := strings.TrimSpace(string(body))
	if text == "" {
		return "", "", badRequestf(`body is empty; send "name,address", e.g. "hello_service,127.0.0.1:9090"`)
	}
	if strings.HasPrefix(text, "{") {
		return "", "", badRequestf(`body looks like JSON, but this endpoint takes the text "name,address"; to register with JSON, POST it to /registry/services/<name>`)
	}
	if strings.ContainsAny(text, "\r\n") {
		return "", "", badRequestf(`body has more than one line; send one "name,address"`)
	}
	parts := strings.Split(text, ",")
	if len(parts) > 2 {
		return "", "", badRequestf(`body %q has %d commas; send "name,address"`, clip(body), len(parts)-1)
	}
	service = strings.TrimSpace(parts[0])
	if err := registry.ValidateServiceName(service); err != nil {
		return "", "", err
	}
	if len(parts) == 2 {
		address, err = registry.NormalizeAddress(strings.TrimSpace(parts[1]))
		if err != nil {
			return "", "", err
		}
	}
	return service, address, nil
}

// clip shortens a body for an error message.
func clip(b []byte) string {
	const limit = 100
	s := strings.TrimSpace(string(b))
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}

// adminRegistryAPI serves the registration API on Caddy's admin endpoint,
// under /registry/. It holds no state: Caddy creates it anew on every config
// load and never cleans it up, so it only points at the process's registry.
type adminRegistryAPI struct{}

// CaddyModule returns the Caddy module information.
func (adminRegistryAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.registry",
		New: func() caddy.Module { return new(adminRegistryAPI) },
	}
}

// Routes returns the registration API's route on the admin endpoint.
func (adminRegistryAPI) Routes() []caddy.AdminRoute {
	api := apiServer{reg: processState.registry, logger: caddy.Log().Named("admin.api.registry"), origin: addrpolicy.Admin}
	return []caddy.AdminRoute{{
		Pattern: apiPrefix,
		Handler: caddy.AdminHandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			api.ServeHTTP(w, r)
			return nil
		}),
	}}
}

// RegistryAPI serves the registration API on a site route, so that services
// on other hosts can register through Caddy's TLS, behind jwt_auth or any
// other handler, without the admin endpoint being opened to them.
//
// It answers requests whose path starts with /registry/ exactly as the
// admin endpoint does (see the README for the endpoints), JSON in and out,
// errors included; any other request goes on to the next handler. Protect
// it: whoever can register can make the gateway proxy to their address.
//
// Addresses are checked against service_registry's address policy; through
// registry_api, loopback addresses are refused unless service_registry
// allow names them. Paths under /registry/ holding dot segments (raw or
// percent-encoded) are refused with 400, so no path matcher in front of it
// can be bypassed with /registry/services/.. (matchers see the cleaned
// path). In the Caddyfile it sorts after every authentication directive
// (basic_auth, forward_auth, jwt_auth).
type RegistryAPI struct {
	// The services a caller may register and deregister; others get 403.
	// Each entry is a service name or a placeholder expanded per request,
	// whose value may list several names separated by commas, such as
	// {http.auth.user.services} for a JWT claim holding a list. Default:
	// every service. Reading the registry is not limited by it.
	Services []string `json:"services,omitempty"`

	api apiServer
}

// CaddyModule returns the Caddy module information.
func (RegistryAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.registry_api",
		New: func() caddy.Module { return new(RegistryAPI) },
	}
}

// Provision loads the service_registry app, so its settings and persistence
// apply even when it is not configured.
func (h *RegistryAPI) Provision(ctx caddy.Context) error {
	if _, err := ctx.App("service_registry"); err != nil {
		return err
	}
	h.api = apiServer{reg: processState.registry, logger: ctx.Logger(), origin: addrpolicy.Site}
	if h.Services != nil {
		h.api.services = make([]template, len(h.Services))
		for i, s := range h.Services {
			h.api.services[i] = newTemplate(s)
		}
	}
	return nil
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *RegistryAPI) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if !strings.HasPrefix(r.URL.Path, apiPrefix) {
		return next.ServeHTTP(w, r)
	}
	h.api.ServeHTTP(w, r)
	return nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	registry_api [<matcher>] {
//		services <name|placeholder>...
//	}
func (h *RegistryAPI) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.Errf("registry_api takes no arguments; unexpected %q", d.Val())
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "services":
			names := d.RemainingArgs()
			if len(names) == 0 {
				return d.Errf("services needs at least one service name or placeholder, e.g. services {http.auth.user.services}")
			}
			for _, n := range names {
				err := checkTemplate(n)
				if err == nil && !strings.ContainsRune(n, '{') {
					err = registry.ValidateServiceName(n)
				}
				if err != nil {
					return d.Errf("services: %v", err)
				}
			}
			h.Services = append(h.Services, names...)
		default:
			return d.Errf("unrecognized subdirective %q; registry_api knows: services", d.Val())
		}
	}
	return nil
}

// Interface guards
var (
	_ caddy.AdminRouter           = (*adminRegistryAPI)(nil)
	_ caddy.Provisioner           = (*RegistryAPI)(nil)
	_ caddyhttp.MiddlewareHandler = (*RegistryAPI)(nil)
	_ caddyfile.Unmarshaler       = (*RegistryAPI)(nil)
)
