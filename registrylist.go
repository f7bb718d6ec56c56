package gateway

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/caddygateway/caddy-gateway/internal/registry"
)

// maxPageLimit is the largest page the listings give: ?limit= above it is
// an error, so that a page is always a bounded amount of work.
const maxPageLimit = 10000

// listChunk is how many services, and listBudget about how many instances,
// an unpaged listing copies per hold of the registry's lock; the listing is
// written as it is read, so its memory is one chunk's.
const (
	listChunk  = 256
	listBudget = 2048
)

// page is the paging of a listing: at most limit entries (0: all) after
// the entry named after.
type page struct {
	limit int
	after string
}

// pageParams reads ?limit= and ?after= .
func pageParams(r *http.Request) (page, error) {
	q := r.URL.Query()
	p := page{after: q.Get("after")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageLimit {
			return p, badRequestf("limit %q: want a number from 1 to %d", v, maxPageLimit)
		}
		p.limit = n
	}
	return p, nil
}

// nextLink sets the Link header to the next page of the listing at path.
func nextLink(w http.ResponseWriter, path string, limit int, last string) {
	q := url.Values{"limit": {strconv.Itoa(limit)}, "after": {last}}
	w.Header().Set("Link", "<"+path+"?"+q.Encode()+`>; rel="next"`)
}

// listServices answers GET /registry/services: an object of every service
// (or a page of them, by name) with its instances. Unpaged, it is written
// as it is read, a chunk of services at a time, so neither the registry's
// lock nor the answer's memory grows with the registry.
func (a apiServer) listServices(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	if p.limit > 0 {
		services, more := a.reg.ServicesPage(p.after, p.limit, 0)
		if more {
			nextLink(w, r.URL.EscapedPath(), p.limit, services[len(services)-1].Name)
		}
		w.WriteHeader(http.StatusOK)
		lw := listWriter{w: w}
		lw.services(services)
		lw.end()
		return nil
	}
	w.WriteHeader(http.StatusOK)
	lw := listWriter{w: w}
	after := p.after
	for {
		services, more := a.reg.ServicesPage(after, listChunk, listBudget)
		lw.services(services)
		if !more || lw.err != nil {
			break
		}
		after = services[len(services)-1].Name
	}
	lw.end()
	return nil
}

// listWriter writes {"<service>": [instance, ...], ...} piece by piece.
// After a write error (the client went away) it writes nothing more.
type listWriter struct {
	w       http.ResponseWriter
	started bool
	buf     []byte
	err     error
}

func (lw *listWriter) services(services []registry.Service) {
	for _, s := range services {
		if lw.err != nil {
			return
		}
		lw.buf = lw.buf[:0]
		if lw.started {
			lw.buf = append(lw.buf, ',')
		} else {
			lw.buf = append(lw.buf, '{')
			lw.started = true
		}
		name, _ := json.Marshal(s.Name)
		lw.buf = append(lw.buf, name...)
		lw.buf = append(lw.buf, ':')
		lw.buf = appendInstances(lw.buf, s.Instances)
		_, lw.err = lw.w.Write(lw.buf)
	}
}

func (lw *listWriter) end() {
	if lw.err != nil {
		return
	}
	if !lw.started {
		_, _ = lw.w.Write([]byte("{}\n"))
		return
	}
	_, _ = lw.w.Write([]byte("}\n"))
}

// listInstances answers GET /registry/services/{service}: its instances in
// ID order, or a page of them.
func (a apiServer) listInstances(w http.ResponseWriter, r *http.Request, service string) error {
	p, err := pageParams(r)
	if err != nil {
		return err
	}
	instances, more, ok := a.reg.InstancesPage(service, p.after, p.limit)
	if !ok {
		return apiErrorf(http.StatusNotFound, "service %q is not registered", service)
	}
	if more {
		nextLink(w, r.URL.EscapedPath(), p.limit, instances[len(instances)-1].ID)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(appendInstances(nil, instances), '\n'))
	return nil
}

// appendInstances appends a JSON array of instances.
func appendInstances(b []byte, instances []registry.Instance) []byte {
	b = append(b, '[')
	for i, inst := range instances {
		if i > 0 {
			b = append(b, ',')
		}
		b = inst.AppendJSON(b)
	}
	return append(b, ']')
}
