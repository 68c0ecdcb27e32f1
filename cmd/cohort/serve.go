package main

import (
	"context"
	"errors"
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
	srv.Build(ctx, nil) // a broken course still serves: the error shows in the page

	ignore := ignorer(f.source, o.Out)
	w, err := live.NewWatcher(f.source, ignore, logger)
	if err != nil {
		return fmt.Errorf("serve: watch %s: %w", f.source, err)
	}
	defer w.Close()

	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	go func() { errc <- srv.Watch(ctx, w) }()
	fmt.Fprintf(stdout, "Serving %s at %s (Ctrl-C to stop)\n", f.source, url+strings.TrimPrefix(basePath, "/"))
	if *open {
		openBrowser(url + strings.TrimPrefix(basePath, "/"))
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	hs.Shutdown(shutdown)
	fmt.Fprintln(stdout, "Stopped.")
	return nil
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
