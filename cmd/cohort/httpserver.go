package main

import (
	"net/http"
	"time"
)

// httpLimits bound what one client can hold of a server: a connection that
// sends its request slowly, reads its answer slowly or sits idle is closed,
// so that slow clients cannot pile up connections and goroutines.
type httpLimits struct {
	// Header is the time to send the request line and headers: the slowloris
	// limit, a client trickling a header byte by byte.
	Header time.Duration
	// Read is the time to send the whole request, body included.
	Read time.Duration
	// Write is the time from the end of the request's headers to the end of
	// the answer. The live-reload event stream extends its own deadline
	// before every event (site/live, Hub.ServeHTTP).
	Write time.Duration
	// Idle is how long a kept-alive connection waits for its next request.
	Idle time.Duration
	// MaxHeaderBytes bounds the request line and headers.
	MaxHeaderBytes int
}

// Limits of `cohort serve`, which serves the pages, the event stream and, on
// the same origin, the companion.
const (
	// serveHeaderTimeout: a browser or a fediverse server sends its headers
	// in one packet; ten seconds is room for a bad mobile link.
	serveHeaderTimeout = 10 * time.Second
	// serveReadTimeout: the largest body serve takes is an activity of at most
	// 1 MiB to the inbox, half a minute even on a slow uplink.
	serveReadTimeout = 30 * time.Second
	// serveWriteTimeout: the largest answers are a course's own files (images,
	// a short video) sent to the author's browser; two minutes is 60 MB at
	// 4 Mbit/s. A browser that reads a long video as it plays is cut after
	// that and asks for the rest with a range request.
	serveWriteTimeout = 2 * time.Minute
	// serveIdleTimeout keeps a tab's connection open between clicks.
	serveIdleTimeout = 2 * time.Minute
	// maxHeaderBytes: a signed fediverse request's headers are a few KB (the
	// Signature header of an RSA-4096 key is under 1 KB), a moderator's
	// cookie is 43 bytes; Go's default, 1 MiB, is memory a peer could hold
	// per connection for nothing.
	maxHeaderBytes = 64 << 10
)

// serveLimits are serve's HTTP limits.
func serveLimits() httpLimits {
	return httpLimits{Header: serveHeaderTimeout, Read: serveReadTimeout, Write: serveWriteTimeout,
		Idle: serveIdleTimeout, MaxHeaderBytes: maxHeaderBytes}
}

// newHTTPServer returns a server for h with the limits l.
func newHTTPServer(h http.Handler, l httpLimits) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: l.Header, ReadTimeout: l.Read,
		WriteTimeout: l.Write, IdleTimeout: l.Idle, MaxHeaderBytes: l.MaxHeaderBytes}
}
