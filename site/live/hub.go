package live

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sync"
	"time"
)

// Paths the live server answers besides the site.
const (
	EventsPath = "/_cohort/events"
	ScriptPath = "/_cohort/live.js"
)

// Script is the tag serve injects into every page it builds.
func Script() template.HTML {
	return template.HTML(`<script src="` + ScriptPath + `" defer></script>`)
}

//go:embed live.js
var liveJS []byte

// Event is what a browser tab is told after a build.
type Event struct {
	// Kind is "reload" (pages changed), "css" (only stylesheets changed: swap them),
	// "failed" (the build failed: show Message) or "ok" (the last error is fixed,
	// nothing else changed).
	Kind string `json:"kind"`
	// Paths are the output files that changed, root-relative ("/lesson/index.html").
	Paths []string `json:"paths,omitempty"`
	// Message is the build error, with file and line.
	Message string `json:"message,omitempty"`
	// Seq numbers events, so a tab that reconnects knows what it missed.
	Seq int `json:"seq"`
}

// Hub fans build events out to every open tab.
type Hub struct {
	mu      sync.Mutex
	clients map[chan Event]bool
	seq     int
	failing *Event // the current build error, sent to tabs that connect while it lasts
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{clients: map[chan Event]bool{}} }

// Send tells every connected tab about e, and remembers an error until the next
// successful build.
func (h *Hub) Send(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	e.Seq = h.seq
	if e.Kind == "failed" {
		h.failing = &e
	} else {
		h.failing = nil
	}
	for c := range h.clients {
		select {
		case c <- e:
		default: // a stuck tab must not hold the build up; it reconnects and reloads
		}
	}
}

// Clients returns how many tabs are connected.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// keepAlive is how often an idle stream gets a comment, so proxies keep it open.
const keepAlive = 30 * time.Second

// eventWriteTimeout is how long one event may take to reach a tab. A tab
// that reads its stream takes an event at once; one that stopped reading
// (a laptop put to sleep, a stuck proxy) is let go and reconnects later.
const eventWriteTimeout = 10 * time.Second

// ServeHTTP streams events to one tab as text/event-stream. The stream lives
// as long as the tab, longer than the server's read and write timeouts allow
// an ordinary request: it lifts the read deadline and gives every event a
// write deadline of its own.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// Without this, the server's ReadTimeout would end the stream: the
	// connection's background read fails at the deadline and cancels the
	// request's context. ErrNotSupported (a recorder in tests) leaves nothing to lift.
	if err := rc.SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return
	}
	// send writes to the tab within eventWriteTimeout: the deadline is set
	// before writing, since a large event is written before the flush.
	send := func(write func()) error {
		if err := rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		write()
		return rc.Flush()
	}
	c := make(chan Event, 16)
	h.mu.Lock()
	h.clients[c] = true
	failing := h.failing
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.clients, c)
		h.mu.Unlock()
	}()

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	err := send(func() {
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "retry: 500\n: connected\n\n")
		if failing != nil {
			writeEvent(w, *failing)
		}
	})
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for err == nil { // an error: the tab is gone or stopped reading; it reconnects
		select {
		case <-r.Context().Done():
			return
		case e := <-c:
			err = send(func() { writeEvent(w, e) })
		case <-tick.C:
			err = send(func() { fmt.Fprint(w, ": ping\n\n") })
		}
	}
}

func writeEvent(w http.ResponseWriter, e Event) {
	data, _ := json.Marshal(e)
	fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Kind, data)
}

// ServeScript serves the script that listens to the event stream.
func ServeScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(liveJS)
}
