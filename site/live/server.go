package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cohort-course/cohort/site"
)

// Server rebuilds a course on every change and serves its output with live reload.
type Server struct {
	Builder *site.Builder
	// Out is the folder the builder writes to; Server serves it.
	Out string
	// BasePath is the base URL's path ("/" unless --base-url says otherwise).
	BasePath string
	Hub      *Hub
	// Report receives one line per build: what changed and how long it took.
	Report io.Writer
	Logger *slog.Logger
	// OnBuild, when set, is called after every successful build (tests use it).
	OnBuild func(*site.Result)
	// PageHeader is added to every HTML page served, such as the pages'
	// Content-Security-Policy (site.ContentSecurityPolicy).
	PageHeader http.Header

	kickOnce      sync.Once
	kick          chan struct{} // a discussion changed: build
	opening       *time.Timer   // fires when the next lesson opens
	opened        chan struct{}
	threadMu      sync.Mutex
	threadLessons []string
	threadFirst   time.Time

	// lookEverywhere is set when the last build failed: the builder kept the
	// course as it was before the change that failed, so the next build cannot
	// trust the watcher's paths alone and looks at every file.
	lookEverywhere bool
}

// missingRetries is how often a build is retried when a file vanished between the
// walk and the read: an editor's rename-based save in progress.
const missingRetries = 3

// Build runs one build for change (nil for the first) and tells the tabs. Only
// the paths the change names are looked at again, unless a build failed since the
// last good one. Builds run one at a time (Watch calls it).
func (s *Server) Build(ctx context.Context, change *Change) (*site.Result, error) {
	var changed []string // nil: look at every file
	if change != nil && !s.lookEverywhere {
		changed = change.Paths
	}
	var res *site.Result
	var err error
	began := time.Now()
	for try := 0; ; try++ {
		res, err = s.Builder.BuildChanged(ctx, changed)
		if err == nil || !errors.Is(err, fs.ErrNotExist) || try == missingRetries {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil && ctx.Err() != nil {
		s.lookEverywhere = true
		return nil, err // serve is stopping: not the author's mistake, nothing to show
	}
	what := "initial build"
	if change != nil {
		what = describe(change.Paths)
		if len(change.Threads) > 0 {
			what = "discussion of " + strings.Join(change.Threads, ", ") + " changed"
		}
		if change.Reason != "" {
			what = change.Reason
		}
	}
	s.lookEverywhere = err != nil
	if err != nil {
		s.Hub.Send(Event{Kind: "failed", Message: err.Error()})
		fmt.Fprintf(s.Report, "%s: build failed:\n%v\n", what, err)
		return nil, err
	}
	var urls []string
	cssOnly := len(res.Written) > 0
	for _, w := range res.Written {
		urls = append(urls, s.BasePath+w)
		if !strings.HasSuffix(w, ".css") {
			cssOnly = false
		}
	}
	switch {
	case cssOnly:
		s.Hub.Send(Event{Kind: "css", Paths: urls})
	case len(urls) > 0:
		s.Hub.Send(Event{Kind: "reload", Paths: urls})
	default:
		s.Hub.Send(Event{Kind: "ok"})
	}
	took := res.Duration
	if change != nil {
		took = time.Since(change.First)
	}
	fmt.Fprintf(s.Report, "%s: %s rendered, %s written, %d removed in %s\n",
		what, count(res.Rendered, "page", "pages"), count(len(res.Written), "file", "files"), res.Removed, took.Round(100*time.Microsecond))
	s.logSteps(what, res, change, began)
	if s.OnBuild != nil {
		s.OnBuild(res)
	}
	s.wakeAt(res.NextOpening)
	return res, nil
}

// logSteps logs, at debug level (--log-level debug), how long each step of
// the build took: the one place a slow rebuild shows where its time went.
// For a change from the watcher it also says how long the change waited
// before the build began (the watcher's quiet window, a build still running)
// and how long from its first event to the tabs being told (to_reload): what
// the author waits for, of which the steps are a part.
func (s *Server) logSteps(what string, res *site.Result, change *Change, began time.Time) {
	if s.Logger == nil || !s.Logger.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	attrs := make([]any, 0, 2*len(res.Steps)+8)
	attrs = append(attrs, "change", what, "looked", res.Looked)
	if change != nil && !change.First.IsZero() {
		attrs = append(attrs, "waited", began.Sub(change.First).Round(10*time.Microsecond),
			"to_reload", time.Since(change.First).Round(10*time.Microsecond))
	}
	for _, st := range res.Steps {
		attrs = append(attrs, st.Name, st.Duration.Round(10*time.Microsecond))
	}
	s.Logger.Debug("build steps", attrs...)
}

// describe names what changed in a line: one path, or the first and a count.
func describe(paths []string) string {
	switch len(paths) {
	case 0:
		return "no change"
	case 1:
		return paths[0] + " changed"
	default:
		return fmt.Sprintf("%s and %d more changed", paths[0], len(paths)-1)
	}
}

// Watch rebuilds on every change the watcher reports, and on every discussion
// change ThreadChanged reports, until ctx is done.
func (s *Server) Watch(ctx context.Context, w *Watcher) error {
	changes := make(chan Change)
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx, changes) }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case c := <-changes:
			s.Build(ctx, &c) // a failed build is reported to the tabs and the terminal
		case <-s.openedC():
			s.Build(ctx, &Change{Paths: []string{}, First: time.Now(), Reason: "a lesson opened for a cohort"})
		case <-s.threadKick():
			s.threadMu.Lock()
			c := Change{Paths: []string{}, First: s.threadFirst, Threads: s.threadLessons}
			s.threadLessons, s.threadFirst = nil, time.Time{}
			s.threadMu.Unlock()
			s.Build(ctx, &c)
		}
	}
}

