package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cohort-course/cohort/activitypub/metrics"
	"github.com/cohort-course/cohort/activitypub/server"
	"github.com/cohort-course/cohort/site"
)

// opsMetrics is what [metrics] in course.toml asks for: the metrics, and
// where they are served.
type opsMetrics struct {
	*metrics.Metrics
	handler http.Handler // /metrics, with the token check when there is one
	listen  string       // its own address, "" to serve beside the companion
}

// loadMetrics reads the token file (relative to source) and makes the
// registry; nil when the metrics are off.
func loadMetrics(source string, cfg site.Metrics) (*opsMetrics, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	token := ""
	if cfg.TokenFile != "" {
		path := cfg.TokenFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(source, path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("metrics: token: %w", err)
		}
		if token = strings.TrimSpace(string(data)); token == "" {
			return nil, fmt.Errorf("metrics: token file %s is empty", path)
		}
	}
	reg := metrics.NewRegistry()
	return &opsMetrics{Metrics: metrics.New(reg), handler: metrics.Handler(reg, token), listen: cfg.Listen}, nil
}

// metrics returns m's metrics, nil when m is.
func (m *opsMetrics) metrics() *metrics.Metrics {
	if m == nil {
		return nil
	}
	return m.Metrics
}

// beside returns the handler to serve at /metrics beside the companion, or
// nil when the metrics are off or have their own address.
func (m *opsMetrics) beside() http.Handler {
	if m == nil || m.listen != "" {
		return nil
	}
	return m.handler
}

// metricsShutdown bounds how long a scrape under way delays the stop.
const metricsShutdown = 2 * time.Second

// serveOwn serves /metrics on its own address until ctx is done, when it
// has one; the returned function waits for it to stop.
func (m *opsMetrics) serveOwn(ctx context.Context, stdout io.Writer, logger *slog.Logger) (wait func(), err error) {
	if m == nil || m.listen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", m.listen)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+server.MetricsPath, m.handler)
	hs := newHTTPServer(mux, httpLimits{Header: companionHeaderTimeout, Read: companionTimeout,
		Write: companionTimeout, Idle: 2 * companionTimeout, MaxHeaderBytes: maxHeaderBytes})
	fmt.Fprintf(stdout, "Metrics on http://%s%s\n", ln.Addr(), server.MetricsPath)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), metricsShutdown)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	return func() { <-done }, nil
}
