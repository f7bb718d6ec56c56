package transform

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// The codecs transform decodes and encodes responses with: gzip and zstd
// from github.com/klauspost/compress (what Caddy's encode uses), br from
// github.com/andybalholm/brotli (the maintained pure-Go Brotli).

var (
	zstdEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	gzipWriters    = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression); return w }}
)

// decodeBody decodes a response body, at most max bytes of it.
func decodeBody(enc string, b []byte, max int64) ([]byte, error) {
	var r io.Reader
	switch enc {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("decoding gzip: %v", err)
		}
		defer zr.Close()
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(max)+1))
		if err != nil {
			return nil, fmt.Errorf("decoding zstd: %v", err)
		}
		defer zr.Close()
		r = zr
	default:
		return nil, fmt.Errorf("cannot decode %q", enc)
	}
	out, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %v", enc, err)
	}
	if int64(len(out)) > max {
		return nil, fmt.Errorf("the decoded body is larger than max_body (%d bytes)", max)
	}
	return out, nil
}

// encodeBody encodes an edited body again as it came.
func encodeBody(enc string, b []byte) ([]byte, error) {
	var out bytes.Buffer
	switch enc {
	case "gzip", "x-gzip":
		zw := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(zw)
		zw.Reset(&out)
		if _, err := zw.Write(b); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
	case "br":
		bw := brotli.NewWriterLevel(&out, brotli.DefaultCompression)
		if _, err := bw.Write(b); err != nil {
			return nil, err
		}
		if err := bw.Close(); err != nil {
			return nil, err
		}
	case "zstd":
		return zstdEncoder.EncodeAll(b, nil), nil
	default:
		return nil, fmt.Errorf("cannot encode %q", enc)
	}
	return out.Bytes(), nil
}
