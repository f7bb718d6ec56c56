package responsecache

import "net/http"

// headerOnlyWriter is a ResponseWriter that keeps nothing but its header
// map (httptest.ResponseRecorder copies the headers on WriteHeader, which
// would weigh on the figures).
type headerOnlyWriter struct{ h http.Header }

func (w *headerOnlyWriter) Header() http.Header         { return w.h }
func (w *headerOnlyWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnlyWriter) WriteHeader(int)             {}
