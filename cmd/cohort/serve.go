package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/cohort-course/cohort/site"
	"github.com/cohort-course/cohort/site/live"
)

// defaultAddr is where serve listens unless told otherwise: Hugo's port, so
// authors' habits carry over.
const defaultAddr = "127.0.0.1:1313"

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f buildFlags
	fs := newFlags("serve", "serve [flags]\n\nBuilds the course, serves it, and rebuilds what changed on every save; open\npages reload by themselves. The site's base URL becomes the address served\n(--base-url overrides). Stop with Ctrl-C.", stderr)
	f.register(fs)
	addr := fs.String("addr", defaultAddr, "address to listen on")
	open := fs.Bool("open", false, "open the site in the default browser")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: serve takes no arguments", errUsage)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer ln.Close()

	cacheDir := filepath.Join(f.source, ".cohort")
	o := f.options()
	o.Out = filepath.Join(cacheDir, "serve")
	o.CacheDir = filepath.Join(cacheDir, "serve-cache")
	o.Live = live.Script()
	o.DeferCacheSave = true // written after the first build and on stop, not on every save
	url := "http://" + ln.Addr().String() + "/"
	if o.BaseURL == "" {
		o.BaseURL = url
	}
	basePath := "/"
	if i := strings.Index(strings.TrimPrefix(strings.TrimPrefix(o.BaseURL, "https://"), "http://"), "/"); i >= 0 {
		basePath = strings.TrimPrefix(strings.TrimPrefix(o.BaseURL, "https://"), "http://")[i:]
	}
	logger := slog.Default()
	o.Logger = logger
	srv := &live.Server{
		Builder:  site.NewBuilder(o),
		Out:      o.Out,
		BasePath: basePath,
		Hub:      live.NewHub(),
		Report:   stdout,
		Logger:   logger,
	}
	// Watch before the first build, so that a save during it is not missed.
	ignore := ignorer(f.source, o.Out)
	w, err := live.NewWatcher(f.source, ignore, logger)
	if err != nil {
		return fmt.Errorf("serve: watch %s: %w", f.source, err)
	}
	defer w.Close()
	srv.Build(ctx, nil) // a broken course still serves: the error shows in the page
	saveCache(srv.Builder, logger)

	// Requests live in ctx: stopping ends the open event streams, so that Shutdown
	// does not wait for them.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	served := make(chan error, 1)
	watched := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	go func() { watched <- srv.Watch(ctx, w) }()
	fmt.Fprintf(stdout, "Serving %s at %s (Ctrl-C to stop)\n", f.source, url+strings.TrimPrefix(basePath, "/"))
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
	saveCache(srv.Builder, logger)
	if failed != nil {
		return failed
	}
	fmt.Fprintln(stdout, "Stopped.")
	return nil
}

// saveCache writes the build cache, so that the next serve or build starts warm.
func saveCache(b *site.Builder, logger *slog.Logger) {
	if err := b.SaveCache(); err != nil {
		logger.Warn("build cache not saved", "err", err)
	}
}

// ignorer tells the watcher which paths are not the course: output, caches,
// version control and dependencies.
func ignorer(source, out string) func(string) bool {
	outRel, err := filepath.Rel(source, out)
	if err != nil {
		outRel = ""
	}
	outRel = filepath.ToSlash(outRel)
	return func(rel string) bool {
		first, _, _ := strings.Cut(rel, "/")
		switch first {
		case "public", ".cohort", ".git", "node_modules", "resources":
			return true
		}
		return outRel != "" && (rel == outRel || strings.HasPrefix(rel, outRel+"/"))
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
