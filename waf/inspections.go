package waf

import (
	"bytes"
	"io"
	"net/http"
	"runtime"
	"sync"
)

// inspectionSlots bounds the inspections in progress in the process, for
// every site and config at once: an inspection takes a slot once the
// request's body is in memory, and gives it back before the request is
// handed on or refused. An inspection is CPU work (up to about 200 ms of
// a core for the dearest request), so more of them at once than there are
// cores finish no sooner; but each holds what it is building while it
// runs, up to 21 MB of Go's heap for the dearest request of random text
// (Coraza's cache of transformed values), and the Go scheduler runs all
// of them side by side: sixteen clients sending such requests at once
// took a Caddy from 115 to 725 MB resident before this bound
// (TestInspectionsInProgressBounded). One slot per core (GOMAXPROCS, which
// Caddy sets from the CPU quota), two at least; a request waits for one,
// in arrival order, for as long as its client is there.
//
// Package-level, not per config: the cores and the memory are the
// process's, and a reload must not double the bound.
var inspectionSlots = sync.OnceValue(func() chan struct{} {
	return make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
})

// readBodyAhead reads r's body into memory, up to limit+1 bytes (what the
// engine reads: a byte past body_limit refuses the request), before the
// request waits for an inspection slot, so that a slow client is waited
// for outside one (a client sending its body a byte at a time would
// otherwise hold a slot for as long as it liked). The handlers after the
// WAF read the same bytes, then the rest of the body, if any.
func readBodyAhead(r *http.Request, limit int64) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	var buf []byte
	var err error
	if r.ContentLength >= 0 && r.ContentLength <= limit {
		buf = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, buf)
	} else {
		buf, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	}
	if err != nil {
		return err
	}
	r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
	return nil
}
