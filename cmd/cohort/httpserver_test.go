package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/site/live"
)

// testLimits are serve's limits made short, so that a test sees them act.
var testLimits = httpLimits{Header: 300 * time.Millisecond, Read: 300 * time.Millisecond,
	Write: 300 * time.Millisecond, Idle: 300 * time.Millisecond, MaxHeaderBytes: 4 << 10}

// limitedServe serves a one-page site with live reload, as serve does, under
// limits l on a loopback port, and returns its base URL and hub.
func limitedServe(t *testing.T, l httpLimits) (string, *live.Hub) {
	t.Helper()
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "index.html"), []byte("<p>home</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	hub := live.NewHub()
	srv := &live.Server{Out: out, BasePath: "/", Hub: hub}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := newHTTPServer(srv.Handler(), l)
	ctx, stop := context.WithCancel(context.Background())
	hs.BaseContext = func(net.Listener) context.Context { return ctx }
	go hs.Serve(ln)
	t.Cleanup(func() {
		stop()
		hs.Close()
	})
	return "http://" + ln.Addr().String() + "/", hub
}

// TestServeLimits: a client that sends half a header and waits is
// disconnected once the header timeout has passed, and one that sends a
// header too large is refused, while a tab's event stream stays open well past
// every timeout and still gets the next build's event.
func TestServeLimits(t *testing.T) {
	base, hub := limitedServe(t, testLimits)
	addr := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")

	t.Run("slowloris", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+addr+"\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
		// Far longer than the header timeout: if the server still holds the
		// connection then, the limit did not act.
		patience := 20 * testLimits.Header
		conn.SetReadDeadline(time.Now().Add(patience))
		_, err = io.ReadAll(conn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the server held a half-sent header for %s (header timeout %s)", patience, testLimits.Header)
		}
	})

	t.Run("header too large", func(t *testing.T) {
		req, _ := http.NewRequest("GET", base, nil)
		req.Header.Set("X-Large", strings.Repeat("a", 2*(testLimits.MaxHeaderBytes+4096))) // Go allows 4 KB above the limit
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("a %d-byte header: %s, want 431", len(req.Header.Get("X-Large")), resp.Status)
		}
	})

	t.Run("event stream outlives the timeouts", func(t *testing.T) {
		s := subscribe(t, base)
		defer s.cancel()
		longest := max(testLimits.Header, testLimits.Read, testLimits.Write, testLimits.Idle)
		time.Sleep(4 * longest)
		hub.Send(live.Event{Kind: "reload", Paths: []string{"/index.html"}})
		if e := s.next("reload"); len(e.Paths) != 1 {
			t.Fatalf("event after the timeouts: %+v", e)
		}
		if code, body := get(t, base); code != http.StatusOK || !strings.Contains(body, "home") {
			t.Fatalf("page beside the stream: %d %q", code, body)
		}
	})
}