// wakeAt arranges a build when the next lesson opens for a cohort: the site
// changes then without any file changing.
func (s *Server) wakeAt(t time.Time) {
	s.threadMu.Lock()
	defer s.threadMu.Unlock()
	if s.opening != nil {
		s.opening.Stop()
		s.opening = nil
	}
	if t.IsZero() {
		return
	}
	opened := s.openedC()
	s.opening = time.AfterFunc(time.Until(t)+time.Second, func() {
		select {
		case opened <- struct{}{}:
		default:
		}
	})
}

func (s *Server) openedC() chan struct{} {
	s.chans()
	return s.opened
}

// ThreadChanged is the companion's word that a lesson's discussion changed: the
// builder reads that thread again and the next build, started at once, renders
// just that page. Safe to call from any goroutine.
func (s *Server) ThreadChanged(lessonID string) {
	s.Builder.ThreadChanged(lessonID)
	s.threadMu.Lock()
	if s.threadFirst.IsZero() {
		s.threadFirst = time.Now()
	}
	if !slices.Contains(s.threadLessons, lessonID) {
		s.threadLessons = append(s.threadLessons, lessonID)
	}
	s.threadMu.Unlock()
	select {
	case s.threadKick() <- struct{}{}:
	default: // a build is already due: it will read this thread too
	}
}

// chans makes the channels that wake Watch for changes no file made.
func (s *Server) chans() {
	s.kickOnce.Do(func() {
		s.kick = make(chan struct{}, 1)
		s.opened = make(chan struct{}, 1)
	})
}

func (s *Server) threadKick() chan struct{} {
	s.chans()
	return s.kick
}

// Handler serves the built site, the event stream and the live script. Pages are
// never cached by the browser, so a reload always shows the new build.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+EventsPath, s.Hub)
	mux.HandleFunc("GET "+ScriptPath, ServeScript)
	mux.Handle("/", s.files())
	return mux
}

func (s *Server) files() http.Handler {
	root := http.Dir(s.Out)
	fileServer := http.FileServer(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p := path.Clean("/" + r.URL.Path)
		rel := strings.TrimPrefix(p, strings.TrimSuffix(s.BasePath, "/"))
		if !strings.HasPrefix(p, strings.TrimSuffix(s.BasePath, "/")) || !exists(s.Out, rel) {
			s.notFound(w)
			return
		}
		if ext := path.Ext(rel); ext == "" || ext == ".html" { // a folder's index.html or a page
			s.pageHeader(w)
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = rel
		if strings.HasSuffix(r.URL.Path, "/") && !strings.HasSuffix(rel, "/") {
			r2.URL.Path += "/"
		}
		fileServer.ServeHTTP(w, r2)
	})
}

// exists tells whether the output has a file for rel (a folder counts when it has
// an index.html).
func exists(out, rel string) bool {
	full := filepath.Join(out, filepath.FromSlash(rel))
	info, err := os.Stat(full)
	if err != nil {
		return false
	}
	if info.IsDir() {
		_, err := os.Stat(filepath.Join(full, "index.html"))
		return err == nil
	}
	return true
}

func (s *Server) pageHeader(w http.ResponseWriter) {
	for k, v := range s.PageHeader {
		w.Header()[k] = v
	}
}

func (s *Server) notFound(w http.ResponseWriter) {
	s.pageHeader(w)
	data, err := os.ReadFile(filepath.Join(s.Out, "404.html"))
	if err != nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	w.Write(data)
}

// count writes n with the singular or the plural noun: "1 page", "2 pages".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
