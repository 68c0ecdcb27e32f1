// Package delivery sends the course actor's activities to other servers.
// The queue lives in the Store, so it survives a restart: the claims a
// stopped or crashed process left are given back when the companion
// starts and, while it runs, every SweepInterval (Store.ReleaseClaims
// gives back the claims of processes that no longer run), and otherwise
// come back after activitypub.DeliveryLease.
//
// Several processes may deliver from one PostgreSQL store: each claim
// takes rows no other claim holds (FOR UPDATE SKIP LOCKED) and names the
// claiming Store, whose session advisory lock says whether it still runs;
// see store/postgres. This is our own queue rather than
// github.com/riverqueue/river, after weighing what River would bring:
//   - Retries with backoff: Next is twenty lines, and its rule (a 4xx
//     other than 408/429 is final, give up after GiveUpAfter) is ours to
//     state either way.
//   - Unique jobs: the queue's unique (activity, inbox) already makes an
//     enqueue idempotent, in the same transaction as the inbox's Apply.
//   - Its web UI (riverui, a separate server): the moderators' pages and
//     the operator's metrics are where organisers look.
//   - Its SQLite driver is "in early testing" and advises one open
//     connection (riverqueue/river riverdriver/riversqlite, its package doc),
//     where the SQLite store runs a read pool beside one group-committing
//     writer; the embedded default would run a second queue design.
//   - The per-host slots below would stay ours: limits shared by several
//     processes are a River Pro feature (riverqueue/river issue 1145).
//
// What River would cost: its own tables, migrations and a second
// dependency tree beside ours. The claim (one statement with SKIP LOCKED),
// the instance locks and the sweep are about a hundred lines.
//
// A host that hangs or fails never delays another host's deliveries: a
// delivery first takes one of its host's PerHost slots, without waiting
// (when they are all taken, it waits in memory for the next free one, up to
// MaxQueuedPerHost, else goes back to the queue for HostBusyDelay,
// unattempted); only then one of the Concurrency sending slots, which it
// gives back as soon as its request is written, so a host that does not
// answer holds its own slots and one of MaxAwaiting answer slots, nothing
// another host needs.
//
// Enqueue is the one way in: it puts one delivery per distinct inbox, so
// followers on one server that has a shared inbox get one request.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/fetch"
)

// Limits of the worker.
const (
	// Concurrency is how many POSTs are being sent at once (connected,
	// signed and written): the CPU and the bandwidth of a fan-out, enough
	// to send a lesson to a thousand servers in seconds on a small machine.
	Concurrency = 64
	// MaxAwaiting is how many sent POSTs may wait for their answer at once.
	// Waiting costs a connection and a goroutine, each for at most
	// fetch.TotalTimeout; a thousand is far below a process's file limit,
	// and far above the servers that hang at any one time.
	MaxAwaiting = 1024
	// PerHost is how many POSTs run at once to one host, so a large
	// server is not hammered and a slow one holds few connections. It
	// counts per process: N companion processes may run N*PerHost.
	PerHost = 2
	// MaxQueuedPerHost is how many claimed deliveries may wait in memory
	// for their host's slots, each sent as soon as one frees: a lesson to
	// the followers of a server without a shared inbox (GoToSocial) goes
	// out back to back instead of PerHost every HostBusyDelay. Waiting
	// holds no sending slot, so a hanging host's queue delays only itself.
	MaxQueuedPerHost = 64
	// HostBusyDelay is how long a delivery whose host has all its slots
	// taken and MaxQueuedPerHost waiting goes back to the store before it
	// is claimed again.
	HostBusyDelay = 10 * time.Second
	// sendWindow is how long a POST may hold a sending slot when its
	// request is not written by then (a host that does not accept the
	// connection, or stalls the handshake): it then waits among the
	// MaxAwaiting, so such hosts cannot hold the sending slots either.
	sendWindow = 2 * time.Second
	// drainPause is how long Drain waits when every host it claimed for
	// is busy with Run's POSTs.
	drainPause = 100 * time.Millisecond
	// batch is how many deliveries one claim takes.
	batch = 256
	// poll is how often the queue is checked when nothing woke the worker.
	poll = 5 * time.Second
	// SweepInterval is how often the worker gives back the claims of
	// processes that died (Store.ReleaseClaims), so that on a store several
	// processes share, a killed process's deliveries go out within about
	// this long. On PostgreSQL a sweep is one statement over the claimed
	// rows' index and the server's lock table; on SQLite it finds nothing.
	SweepInterval = 2 * time.Second
)

