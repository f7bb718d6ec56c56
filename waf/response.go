package waf

import (
	"bytes"
	"io"
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/corazawaf/coraza/v3/types"
)

// responseLimit is how much of a response body the response phases read
// (and hold before the first byte goes out); the rest streams uninspected.
const responseLimit = 512 << 10

// heldResponse runs the response phases on a response as it comes: the
// header phase when the status is written, then, for a body type the rules
// read, the body phase once the body is complete or reaches responseLimit.
// Until then nothing goes out, so a refused response is replaced whole;
// other bodies, and what comes past the limit, stream through.
type heldResponse struct {
	*caddyhttp.ResponseWriterWrapper
	tx      types.Transaction
	proto   string
	code    int
	body    bytes.Buffer
	holding bool                // the body is being held for the body phase
	sent    bool                // the status (and what was held) went out
	refused *types.Interruption // the rules refused the response; nothing went out
}

func (h *heldResponse) WriteHeader(code int) {
	if code < 200 {
		h.ResponseWriterWrapper.WriteHeader(code)
		return
	}
	if h.code != 0 {
		return
	}
	h.code = code
	for k, vs := range h.Header() {
		for _, v := range vs {
			h.tx.AddResponseHeader(k, v)
		}
	}
	if it := h.tx.ProcessResponseHeaders(code, h.proto); it != nil {
		h.refused = it
		return
	}
	if h.tx.IsResponseBodyAccessible() && h.tx.IsResponseBodyProcessable() {
		h.holding = true
		return
	}
	h.flushHeld()
}

func (h *heldResponse) Write(p []byte) (int, error) {
	if h.code == 0 {
		h.WriteHeader(http.StatusOK)
	}
	switch {
	case h.refused != nil:
		return len(p), nil // swallowed: the refusal replaces it
	case !h.holding:
		return h.ResponseWriterWrapper.Write(p)
	}
	if h.body.Len()+len(p) <= responseLimit {
		return h.body.Write(p)
	}
	// the limit: inspect what is held, then stream the rest
	n := responseLimit - h.body.Len()
	h.body.Write(p[:n])
	if h.inspectBody(); h.refused != nil {
		return len(p), nil
	}
	h.flushHeld()
	m, err := h.ResponseWriterWrapper.Write(p[n:])
	return n + m, err
}

// inspectBody runs the body phase on what is held.
func (h *heldResponse) inspectBody() {
	h.holding = false
	if it, _, err := h.tx.WriteResponseBody(h.body.Bytes()); it != nil || err != nil {
		h.refused = it
		return
	}
	if it, _ := h.tx.ProcessResponseBody(); it != nil {
		h.refused = it
	}
}

// flushHeld sends the status and what was held.
func (h *heldResponse) flushHeld() {
	h.sent = true
	h.ResponseWriterWrapper.WriteHeader(h.code)
	if h.body.Len() > 0 {
		_, _ = h.ResponseWriterWrapper.Write(h.body.Bytes())
		h.body.Reset()
	}
}

// ReadFrom copies through Write (the wrapper's would bypass the hold).
func (h *heldResponse) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{h}, r)
}

// Flush passes on only once the response is going out.
func (h *heldResponse) Flush() {
	if h.sent && h.refused == nil {
		_ = http.NewResponseController(h.ResponseWriterWrapper).Flush()
	}
}

// finish ends the response once the handlers after the waf are done: the
// body phase on a held body, then the response goes out, or the
// interruption is returned for the caller to answer.
func (h *heldResponse) finish() *types.Interruption {
	if h.code == 0 {
		h.WriteHeader(http.StatusOK)
	}
	if h.holding {
		h.inspectBody()
	}
	if h.refused != nil {
		return h.refused
	}
	if !h.sent {
		h.flushHeld()
	}
	return nil
}
