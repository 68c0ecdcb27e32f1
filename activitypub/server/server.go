// Package server assembles the companion's rooms into one http.Handler and
// runs its workers: the delivery worker, the publisher watching
// lessons.json, the crawler, and the pruning of old activity marks.
// Several processes may run on one PostgreSQL store; processes.go says
// what they share and how.
//
// The Handler is meant to be mounted beside the static site on one origin:
// Prefixes lists the paths it owns, and everything else is the site's. It
// holds no state of its own beyond what the rooms keep; the Store is the
// companion's memory.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/crawl"
	"github.com/cohort-course/cohort/activitypub/delivery"
	"github.com/cohort-course/cohort/activitypub/discovery"
	"github.com/cohort-course/cohort/activitypub/feedback"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/inbox"
	"github.com/cohort-course/cohort/activitypub/metrics"
	"github.com/cohort-course/cohort/activitypub/moderation"
	"github.com/cohort-course/cohort/activitypub/notify"
	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/activitypub/sig"
	"github.com/cohort-course/cohort/site"
)

// SeenRetention is how long activity ids are remembered for dedupe:
// servers stop retrying a delivery after a few days.
const SeenRetention = 7 * 24 * time.Hour

// pruneInterval is how often old activity ids are forgotten.
const pruneInterval = 6 * time.Hour

// Config is what the companion needs.
type Config struct {
	Course       *site.Config      // course.toml; [federation] must be set
	ManifestPath string            // lessons.json written by the build; "" publishes nothing until Publish
	Store        activitypub.Store // the companion's database
	Logger       *slog.Logger
	Now          func() time.Time
	// HTTPClient replaces fetch's safe client for outbound requests; for
	// tests only.
	HTTPClient *http.Client
	// ThreadChanged is called after a lesson's thread changed ("" for any
	// lesson), e.g. so serve rebuilds that page. May be nil.
	ThreadChanged func(lessonID string)
	// Moderation is the course's moderation mode, participants and
	// moderators. When Moderators is nil, [federation] moderators from
	// Course is used; the zero Mode is open.
	Moderation activitypub.Moderation
	// Metrics counts inbox activities, deliveries and outbound requests,
	// and reads the queue on each scrape. Nil counts nothing.
	Metrics *metrics.Metrics
	// MetricsHandler, when set, is served at MetricsPath beside the
	// companion (see metrics.Handler); leave it nil when the metrics have
	// their own listener, or are off.
	MetricsHandler http.Handler
}

// MetricsPath is where Config.MetricsHandler is served.
const MetricsPath = "/metrics"

// Server is a running companion.
type Server struct {
	cfg       Config
	urls      activitypub.URLs
	key       *sig.KeyPair
	handler   http.Handler
	discovery *discovery.Handler
	publisher *publish.Publisher
	feedback  *feedback.Feedback
	worker    *delivery.Worker
	crawler   *crawl.Crawler
	actions   *moderation.Actions
	notifier  *notify.Notifier
	log       *slog.Logger
	wg        sync.WaitGroup
}

