package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/server"
	"github.com/cohort-course/cohort/site"
)

// HTTP server limits of the companion: a remote server gets 10 s to send
// its headers (of at most maxHeaderBytes) and 30 s for the whole exchange,
// so slow senders cannot pile up connections.
const (
	companionHeaderTimeout = 10 * time.Second
	companionTimeout       = 30 * time.Second
	companionShutdown      = 10 * time.Second
)

func cmdCompanion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("companion", "companion [flags]\n\nRuns the course's fediverse account (@handle@domain from [federation] in\ncourse.toml): publishes the lessons in the built lessons.json, accepts\nfollows and collects replies into the store in --data.", stderr)
	source := fs.String("source", ".", "course folder (with course.toml)")
	data := fs.String("data", "", "data folder for the companion's database (default SOURCE/.cohort)")
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on")
	database := addDatabaseFlag(fs)
	manifest := fs.String("manifest", "", "lessons manifest written by the build (default SOURCE/public/lessons.json)")
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
		return fmt.Errorf("%w: companion takes no arguments", errUsage)
	}
	tuneCompanionGC()
	if *data == "" {
		*data = filepath.Join(*source, ".cohort")
	}
	if *manifest == "" {
		*manifest = filepath.Join(*source, "public", "lessons.json")
	}
	cfg, err := site.LoadConfig(os.DirFS(*source), "course.toml")
	if err != nil {
		return fmt.Errorf("companion: %w", err)
	}
	om, err := loadMetrics(*source, cfg.Metrics)
	if err != nil {
		return fmt.Errorf("companion: %w", err)
	}
	st, err := openStore(ctx, storeURL(*database, cfg), *data)
	if err != nil {
		return fmt.Errorf("companion: %w", err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv, err := server.New(ctx, server.Config{Course: cfg, Moderation: moderationRules(cfg), ManifestPath: *manifest, Store: st, Logger: logger, Now: time.Now,
		Metrics: om.metrics(), MetricsHandler: om.beside()})
	if err != nil {
		return err
	}
	waitMetrics, err := om.serveOwn(ctx, stdout, logger)
	if err != nil {
		cancel()
		srv.Wait()
		return fmt.Errorf("companion: %w", err)
	}
	defer func() { cancel(); waitMetrics() }()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("companion: listen: %w", err)
	}
	hs := newHTTPServer(srv.Handler(), httpLimits{Header: companionHeaderTimeout, Read: companionTimeout,
		Write: companionTimeout, Idle: 2 * companionTimeout, MaxHeaderBytes: maxHeaderBytes})
	fmt.Fprintf(stdout, "Companion for %s listening on http://%s\n", cfg.Federation.Address(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), companionShutdown)
		err = hs.Shutdown(sctx)
		scancel()
	}
	cancel()
	srv.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("companion: %w", err)
	}
	return nil
}

// moderationRules reads the companion's moderation rules from [federation].
// Cohorts' own participants and moderators count as the course's: in
// "participants" mode a cohort member's reply is shown at once.
func moderationRules(cfg *site.Config) activitypub.Moderation {
	f := cfg.Federation
	m := activitypub.Moderation{Mode: activitypub.ModerationMode(f.Moderation),
		Participants: slices.Clone(f.Participants), Moderators: cfg.AllModerators()}
	for _, co := range cfg.Cohorts {
		m.Participants = append(m.Participants, co.Participants...)
	}
	return m
}

// companionGCPercent and companionMemoryLimit tune the collector for the
// companion alone: its live heap is a few MiB, and under a burst of inbox
// deliveries Go's default (collect at every doubling) spent about a tenth
// of its CPU marking. Tripling the headroom costs tens of MiB at most; the
// limit bounds it.
const (
	companionGCPercent   = 300
	companionMemoryLimit = 512 << 20
)

// tuneCompanionGC applies the companion's collector settings unless GOGC
// or GOMEMLIMIT say otherwise.
func tuneCompanionGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(companionGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(companionMemoryLimit)
	}
}