// Backoff: the first retry after FirstRetry, each next one twice as late,
// and no retry once a delivery is older than GiveUpAfter.
const (
	FirstRetry  = time.Minute
	MaxRetry    = 12 * time.Hour
	GiveUpAfter = 48 * time.Hour
)

// What became of one attempt, for Worker.Outcome.
const (
	OutcomeDelivered = "delivered" // the receiver answered 2xx
	OutcomeRetried   = "retried"   // it failed and is tried again later
	OutcomeGivenUp   = "given_up"  // it failed for good, or too often: dropped
)

// Outcomes lists every outcome.
var Outcomes = []string{OutcomeDelivered, OutcomeRetried, OutcomeGivenUp}

// Poster sends one signed activity to an inbox; *fetch.Client is one. It
// must make its request with ctx, so the worker can see it written.
type Poster interface {
	Post(ctx context.Context, inbox string, body []byte) error
}

// Worker delivers the queued activities.
type Worker struct {
	Store  activitypub.Store
	Poster Poster
	Logger *slog.Logger
	// Now gives the time for claims and backoff; nil means time.Now.
	Now func() time.Time
	// Outcome is called after each attempt with its outcome (one of
	// Outcomes), e.g. to count them. May be nil.
	Outcome func(outcome string)

	wake     chan struct{}
	sending  chan struct{}
	awaiting chan struct{}

	mu    sync.Mutex
	hosts map[string]int // POSTs running per host
	// queued are claimed deliveries waiting for their host's slot.
	queued map[string][]activitypub.Delivery
}

// NewWorker returns a worker posting through p.
func NewWorker(st activitypub.Store, p Poster, log *slog.Logger, now func() time.Time) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Worker{Store: st, Poster: p, Logger: log, Now: now, wake: make(chan struct{}, 1),
		sending: make(chan struct{}, Concurrency), awaiting: make(chan struct{}, MaxAwaiting), hosts: map[string]int{}, queued: map[string][]activitypub.Delivery{}}
}

// Wake tells the worker there is something new in the queue. It never
// blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done, then waits for the POSTs under way.
func (w *Worker) Run(ctx context.Context) {
	var posts sync.WaitGroup
	defer posts.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	sweep := time.NewTicker(SweepInterval)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		case <-sweep.C:
			n, err := w.Store.ReleaseClaims(ctx, w.Now())
			if err != nil && ctx.Err() == nil {
				w.Logger.Error("claims of stopped processes not released", "error", err)
			}
			if n == 0 {
				continue
			}
			w.Logger.Info("claims of a stopped process released", "count", n)
		}
		for ctx.Err() == nil {
			now := w.Now()
			ds, err := w.Store.ClaimDeliveries(ctx, now, batch)
			if err != nil {
				if ctx.Err() == nil {
					w.Logger.Error("deliveries not claimed", "error", err)
				}
				break
			}
			w.dispatch(ctx, &posts, ds, now.Add(HostBusyDelay))
			if len(ds) < batch {
				break
			}
		}
		timer.Reset(poll)
	}
}

// Drain delivers everything due now and returns when it is done: for tests
// and for a clean shutdown. Deliveries to a busy host wait for its slots.
func (w *Worker) Drain(ctx context.Context) error {
	var posts sync.WaitGroup
	defer posts.Wait()
	for {
		now := w.Now()
		ds, err := w.Store.ClaimDeliveries(ctx, now, batch)
		if err != nil {
			return fmt.Errorf("drain: %w", err)
		}
		if len(ds) == 0 {
			return nil
		}
		back := w.dispatch(ctx, &posts, ds, now)
		if back == 0 {
			continue
		}
		posts.Wait() // then the busy hosts' slots are free again, unless Run holds them
		if back == len(ds) {
			select { // Run holds them: let its POSTs end
			case <-time.After(drainPause):
			case <-ctx.Done():
				return fmt.Errorf("drain: %w", ctx.Err())
			}
		}
	}
}

