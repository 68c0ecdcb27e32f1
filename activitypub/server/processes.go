package server

import (
	"context"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// Several companion processes on one store (issue 11).
//
// Every process serves every request and delivers: the inbox, the threads
// API and the moderation pages read and write the shared store, and the
// delivery workers split the queue between them (see package delivery).
// What one process kept to itself is shared or made safe:
//
//   - Publishing and the crawler's rounds run in the process that leads
//     "publish" and "crawl" (Store.Leader); the others stand by and take
//     over when the leader's connection drops. A process standing by still
//     reads the manifest (publish.Follow), because it serves the lesson
//     posts. Each process reads its own lessons.json: deploy the same build
//     to every machine; the leader's copy is the one published.
//   - Cached threads and their ETags are dropped when any process commits a
//     change to the thread: the store tells every process
//     (Store.Watch; on PostgreSQL a NOTIFY sent by the commit).
//   - Deliveries queued by one process wake the workers of all (Store.Watch
//     again), so a lesson's fan-out is shared from its start.
//   - A reply's triggered look (crawl.Trigger) runs where the reply
//     arrived: a few GETs, never a walk.
//   - Moderator sessions and the wrong passwords the login throttle
//     counts live in the store (see package moderation).
//   - The moderators' notices (package notify) run in the process that
//     leads "notify"; what each moderator was told, and when, is in the
//     store (ClaimNotice), so a new leader tells no one twice.
//   - Remote keys are cached per process for fetch's key TTL, and the
//     inbox's refetch of a rotated key is limited per process: a key
//     rotated and refetched by one process is refetched by another when
//     its own copy fails, at most once per its limit.

// leaderRetry is how long a process waits before asking again for a lock
// it could not wait for (the database was unreachable).
const leaderRetry = 2 * time.Second

// lead runs leading while this process holds the lock called name, and
// standby (which may be nil) while it waits for it, until ctx is done.
// When the lock is lost, leading's context ends and the process waits
// again.
func (s *Server) lead(ctx context.Context, name string, leading, standby func(context.Context)) {
	for ctx.Err() == nil {
		sctx, stopStandby := context.WithCancel(ctx)
		standing := make(chan struct{})
		go func() {
			defer close(standing)
			if standby != nil {
				standby(sctx)
			}
		}()
		lost, release, err := s.cfg.Store.Leader(ctx, name)
		stopStandby()
		<-standing
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("leader lock not taken", "lock", name, "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(leaderRetry):
			}
			continue
		}
		s.log.Info("leading", "lock", name)
		lctx, stop := context.WithCancel(ctx)
		go func() {
			select {
			case <-lost:
				s.log.Warn("leader lock lost", "lock", name)
			case <-lctx.Done():
			}
			stop()
		}()
		leading(lctx)
		stop()
		release()
	}
}

// watch drops the cached threads that another process changed, and wakes
// the delivery worker when another process queued deliveries, as the store
// reports them, until ctx is done.
func (s *Server) watch(ctx context.Context) {
	err := s.cfg.Store.Watch(ctx, activitypub.Watcher{Thread: s.invalidate, Queued: s.worker.Wake})
	if err != nil && ctx.Err() == nil {
		s.log.Error("changes of other processes not followed", "error", err)
	}
}
