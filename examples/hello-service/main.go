// Command hello-service is the seeds' HelloService in Go: a small HTTP
// service that registers itself with the gateway, renews its lease while it
// runs, and deregisters when it is stopped.
//
// It answers every request with
//
//	{"message": "Hello from the Service!", "instance": "<id>", "path": "<path>"}
//
// so that two of them on different ports show the gateway's load balancing,
// and {"status":"ok"} on /healthz for the gateway's health checks.
//
// Usage:
//
//	go run ./examples/hello-service -listen 127.0.0.1:9090
//	go run ./examples/hello-service -listen 127.0.0.1:9091
//
// By default it registers on Caddy's admin endpoint
// (http://localhost:2019/registry). With -compat it registers the way the
// seed's service does: POST <registry>/register_service with the text body
// "name,address".
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	name := flag.String("name", "hello_service", "the service name to register as")
	listen := flag.String("listen", "127.0.0.1:9090", "the address to listen on (port 0: any free port)")
	advertise := flag.String("advertise", "", "the address the gateway should dial (default: the address listened on)")
	registry := flag.String("registry", "http://localhost:2019/registry", "the base URL of the gateway's registration API")
	id := flag.String("id", "", "the instance ID (default: the advertised address)")
	ttl := flag.Duration("ttl", 30*time.Second, "the lease to register with; renewed every third of it (0: no lease)")
	compat := flag.Bool("compat", false, `register with the seed's text body "name,address" on <registry>/register_service`)
	token := flag.String("token", "", "a bearer token to send with registrations (for a registry_api behind jwt_auth)")
	cacert := flag.String("cacert", "", "a PEM file of the CA that signed the registry's certificate (for https registry URLs)")
	weight := flag.Int("weight", -1, "the instance's weight for lb_policy registry_weighted (0 drains it; default: the gateway's, 1)")
	metadata := flag.String("metadata", "", "metadata to register with, as key=value pairs separated by commas (e.g. version=2,zone=eu)")
	flag.Parse()
	md, err := parseMetadata(*metadata)
	if err != nil {
		log.Fatal(err)
	}
	log.SetFlags(log.LstdFlags | log.Lmsgprefix)
	log.SetPrefix("hello-service: ")

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	addr := *advertise
	if addr == "" {
		addr = ln.Addr().String()
	}
	instance := *id
	if instance == "" {
		instance = addr
	}

	client, err := newClient(*cacert)
	if err != nil {
		log.Fatal(err)
	}
	reg := &registrar{
		client: client, base: strings.TrimSuffix(*registry, "/"), name: *name, id: *id,
		address: addr, ttl: *ttl, compat: *compat, token: *token, weight: *weight, metadata: md,
	}

	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Path == "/healthz" { // the gateway's health checks
				_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
				return
			}
			answer := map[string]string{
				"message":  "Hello from the Service!",
				"instance": instance,
				"path":     r.URL.Path,
			}
			if strings.HasPrefix(r.URL.Path, "/public/") {
				// the same for every caller: shared caches (the gateway's
				// response_cache) may keep it for 30 seconds
				w.Header().Set("Cache-Control", "public, max-age=30")
				answer["generated_at"] = time.Now().UTC().Format(time.RFC3339Nano)
			}
			_ = json.NewEncoder(w).Encode(answer)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	fmt.Printf("hello-service %s listening on http://%s\n", *name, ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Register, retrying soon while the gateway is not ready (it may be
	// starting, or issuing its first certificate): after 0.5s, then twice as
	// long each time, up to the renewal interval. Once registered, renew
	// every third of the lease.
	renewEvery := *ttl / 3
	if renewEvery <= 0 {
		renewEvery = 10 * time.Second
	}
	const firstRetry = 500 * time.Millisecond
	retry := firstRetry
	for registered := false; ; {
		wait := renewEvery
		if err := reg.register(ctx); err != nil {
			log.Printf("registering failed (will retry in %s): %v", min(retry, renewEvery), err)
			wait, retry = min(retry, renewEvery), retry*2
		} else {
			retry, registered = firstRetry, true
		}
		if registered && *ttl == 0 {
			<-ctx.Done() // no lease to renew
		}
		select {
		case <-time.After(wait):
			continue
		case <-ctx.Done():
		}
		break
	}

	// deregister first, so that the gateway stops sending requests, then
	// finish the requests in flight
	dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := reg.deregister(dctx); err != nil {
		log.Printf("deregistering failed: %v", err)
	} else {
		log.Printf("deregistered %s", addr)
	}
	_ = srv.Shutdown(dctx)
}

type registrar struct {
	client  *http.Client
	base    string
	name    string
	id      string
	address string
	ttl     time.Duration
	compat  bool
	token   string
	// weight < 0: not sent (the gateway's default)
	weight   int
	metadata map[string]string
}

// parseMetadata reads key=value pairs separated by commas.
func parseMetadata(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	md := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-metadata %q: write key=value pairs separated by commas, e.g. version=2,zone=eu", s)
		}
		md[k] = v
	}
	return md, nil
}

func (r *registrar) register(ctx context.Context) error {
	if r.compat {
		return r.call(ctx, http.MethodPost, r.base+"/register_service", "text/plain", r.name+","+r.address)
	}
	body := map[string]any{"address": r.address}
	if r.id != "" {
		body["id"] = r.id
	}
	if r.ttl > 0 {
		body["ttl"] = r.ttl.String()
	}
	if r.weight >= 0 {
		body["weight"] = r.weight
	}
	if len(r.metadata) > 0 {
		body["metadata"] = r.metadata
	}
	b, _ := json.Marshal(body)
	return r.call(ctx, http.MethodPost, r.base+"/services/"+url.PathEscape(r.name), "application/json", string(b))
}

func (r *registrar) deregister(ctx context.Context) error {
	if r.compat {
		return r.call(ctx, http.MethodPost, r.base+"/deregister_service", "text/plain", r.name+","+r.address)
	}
	id := r.id
	if id == "" {
		id = r.address
	}
	return r.call(ctx, http.MethodDelete, r.base+"/services/"+url.PathEscape(r.name)+"/"+url.PathEscape(id), "", "")
}

func (r *registrar) call(ctx context.Context, method, target, contentType, body string) error {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, target, resp.Status, bytes.TrimSpace(answer))
	}
	if resp.StatusCode == http.StatusCreated {
		log.Printf("registered %s as %s at %s", r.address, r.name, r.base)
	}
	return nil
}

func newClient(cacert string) (*http.Client, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	if cacert == "" {
		return c, nil
	}
	pem, err := os.ReadFile(cacert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", cacert)
	}
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	return c, nil
}