// dispatch starts a POST for each claimed delivery whose host has a free
// slot, counted in posts, and gives the others back to the queue, due at
// busyUntil. It returns how many it gave back. It waits only for a sending
// slot.
func (w *Worker) dispatch(ctx context.Context, posts *sync.WaitGroup, ds []activitypub.Delivery, busyUntil time.Time) int {
	var back []int64
	for i, d := range ds {
		host := hostOf(d.Inbox)
		if !w.takeHost(host) {
			if !w.queue(host, d) {
				back = append(back, d.ID)
			}
			continue
		}
		select {
		case w.sending <- struct{}{}:
		case <-ctx.Done():
			w.putHost(host)
			// Stopping: what was claimed and not started goes back now.
			for _, d := range ds[i:] {
				back = append(back, d.ID)
			}
			busyUntil = w.Now()
			w.postpone(context.WithoutCancel(ctx), back, busyUntil)
			return len(back)
		}
		posts.Add(1)
		go func() {
			defer posts.Done()
			w.deliver(ctx, d, host)
		}()
	}
	w.postpone(ctx, back, busyUntil)
	return len(back)
}

func (w *Worker) postpone(ctx context.Context, ids []int64, until time.Time) {
	if len(ids) == 0 {
		return
	}
	if err := w.Store.PostponeDeliveries(ctx, ids, until); err != nil && ctx.Err() == nil {
		w.Logger.Error("deliveries not given back", "count", len(ids), "error", err)
	}
}

// hostOf returns the host (and port) an inbox is on: the unit of PerHost.
func hostOf(inbox string) string {
	if u, err := url.Parse(inbox); err == nil {
		return u.Host
	}
	return inbox
}

// takeHost takes one of host's slots if one is free.
func (w *Worker) takeHost(host string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hosts[host] >= PerHost {
		return false
	}
	w.hosts[host]++
	return true
}

// queue keeps d to be sent when one of host's slots frees, if fewer than
// MaxQueuedPerHost wait for it.
func (w *Worker) queue(host string, d activitypub.Delivery) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queued[host]) >= MaxQueuedPerHost {
		return false
	}
	w.queued[host] = append(w.queued[host], d)
	return true
}

// next hands the slot of a POST that ended to the next delivery waiting
// for host; with none waiting, it gives the slot back.
func (w *Worker) next(host string) (activitypub.Delivery, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.queued[host]
	if len(q) == 0 {
		delete(w.queued, host)
		w.putHostLocked(host)
		return activitypub.Delivery{}, false
	}
	d := q[0]
	if len(q) == 1 {
		delete(w.queued, host)
	} else {
		w.queued[host] = q[1:]
	}
	return d, true
}

// unqueue takes every delivery waiting for host, to give them back.
func (w *Worker) unqueue(host string) []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ids []int64
	for _, d := range w.queued[host] {
		ids = append(ids, d.ID)
	}
	delete(w.queued, host)
	return ids
}

func (w *Worker) putHost(host string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.putHostLocked(host)
}

func (w *Worker) putHostLocked(host string) {
	if w.hosts[host] <= 1 {
		delete(w.hosts, host)
		return
	}
	w.hosts[host]--
}

// slots are what one POST holds besides its host's slot: a sending slot
// until its request is written (or sendWindow passed), then an awaiting
// slot until its answer. When the awaiting slots are all taken, it keeps
// its sending slot.
type slots struct {
	w                 *Worker
	mu                sync.Mutex
	sending, awaiting bool
}

// sent moves the POST from sending to awaiting, if it still sends and an
// awaiting slot is free.
func (s *slots) sent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sending {
		return
	}
	select {
	case s.w.awaiting <- struct{}{}:
		<-s.w.sending
		s.sending, s.awaiting = false, true
	default:
	}
}

// done gives back whatever the POST holds.
func (s *slots) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sending {
		<-s.w.sending
	}
	if s.awaiting {
		<-s.w.awaiting
	}
	s.sending, s.awaiting = false, false
}

