package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// Health check paths, for a load balancer, an orchestrator or a monitor.
const (
	// HealthzPath answers 200 while the process serves HTTP at all: a
	// liveness probe, which restarts the process when it fails.
	HealthzPath = "/healthz"
	// ReadyzPath answers 200 when the companion can do its work (the
	// database answers and its schema is current), else 503 with the
	// reason: a readiness probe, which sends no traffic while it fails.
	ReadyzPath = "/readyz"
)

// readyTimeout bounds the readiness query: a database that takes longer
// than this to answer a trivial query is not ready for the inbox either.
const readyTimeout = 2 * time.Second

// healthz answers "ok": the process is alive and its HTTP server runs.
func healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok\n"))
}

// readyz answers "ready", or 503 with a short reason when the store does
// not answer or its schema lacks migrations. A store that is not an
// activitypub.Pinger is asked a cheap question instead (its follower
// count). The cause goes to the log; the answer names only the kind of
// problem, as the endpoint may be reachable from outside.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	var err error
	if p, ok := s.cfg.Store.(activitypub.Pinger); ok {
		err = p.Ping(ctx)
	} else {
		_, err = s.cfg.Store.FollowerCount(ctx)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		reason := "database unreachable"
		if errors.Is(err, activitypub.ErrSchemaBehind) {
			reason = "database migrations not applied"
		}
		s.log.Warn("not ready", "reason", reason, "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(reason + "\n"))
		return
	}
	w.Write([]byte("ready\n"))
}