// New loads (or makes, the first time) the course actor's key, assembles
// the rooms and starts the workers, which stop when ctx is done; Wait
// waits for them.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Course == nil || cfg.Store == nil {
		return nil, errors.New("companion: a course and a store are required")
	}
	fed := cfg.Course.Federation
	if fed.Handle == "" || fed.Domain == "" {
		return nil, errors.New("companion: course.toml has no [federation] handle and domain")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Moderation.Moderators == nil {
		cfg.Moderation.Moderators = fed.Moderators
	}
	if cfg.Moderation.Private == nil {
		cfg.Moderation.Private = privateCohorts(cfg.Course.Cohorts)
	}
	if err := cfg.Moderation.Validate(); err != nil {
		return nil, fmt.Errorf("companion: %w", err)
	}
	s := &Server{cfg: cfg, urls: activitypub.NewURLs(fed.Domain, fed.AllowInsecure), log: cfg.Logger}
	key, err := s.loadKey(ctx)
	if err != nil {
		return nil, err
	}
	s.key = key
	st, log, now := cfg.Store, cfg.Logger, cfg.Now
	hc := cfg.HTTPClient
	if cfg.Metrics != nil {
		if hc == nil {
			hc = fetch.NewHTTPClient(fed.AllowInsecure)
		}
		timed := *hc
		timed.Transport = cfg.Metrics.Transport(hc.Transport)
		hc = &timed
		cfg.Metrics.InboxReasons(inbox.Reasons...)
		cfg.Metrics.DeliveryOutcomes(delivery.Outcomes...)
		cfg.Metrics.WatchQueue(st, now)
	}
	client := fetch.New(fetch.Options{Store: st, KeyID: s.urls.KeyID(), Key: key, AllowInsecure: fed.AllowInsecure,
		Logger: log, Now: now, HTTP: hc})
	s.worker = delivery.NewWorker(st, client, log.With("room", "delivery"), now)
	if cfg.Metrics != nil {
		s.worker.Outcome = cfg.Metrics.Delivery
	}
	s.publisher = publish.New(publish.Options{Store: st, URLs: s.urls, Logger: log.With("room", "publish"), Now: now, Enqueued: s.worker.Wake,
		Actors: client})
	s.feedback = feedback.New(feedback.Options{Store: st, Send: s.publisher, Manifest: s.publisher.Manifest,
		Logger: log.With("room", "feedback"), Now: now})
	s.discovery = discovery.New(discovery.Options{Course: cfg.Course, URLs: s.urls, Store: st, Notes: s.publisher,
		PublicKeyPEM: key.PublicKeyPEM(), Gone: func(err error) bool { return errors.Is(err, publish.ErrDeleted) },
		Logger: log.With("room", "discovery"), Now: now, Moderators: cfg.Moderation.Moderators, Keys: client,
		Assignment: s.isAssignment})
	s.crawler = crawl.New(crawl.Options{Store: st, Fetch: client, URLs: s.urls, Logger: log.With("room", "crawl"), Now: now,
		Changed: s.changed, Moderation: cfg.Moderation})
	in := inbox.New(inbox.Options{Store: st, Fetch: client, URLs: s.urls, Logger: log.With("room", "inbox"), Now: now,
		Changed: s.changed, Enqueued: s.worker.Wake, Crawl: s.crawler.Trigger, Moderation: cfg.Moderation,
		Journal: fed.JournalTag(),
		Observe: cfg.Metrics.InboxObserve})
	s.actions = moderation.New(moderation.Options{Store: st, URLs: s.urls, Logger: log.With("room", "moderation"), Now: now,
		Changed: s.changed, Enqueued: s.worker.Wake})
	mod := moderation.NewHandler(moderation.HandlerOptions{Actions: s.actions, Store: st, URLs: s.urls, Title: cfg.Course.Title,
		Logger: log.With("room", "moderation"), Now: now})

	mux := http.NewServeMux()
	mux.Handle("/inbox", in)
	mux.Handle(moderation.Prefix, mod)
	mux.HandleFunc("GET "+HealthzPath, healthz)
	mux.HandleFunc("GET "+ReadyzPath, s.readyz)
	if cfg.MetricsHandler != nil {
		mux.Handle("GET "+MetricsPath, cfg.MetricsHandler)
	}
	mux.Handle("/", s.discovery)
	s.handler = mux

	// Moderation done by the CLI in another process reaches this one
	// through the audit log.
	last, err := s.lastAudit(ctx)
	if err != nil {
		return nil, err
	}

	// Deliveries a stopped or crashed process had claimed go out now, not
	// when their lease runs out; the worker looks again every
	// delivery.SweepInterval, for processes that die while this one runs.
	released, err := st.ReleaseClaims(ctx, now())
	if err != nil {
		return nil, fmt.Errorf("companion: delivery claims: %w", err)
	}
	if released > 0 {
		log.Info("delivery claims released", "count", released)
	}

	s.start(ctx, func(ctx context.Context) { s.followAudit(ctx, last) })

	s.start(ctx, s.watch)
	s.start(ctx, func(ctx context.Context) { s.worker.Run(ctx) })
	s.start(ctx, func(ctx context.Context) { s.crawler.RunTriggered(ctx) })
	s.start(ctx, func(ctx context.Context) { s.lead(ctx, "crawl", s.crawler.RunRounds, nil) })
	s.start(ctx, s.prune)
	if cfg.ManifestPath != "" {
		s.start(ctx, func(ctx context.Context) {
			s.lead(ctx, "publish", func(ctx context.Context) { s.publisher.Watch(ctx, cfg.ManifestPath) },
				func(ctx context.Context) { s.publisher.Follow(ctx, cfg.ManifestPath) })
		})
		s.start(ctx, func(ctx context.Context) { s.lead(ctx, "feedback", s.feedback.Run, nil) })
	}
	s.startNotifier(ctx, client)
	log.Info("companion started", "actor", s.urls.Actor(), "key", key)
	return s, nil
}