// deliver makes one attempt, holding one of host's slots and a sending
// slot taken by dispatch, and records its outcome; then, keeping the host's
// slot, the same for each delivery queued for host meanwhile.
func (w *Worker) deliver(ctx context.Context, d activitypub.Delivery, host string) {
	for {
		w.attempt(ctx, d, host)
		if ctx.Err() != nil {
			w.putHost(host)
			w.postpone(context.WithoutCancel(ctx), w.unqueue(host), w.Now()) // stopping: back to the store now
			return
		}
		var ok bool
		if d, ok = w.next(host); !ok {
			return
		}
		select {
		case w.sending <- struct{}{}:
		case <-ctx.Done():
			w.putHost(host)
			w.postpone(context.WithoutCancel(ctx), append(w.unqueue(host), d.ID), w.Now())
			return
		}
	}
}

// attempt makes one attempt, holding one of host's slots and a sending
// slot, gives the sending slot back and records the outcome. The host's
// slot stays held.
func (w *Worker) attempt(ctx context.Context, d activitypub.Delivery, host string) {
	held := &slots{w: w, sending: true}
	window := time.AfterFunc(sendWindow, held.sent)
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { held.sent() }}
	err := w.Poster.Post(httptrace.WithClientTrace(ctx, trace), d.Inbox, d.Body)
	window.Stop()
	held.done()
	if ctx.Err() != nil {
		return // shutting down: the next start gives the claim back
	}
	// The outcome is recorded even if ctx ends now, so a done delivery is
	// not sent twice.
	rec := context.WithoutCancel(ctx)
	if err == nil {
		w.outcome(OutcomeDelivered)
		if err := w.Store.CompleteDelivery(rec, d.ID); err != nil {
			w.Logger.Error("delivery not completed", "delivery_id", d.ID, "error", err)
		}
		w.Logger.Debug("delivered", "activity_id", d.ActivityID, "inbox", d.Inbox)
		return
	}
	next, retry := Next(d, w.Now(), err)
	if !retry {
		w.outcome(OutcomeGivenUp)
		w.Logger.Warn("delivery given up", "activity_id", d.ActivityID, "inbox", d.Inbox, "attempts", d.Attempts, "error", err)
		if err := w.Store.CompleteDelivery(rec, d.ID); err != nil {
			w.Logger.Error("delivery not completed", "delivery_id", d.ID, "error", err)
		}
		return
	}
	w.outcome(OutcomeRetried)
	w.Logger.Info("delivery failed", "activity_id", d.ActivityID, "inbox", d.Inbox, "attempts", d.Attempts, "next", next, "error", err)
	if err := w.Store.RetryDelivery(rec, d.ID, next, err); err != nil {
		w.Logger.Error("delivery retry not recorded", "delivery_id", d.ID, "error", err)
	}
}

func (w *Worker) outcome(o string) {
	if w.Outcome != nil {
		w.Outcome(o)
	}
}

// Next decides what follows a failed attempt: the time of the next one,
// FirstRetry doubled for each attempt made (up to MaxRetry), or no retry
// when the receiver refused for good (a 4xx other than 408 and 429) or the
// delivery is older than GiveUpAfter.
func Next(d activitypub.Delivery, now time.Time, cause error) (time.Time, bool) {
	var se *fetch.StatusError
	if errors.As(cause, &se) && se.Permanent() {
		return time.Time{}, false
	}
	if errors.Is(cause, fetch.ErrForbiddenAddress) || errors.Is(cause, fetch.ErrInsecure) {
		return time.Time{}, false
	}
	wait := FirstRetry
	for i := 1; i < d.Attempts && wait < MaxRetry; i++ {
		wait *= 2
	}
	wait = min(wait, MaxRetry)
	next := now.Add(wait)
	if next.Sub(d.Created) > GiveUpAfter {
		return time.Time{}, false
	}
	return next, true
}

// Enqueue queues the activity body (with its stable id) for each inbox,
// once per distinct inbox; an inbox that already has it queued is skipped.
// It returns how many deliveries it queued.
func Enqueue(ctx context.Context, st activitypub.Store, activityID string, body []byte, inboxes []string) (int, error) {
	seen := make(map[string]bool, len(inboxes))
	n := 0
	for _, in := range inboxes {
		if in == "" || seen[in] {
			continue
		}
		seen[in] = true
		_, err := st.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: activityID, Inbox: in, Body: body})
		if errors.Is(err, activitypub.ErrDuplicate) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("enqueue %s: %w", activityID, err)
		}
		n++
	}
	return n, nil
}
