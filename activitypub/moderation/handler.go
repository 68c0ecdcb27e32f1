package moderation

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/themes"
)

// Prefix is the path the moderation page lives under.
const Prefix = "/moderate/"

//go:embed templates/*.html templates/style.css
var templateFS embed.FS

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	Actions *Actions
	Store   activitypub.Store
	URLs    activitypub.URLs // the companion's public origin: POSTs must come from it
	Title   string           // the course's title, for the page header
	Logger  *slog.Logger
	Now     func() time.Time // for sessions' expiry
}

// Handler is the moderation page: login, the queue of held replies, each
// lesson's thread, the blocks, the follow requests and the audit log. It is server-rendered
// HTML with plain forms; every POST needs the session's CSRF token and the
// companion's own Origin, and every action is logged.
type Handler struct {
	o     HandlerOptions
	log   *slog.Logger
	mux   *http.ServeMux
	pages map[string]*template.Template
	css   []byte
	// logins throttles wrong passwords (throttle.go).
	logins *throttle
	// compare checks a password against a bcrypt hash:
	// bcrypt.CompareHashAndPassword, counted in tests.
	compare func(hash, password []byte) error
}

// NewHandler returns the moderation page.
func NewHandler(o HandlerOptions) *Handler {
	h := &Handler{o: o, log: o.Logger, mux: http.NewServeMux(), pages: map[string]*template.Template{}, logins: newThrottle(o.Store),
		compare: bcrypt.CompareHashAndPassword}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.o.Now == nil {
		h.o.Now = time.Now
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	for _, p := range []string{"login", "queue", "lesson", "journal", "blocks", "follows", "audit"} {
		h.pages[p] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+p+".html"))
	}
	h.css = stylesheet()

	h.mux.HandleFunc("GET /moderate/style.css", h.style)
	h.handle("GET /moderate/login", h.loginPage)
	h.handle("POST /moderate/login", h.loginPost)
	h.handle("POST /moderate/logout", h.auth(h.logoutPost))
	h.handle("GET /moderate/{$}", h.auth(h.queue))
	h.handle("GET /moderate/lessons/{id}", h.auth(h.lesson))
	h.handle("POST /moderate/replies", h.auth(h.replyAction))
	h.handle("GET /moderate/journal", h.auth(h.journal)) // journal_page.go
	h.handle("GET /moderate/blocks", h.auth(h.blocks))
	h.handle("POST /moderate/blocks", h.auth(h.blockAction))
	h.handle("GET /moderate/follows", h.auth(h.follows))
	h.handle("POST /moderate/follows", h.auth(h.followAction))
	h.handle("GET /moderate/audit", h.auth(h.audit))
	return h
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// html marks a reply's content as safe: it was sanitized to the
	// allow-list before it was stored, and the page's CSP runs no script.
	"html": func(s string) template.HTML { return template.HTML(s) },
	"path": url.PathEscape,
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
}

// stylesheet is the default theme's stylesheet followed by the moderation
// pages' own rules: the pages look like the course's, light and dark.
func stylesheet() []byte {
	var css []byte
	if theme, ok := themes.Get("default"); ok {
		css, _ = fs.ReadFile(theme, "static/css/style.css")
	}
	own, _ := templateFS.ReadFile("templates/style.css")
	return append(append(css, "\n"...), own...)
}

// ServeHTTP implements http.Handler, with the headers every moderation
// response carries: no caching, no framing, no script, nothing fetched
// from elsewhere.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	hdr.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

func fail(status int, msg string, err error) error {
	return activitypub.Fail(status, msg, err)
}

// handle registers fn behind the one adapter that turns its error into a
// status and a short message and logs the cause.
func (h *Handler) handle(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		activitypub.ServeError(w, r, h.log, "moderation request failed", err)
	})
}

// authed is a handler that runs for a logged-in moderator.
type authed func(w http.ResponseWriter, r *http.Request, s *session) error

// auth sends a visitor without a valid session to the login page (a GET)
// or refuses (a POST), and checks every POST's Origin and CSRF token.
func (h *Handler) auth(fn authed) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		s, err := h.session(r)
		if err != nil {
			return err
		}
		if r.Method == http.MethodPost {
			if !h.sameOrigin(r) {
				return fail(http.StatusForbidden, "request not from the moderation page", errors.New("origin"))
			}
			if s == nil {
				return fail(http.StatusForbidden, "not logged in, or the session expired", nil)
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if !checkCSRF(r, s) {
				return fail(http.StatusForbidden, "the form is out of date; reload the page and try again", errors.New("csrf token"))
			}
			return fn(w, r, s)
		}
		if s == nil {
			http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
			return nil
		}
		return fn(w, r, s)
	}
}

// maxForm bounds a form post: a reason of a few lines and some ids.
const maxForm = 64 << 10

// page is what every template gets.
type page struct {
	Title     string // the course's
	Heading   string
	Moderator string
	CSRF      string
	Current   string // the nav entry of this page
	Notice    string // the outcome of the last action
	Error     string
	Data      any
}

func (h *Handler) render(w http.ResponseWriter, name string, status int, p page) error {
	p.Title = h.o.Title
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	return h.pages[name].ExecuteTemplate(w, "layout.html", p)
}

func (h *Handler) style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Write(h.css)
}

// back returns a local moderation path from the form, for the redirect
// after an action, or the queue.
func back(r *http.Request) string {
	b := r.PostFormValue("back")
	if !strings.HasPrefix(b, Prefix) || strings.HasPrefix(b, "//") || strings.ContainsAny(b, "\\\r\n") {
		return Prefix
	}
	return b
}

// redirect sends the moderator back with a notice of what happened.
func redirect(w http.ResponseWriter, r *http.Request, to, notice string) {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	http.Redirect(w, r, to+sep+"notice="+url.QueryEscape(notice), http.StatusSeeOther)
}
