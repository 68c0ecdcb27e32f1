package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/cohort-course/cohort/activitypub/metrics"
	"github.com/cohort-course/cohort/activitypub/server"
	"github.com/cohort-course/cohort/site"
	"github.com/cohort-course/cohort/site/live"
)

// defaultAddr is where serve listens unless told otherwise: Hugo's port, so
// authors' habits carry over.
const defaultAddr = "127.0.0.1:1313"

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f buildFlags
	fs := newFlags("serve", "serve [flags]\n\nBuilds the course, serves it, and rebuilds what changed on every save; open\npages reload by themselves. The site's base URL becomes the address served\n(--base-url overrides). Stop with Ctrl-C.", stderr)
	f.register(fs, false)
	addr := fs.String("addr", defaultAddr, "address to listen on")
	open := fs.Bool("open", false, "open the site in the default browser")
	database := addDatabaseFlag(fs)
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: serve takes no arguments", errUsage)
	}
	// [metrics] is read here as well as by the build: a broken course.toml
	// still serves (its error shows in the page), without metrics.
	var om *opsMetrics
	if cfg, err := site.LoadConfig(os.DirFS(f.source), "course.toml"); err == nil {
		if om, err = loadMetrics(f.source, cfg.Metrics); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer ln.Close()
	tuneGC()

	cacheDir := filepath.Join(f.source, ".cohort") // the preview's own output and cache
	o := f.options()
	if o.Now, err = f.clock(); err != nil {
		return err
	}
	o.Out = filepath.Join(cacheDir, "serve")
	o.CacheDir = filepath.Join(cacheDir, "serve-cache")
	o.Live = live.Script()
	o.DeferCacheSave = true // written after the first build and on stop, not on every save
	url := "http://" + ln.Addr().String() + "/"
	if o.BaseURL == "" {
		// A local preview: the site and the course's fediverse account both live at
		// the address served, so every link and every id works here.
		o.BaseURL = url
		o.Domain = ln.Addr().String()
	}
	basePath := (&site.Config{BaseURL: o.BaseURL}).BasePath() // the same path the build puts pages under
	progress := newProgress(stderr)                           // progress.go: only on a terminal
	o.Progress = progress.fn()
	o.Logger = logger

	// The companion first: the course's fediverse account on the same origin, whose
	// threads the pages show. A reply that arrives rebuilds its lesson's page.
	compCtx, stopCompanion := context.WithCancel(ctx)
	defer stopCompanion()
	var srv *live.Server
	threadChanged := func(lessonID string) {
		if srv != nil {
			srv.ThreadChanged(lessonID)
		}
	}
	comp, account, closeCompanion, err := startCompanion(compCtx, f.source, f.dataDir(), *database, o, logger, threadChanged, om.metrics())
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer closeCompanion()
	if comp != nil {
		o.Discussion = comp.Discussion()
	}
	srv = &live.Server{
		Builder:  site.NewBuilder(o),
		Out:      o.Out,
		BasePath: basePath,
		Hub:      live.NewHub(),
		Report:   stdout,
		Logger:   logger,
		// Pages show replies from anyone: no inline script may run in them.
		PageHeader: http.Header{"Content-Security-Policy": {site.ContentSecurityPolicy(companionBase(comp, o))}},
	}
	publishNow := func(*site.Result) {}
	if comp != nil {
		// A lesson opening for a later cohort changes no byte of lessons.json,
		// yet the page now shows that cohort's post: publish it in the same
		// breath rather than at the companion's next watch tick.
		var opening time.Time // the build's NextOpening, when serve wakes
		publishNow = func(res *site.Result) {
			opened := !opening.IsZero() && !time.Now().Before(opening)
			opening = res.NextOpening
			if opened || slices.Contains(res.Written, "lessons.json") {
				if err := comp.Publish(compCtx); err != nil && compCtx.Err() == nil {
					logger.Warn("lessons not published", "err", err)
				}
			}
		}
		srv.OnBuild = publishNow
	}
	if m := om.metrics(); m != nil {
		onBuild, builds := srv.OnBuild, 0 // builds run one at a time
		srv.OnBuild = func(res *site.Result) {
			kind := metrics.BuildRebuild
			if builds == 0 {
				kind = metrics.BuildFull
			}
			builds++
			m.Built(kind, res.Duration)
			if onBuild != nil {
				onBuild(res)
			}
		}
	}
	// Watch before the first build, so that a save during it is not missed.
	ignore := ignorer(f.source, o.Out, f.dataDir()) // the store's writes are no saves
	w, err := live.NewWatcher(f.source, ignore, logger)
	if err != nil {
		return fmt.Errorf("serve: watch %s: %w", f.source, err)
	}
	defer w.Close()
	if progress != nil {
		// The first build of a large course takes a while: say what is going on.
		fmt.Fprintf(stderr, "Building %s before serving it…\n", f.source)
		progress.begin()
	}
	if _, err := srv.Build(ctx, nil); err == nil && comp != nil {
		// a broken course still serves: the error shows in the page
		publishNow(&site.Result{Written: []string{"lessons.json"}})
	}
	saveCache(srv.Builder, logger)

	// Requests live in ctx: stopping ends the open event streams, so that Shutdown
	// does not wait for them.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	handler := srv.Handler()
	if comp != nil {
		handler = mount(handler, comp.Handler(), comp.Prefixes())
	}
	if h := om.beside(); h != nil {
		handler = mount(handler, h, []string{server.MetricsPath})
	}
	waitMetrics, err := om.serveOwn(ctx, stdout, logger)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer func() { stop(); waitMetrics() }()
	hs := newHTTPServer(handler, serveLimits()) // httpserver.go
	hs.BaseContext = func(net.Listener) context.Context { return ctx }
	served := make(chan error, 1)
	watched := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	go func() { watched <- srv.Watch(ctx, w) }()
	fmt.Fprintf(stdout, "Serving %s at %s (Ctrl-C to stop)\n", f.source, url+strings.TrimPrefix(basePath, "/"))
	if comp != nil {
		fmt.Fprintf(stdout, "Fediverse account %s (actor %s)\n", account, comp.URLs().Actor())
	}
	if *open {
		openBrowser(url + strings.TrimPrefix(basePath, "/"))
	}
	var failed error
	select {
	case <-ctx.Done():
	case err := <-served:
		failed = fmt.Errorf("serve: %w", err)
	case err := <-watched:
		if err != nil {
			failed = fmt.Errorf("serve: watch: %w", err)
		}
		watched <- nil
	}
	stop()
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	hs.Shutdown(shutdown)
	<-watched // no build is left writing when serve returns
	stopCompanion()
	if comp != nil {
		comp.Wait()
	}
	saveCache(srv.Builder, logger)
	if failed != nil {
		return failed
	}
	fmt.Fprintln(stdout, "Stopped.")
	return nil
}

