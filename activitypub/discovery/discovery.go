// Package discovery serves what other servers and the course pages read
// from the companion: WebFinger, host-meta and NodeInfo, so an account can
// be found; the course actor, its outbox and followers; each lesson's
// object with its replies collection; and the threads JSON API the lesson
// pages load. One file per endpoint.
//
// Actor and lesson URLs answer ActivityStreams JSON when asked for it
// (application/activity+json, or application/ld+json with the
// ActivityStreams profile) and redirect to the HTML page otherwise. It only
// reads: nothing here changes the Store.
package discovery

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/site"
)

// Notes gives the Note of a lesson's post in a cohort ("" for a course
// without cohorts); publish.Publisher is one. It returns an error wrapping
// activitypub.ErrNotFound for an unknown lesson and one for which Gone
// reports true for a removed one.
type Notes interface {
	Note(ctx context.Context, lessonID, cohortID string) (as.LessonNote, error)
}

// Options configure a Handler.
type Options struct {
	Course       *site.Config
	URLs         activitypub.URLs
	Store        activitypub.Store
	Notes        Notes
	PublicKeyPEM string // the course actor's public key
	// Gone reports whether an error from Notes means the lesson was
	// removed (410 and a Tombstone, not 404). May be nil.
	Gone   func(error) bool
	Logger *slog.Logger
	Now    func() time.Time
	// Moderators are the moderators' handles: their replies are marked
	// in the threads.
	Moderators []string
	// Keys finds who signed a request, for the direct messages only their
	// recipients may read. Nil serves them to no one.
	Keys KeyOwners
	// Assignment reports whether a lesson asks for work (assignment =
	// true in its front matter, read from the manifest): its threads'
	// replies are marked as submissions and reviews, as the build marks
	// them (site.MarkAssignment). Nil marks none.
	Assignment func(lessonID string) bool
}

// Handler serves the discovery endpoints.
type Handler struct {
	o       Options
	log     *slog.Logger
	mux     *http.ServeMux
	threads *threadCache
	// actors, when set, keeps every author read (a build's Discussion: the
	// build reads each author once, not once per lesson). Never set for the
	// API, whose authors must follow profile updates.
	actors *sync.Map
}

// Prefixes are the paths the Handler answers under, for mounting it beside
// a static site on one origin.
var Prefixes = []string{"/.well-known/webfinger", "/.well-known/host-meta", "/.well-known/nodeinfo", "/nodeinfo/",
	"/actor", "/outbox", "/followers", "/featured", activitypub.LessonPrefix, activitypub.CohortPrefix, "/api/threads/",
	activitypub.DirectPrefix, JournalPath}

// New returns the discovery handler.
func New(o Options) *Handler {
	h := &Handler{o: o, log: o.Logger, mux: http.NewServeMux(), threads: newThreadCache()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.o.Now == nil {
		h.o.Now = time.Now
	}
	if h.o.Gone == nil {
		h.o.Gone = func(error) bool { return false }
	}
	h.handle("GET /.well-known/webfinger", h.webfinger)
	h.handle("GET /.well-known/host-meta", h.hostMeta)
	h.handle("GET /.well-known/nodeinfo", h.nodeinfoLinks)
	h.handle("GET /nodeinfo/2.1", h.nodeinfo)
	h.handle("GET /actor", h.actor)
	h.handle("GET /outbox", h.outbox)
	h.handle("GET /followers", h.followers)
	h.handle("GET /featured", h.featured)
	h.handle("GET /lessons/{id}", h.lesson)
	h.handle("GET /lessons/{id}/replies", h.replies)
	h.handle("GET /cohorts/{cohort}/lessons/{id}", h.lesson)
	h.handle("GET /cohorts/{cohort}/lessons/{id}/replies", h.replies)
	h.handle("GET /direct/{key}", h.direct)
	h.handle("GET /api/threads/{id}", h.thread)
	h.handle("OPTIONS /api/threads/{id}", h.threadPreflight)
	h.handle("GET "+JournalPath, h.journal)             // journal.go
	h.handle("OPTIONS "+JournalPath, h.threadPreflight) // the same preflight
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// private reports whether cohortID is a private cohort whose participants
// did not agree to show its discussion: nothing of its threads may be
// served to anyone who asks.
func (h *Handler) private(cohortID string) bool {
	if cohortID == "" || h.o.Course == nil {
		return false
	}
	for _, c := range h.o.Course.Cohorts {
		if c.ID == cohortID {
			return c.Audience == "private" && !c.ShowDiscussion
		}
	}
	return false
}

func notFound(err error) error {
	return activitypub.Fail(http.StatusNotFound, "not found", err)
}

func badRequest(err error) error {
	return activitypub.Fail(http.StatusBadRequest, "bad request", err)
}

// handle registers fn behind the one adapter that turns its error into a
// status and a short message and logs the cause.
func (h *Handler) handle(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		activitypub.ServeError(w, r, h.log, "discovery request failed", err)
	})
}

// activityJSON is the media type of every ActivityStreams document served.
const activityJSON = "application/activity+json; charset=utf-8"

// wantsActivity reports whether the client asked for ActivityStreams JSON.
func wantsActivity(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt := strings.ToLower(strings.TrimSpace(part))
		if as.IsActivityJSON(mt) || strings.HasPrefix(mt, "application/activity+json") ||
			strings.HasPrefix(mt, "application/ld+json") || strings.HasPrefix(mt, "application/json") {
			return true
		}
	}
	return false
}

// redirectToPage sends a browser to the HTML page of a document. The answer
// varies by Accept like the document's, so a shared cache never hands the
// redirect to a server that asked for JSON.
func redirectToPage(w http.ResponseWriter, r *http.Request, page string) {
	w.Header().Set("Vary", "Accept")
	http.Redirect(w, r, page, http.StatusSeeOther)
}

// writeActivity writes an ActivityStreams document.
func writeActivity(w http.ResponseWriter, body []byte) error {
	w.Header().Set("Content-Type", activityJSON)
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Cache-Control", "max-age=60")
	_, err := w.Write(body)
	return err
}