func (s *Server) start(ctx context.Context, fn func(context.Context)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn(ctx)
	}()
}

// loadKey returns the course actor's key from the Store, generating and
// storing it the first time.
func (s *Server) loadKey(ctx context.Context) (*sig.KeyPair, error) {
	k, err := s.cfg.Store.KeyPair(ctx, s.urls.Actor(), func() (activitypub.Key, error) {
		kp, err := sig.GenerateKey()
		if err != nil {
			return activitypub.Key{}, err
		}
		return activitypub.Key{Owner: s.urls.Actor(), ID: s.urls.KeyID(), PublicPEM: kp.PublicKeyPEM(), PrivatePEM: kp.PrivateKeyPEM()}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("companion: key: %w", err)
	}
	kp, err := sig.ParsePrivateKeyPEM(k.PrivatePEM)
	if err != nil {
		return nil, fmt.Errorf("companion: key: %w", err)
	}
	return kp, nil
}

// changed is called by the inbox and the crawler after a thread changed.
func (s *Server) changed(lessonID string) { s.invalidate(lessonID) }

// isAssignment reports whether the manifest the publisher last synced
// marks lessonID as an assignment (its threads show submissions and
// reviews, issue 14).
func (s *Server) isAssignment(lessonID string) bool {
	l, ok := s.publisher.Lesson(lessonID)
	return ok && l.Assignment
}

// invalidate drops the cached thread of a lesson ("" for all) and tells
// ThreadChanged.
func (s *Server) invalidate(lessonID string) {
	s.discovery.Invalidate(lessonID)
	if s.cfg.ThreadChanged != nil {
		s.cfg.ThreadChanged(lessonID)
	}
}

// prune forgets activity ids older than SeenRetention, tombstones older
// than activitypub.TombstoneRetention, expired sessions and wrong
// passwords that no longer count, now and then.
func (s *Server) prune(ctx context.Context) {
	t := time.NewTicker(pruneInterval)
	defer t.Stop()
	for {
		if err := s.cfg.Store.ForgetActivitiesBefore(ctx, s.cfg.Now().Add(-SeenRetention)); err != nil && ctx.Err() == nil {
			s.log.Warn("old activities not forgotten", "error", err)
		}
		if err := s.cfg.Store.ForgetTombstonesBefore(ctx, s.cfg.Now().Add(-activitypub.TombstoneRetention)); err != nil && ctx.Err() == nil {
			s.log.Warn("old tombstones not forgotten", "error", err)
		}
		if err := s.cfg.Store.DeleteSessionsBefore(ctx, s.cfg.Now()); err != nil && ctx.Err() == nil {
			s.log.Warn("expired sessions not removed", "error", err)
		}
		if err := s.cfg.Store.ForgetLoginFailuresBefore(ctx, s.cfg.Now().Add(-moderation.LoginRetention)); err != nil && ctx.Err() == nil {
			s.log.Warn("old wrong passwords not forgotten", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Handler returns the companion's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Prefixes returns the paths the Handler owns, for mounting it beside the
// static site: a path equal to a prefix, or under one ending in "/", is
// the companion's.
func (s *Server) Prefixes() []string {
	p := []string{"/inbox", moderation.Prefix, HealthzPath, ReadyzPath}
	if s.cfg.MetricsHandler != nil {
		p = append(p, MetricsPath)
	}
	return append(p, discovery.Prefixes...)
}

// Moderation returns the moderators' actions, for tests and tools that
// moderate in process.
func (s *Server) Moderation() *moderation.Actions { return s.actions }

// auditPoll is how often the audit log is read for moderation done by
// another process (the CLI): a moderator sees the page change within
// seconds, and an idle companion reads one index entry.
const auditPoll = 2 * time.Second

// lastAudit returns the id of the newest audit entry, 0 for none.
func (s *Server) lastAudit(ctx context.Context) (int64, error) {
	es, err := s.cfg.Store.AuditLog(ctx, 0, 1)
	if err != nil {
		return 0, fmt.Errorf("companion: %w", err)
	}
	if len(es) == 0 {
		return 0, nil
	}
	return es[0].ID, nil
}

// followAudit invalidates the threads that moderation entries after last
// name, as they appear. Actions taken in this process already did so; the
// second invalidation of their lesson costs one rebuild of its thread.
func (s *Server) followAudit(ctx context.Context, last int64) {
	t := time.NewTicker(auditPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		es, err := s.cfg.Store.AuditSince(ctx, last, 1000)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("audit log not read", "error", err)
			}
			continue
		}
		lessons := map[string]bool{}
		for _, e := range es {
			last = e.ID
			switch e.Action {
			case activitypub.ActionBlock, activitypub.ActionUnblock:
				lessons[""] = true
			case activitypub.ActionApprove, activitypub.ActionHide, activitypub.ActionShow, activitypub.ActionFeature, activitypub.ActionUnfeature:
				lessons[e.LessonID] = true
			}
		}
		if lessons[""] {
			s.changed("")
			continue
		}
		for l := range lessons {
			s.changed(l)
		}
		if len(es) > 0 {
			s.worker.Wake() // a feature by the CLI queued a boost
		}
	}
}

// URLs returns the companion's public URLs.
func (s *Server) URLs() activitypub.URLs { return s.urls }

// Publish syncs the lessons manifest at the configured path now (a build
// just finished) instead of at the next watch tick. It does not ask for
// the "publish" lock: it is for a process that runs alone (serve), since
// two processes publishing at once may send a lesson twice.
func (s *Server) Publish(ctx context.Context) error {
	if s.cfg.ManifestPath == "" {
		return errors.New("companion: no manifest path")
	}
	return s.publisher.SyncFile(ctx, s.cfg.ManifestPath)
}

// Deliver sends every delivery due now and returns when they are done.
func (s *Server) Deliver(ctx context.Context) error { return s.worker.Drain(ctx) }

// Crawl walks a lesson's thread now and returns how many replies it found;
// posts deleted at their origin are removed.
func (s *Server) Crawl(ctx context.Context, lessonID string) (int, error) {
	return s.crawler.Lesson(ctx, lessonID)
}

// Wait blocks until the workers stopped (after the ctx given to New is
// done).
func (s *Server) Wait() { s.wg.Wait() }

// privateCohorts lists the members of each private cohort: its participants
// and its own moderators, whose replies are shown and whose Follows are
// accepted at once. Nil when no cohort is private.
func privateCohorts(cohorts []site.Cohort) map[string][]string {
	var out map[string][]string
	for _, c := range cohorts {
		if c.Audience != "private" {
			continue
		}
		if out == nil {
			out = map[string][]string{}
		}
		out[c.ID] = append(slices.Clone(c.Participants), c.Moderators...)
	}
	return out
}

// Publisher returns the publisher of the course actor's posts, which also
// sends its direct messages (Direct).
func (s *Server) Publisher() *publish.Publisher { return s.publisher }

// Feedback returns the peer-feedback rounds of the assignment lessons.
func (s *Server) Feedback() *feedback.Feedback { return s.feedback }