// serveGCPercent and serveMemoryLimit tune the garbage collector for serve, a
// long-running process whose live heap is the whole course: each rebuild
// allocates a fraction of it, and collecting at every doubling (Go's default)
// cost a one-lesson rebuild of a 10,000-lesson course about a third of its time.
// The memory limit keeps the larger headroom from growing without bound.
const (
	serveGCPercent   = 300
	serveMemoryLimit = 1536 << 20
)

// tuneGC applies serve's collector settings unless GOGC or GOMEMLIMIT say otherwise.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}

// startCompanion opens the store (database, else COHORT_DATABASE_URL, else
// [store] url, else the SQLite file in the data folder) and starts the
// companion for a course with [federation]; for one without, it returns nil.
func startCompanion(ctx context.Context, source, data, database string, o site.Options, logger *slog.Logger, threadChanged func(string), m *metrics.Metrics) (*server.Server, string, func(), error) {
	cfg, err := site.LoadConfig(os.DirFS(source), "course.toml")
	if err != nil || cfg.Federation.Handle == "" {
		return nil, "", func() {}, nil // no account to run; a broken config shows in the page
	}
	if o.Domain != "" {
		cfg.Federation.Domain, cfg.Federation.AllowInsecure = o.Domain, true
	}
	if o.BaseURL != "" {
		cfg.BaseURL = o.BaseURL
	}
	st, err := openStore(ctx, storeURL(database, cfg), data)
	if err != nil {
		return nil, "", nil, fmt.Errorf("companion store: %w", err)
	}
	comp, err := server.New(ctx, server.Config{Course: cfg, Moderation: moderationRules(cfg), ManifestPath: filepath.Join(o.Out, "lessons.json"),
		Store: st, Logger: logger, Now: time.Now, ThreadChanged: threadChanged, Metrics: m})
	if err != nil {
		st.Close()
		return nil, "", nil, fmt.Errorf("companion: %w", err)
	}
	return comp, cfg.Federation.Address(), func() { st.Close() }, nil
}

// companionBase is the origin the pages' script reads threads from: serve's own.
func companionBase(comp *server.Server, o site.Options) string {
	if comp == nil {
		return ""
	}
	return o.BaseURL
}

// mount sends requests under the companion's paths to it and all others to the site.
func mount(site, companion http.Handler, prefixes []string) http.Handler {
	mux := http.NewServeMux()
	for _, p := range prefixes {
		mux.Handle(p, companion)
	}
	mux.Handle("/", site)
	return mux
}

// saveCache writes the build cache, so that the next serve or build starts warm.
func saveCache(b *site.Builder, logger *slog.Logger) {
	if err := b.SaveCache(); err != nil {
		logger.Warn("build cache not saved", "err", err)
	}
}

// ignorer tells the watcher which paths are not the course: output, caches,
// version control and dependencies.
func ignorer(source string, written ...string) func(string) bool {
	var skip []string // folders serve writes into, relative to source
	for _, dir := range written {
		if rel, err := filepath.Rel(source, dir); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			skip = append(skip, filepath.ToSlash(rel))
		}
	}
	return func(rel string) bool {
		first, _, _ := strings.Cut(rel, "/")
		switch first {
		case "public", ".cohort", ".git", "node_modules", "resources":
			return true
		}
		for _, s := range skip {
			if rel == s || strings.HasPrefix(rel, s+"/") {
				return true
			}
		}
		return false
	}
}

func openBrowser(url string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err == nil {
		go cmd.Wait()
	}
}
