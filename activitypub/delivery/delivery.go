// Package delivery sends the course actor's activities to other servers.
// The queue lives in the Store, so it survives a restart and a crashed
// worker's claims come back after activitypub.DeliveryLease. The Worker
// claims due deliveries, POSTs each one signed (through fetch, so the same
// address rules apply), bounds how many requests run at once in total and
// per host, and on failure retries with exponential backoff for about two
// days before it gives up. Delivery is at least once; activity ids are
// stable, so a receiver can drop a repeat.
//
// Enqueue is the one way in: it puts one delivery per distinct inbox, so
// followers on one server that has a shared inbox get one request.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/fetch"
)

// Limits of the worker.
const (
	// Concurrency is how many POSTs run at once in all: enough to fan a
	// lesson out to a thousand servers in seconds on a small machine.
	Concurrency = 64
	// PerHost is how many POSTs run at once to one host, so a large
	// server is not hammered and a slow one holds few workers.
	PerHost = 2
	// batch is how many deliveries one claim takes.
	batch = 256
	// poll is how often the queue is checked when nothing woke the worker.
	poll = 5 * time.Second
)

// Backoff: the first retry after FirstRetry, each next one twice as late,
// and no retry once a delivery is older than GiveUpAfter.
const (
	FirstRetry  = time.Minute
	MaxRetry    = 12 * time.Hour
	GiveUpAfter = 48 * time.Hour
)

// Poster sends one signed activity to an inbox; *fetch.Client is one.
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

	wake  chan struct{}
	mu    sync.Mutex
	hosts map[string]chan struct{}
}

// NewWorker returns a worker posting through p.
func NewWorker(st activitypub.Store, p Poster, log *slog.Logger, now func() time.Time) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Worker{Store: st, Poster: p, Logger: log, Now: now, wake: make(chan struct{}, 1), hosts: map[string]chan struct{}{}}
}

// Wake tells the worker there is something new in the queue. It never
// blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done.
func (w *Worker) Run(ctx context.Context) {
	sem := make(chan struct{}, Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		}
		for ctx.Err() == nil {
			ds, err := w.Store.ClaimDeliveries(ctx, w.Now(), batch)
			if err != nil {
				if ctx.Err() == nil {
					w.Logger.Error("deliveries not claimed", "error", err)
				}
				break
			}
			for _, d := range ds {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return // the lease brings unstarted claims back
				}
				wg.Add(1)
				go func() {
					defer func() { <-sem; wg.Done() }()
					w.deliver(ctx, d)
				}()
			}
			if len(ds) < batch {
				break
			}
		}
		timer.Reset(poll)
	}
}

// Drain delivers everything due now and returns when it is done: for tests
// and for a clean shutdown.
func (w *Worker) Drain(ctx context.Context) error {
	sem := make(chan struct{}, Concurrency)
	var wg sync.WaitGroup
	for {
		ds, err := w.Store.ClaimDeliveries(ctx, w.Now(), batch)
		if err != nil {
			wg.Wait()
			return fmt.Errorf("drain: %w", err)
		}
		for _, d := range ds {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				w.deliver(ctx, d)
			}()
		}
		if len(ds) == 0 {
			wg.Wait()
			return nil
		}
	}
}

// hostSlot returns the per-host semaphore of inbox's host.
func (w *Worker) hostSlot(inbox string) chan struct{} {
	host := inbox
	if u, err := url.Parse(inbox); err == nil {
		host = u.Host
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.hosts[host]
	if !ok {
		s = make(chan struct{}, PerHost)
		w.hosts[host] = s
	}
	return s
}

// deliver makes one attempt and records its outcome.
func (w *Worker) deliver(ctx context.Context, d activitypub.Delivery) {
	slot := w.hostSlot(d.Inbox)
	select {
	case slot <- struct{}{}:
	case <-ctx.Done():
		return
	}
	err := w.Poster.Post(ctx, d.Inbox, d.Body)
	<-slot
	if ctx.Err() != nil {
		return // shutting down: the lease brings it back
	}
	// The outcome is recorded even if ctx ends now, so a done delivery is
	// not sent twice.
	rec := context.WithoutCancel(ctx)
	if err == nil {
		if err := w.Store.CompleteDelivery(rec, d.ID); err != nil {
			w.Logger.Error("delivery not completed", "delivery_id", d.ID, "error", err)
		}
		w.Logger.Debug("delivered", "activity_id", d.ActivityID, "inbox", d.Inbox)
		return
	}
	next, retry := Next(d, w.Now(), err)
	if !retry {
		w.Logger.Warn("delivery given up", "activity_id", d.ActivityID, "inbox", d.Inbox, "attempts", d.Attempts, "error", err)
		if err := w.Store.CompleteDelivery(rec, d.ID); err != nil {
			w.Logger.Error("delivery not completed", "delivery_id", d.ID, "error", err)
		}
		return
	}
	w.Logger.Info("delivery failed", "activity_id", d.ActivityID, "inbox", d.Inbox, "attempts", d.Attempts, "next", next, "error", err)
	if err := w.Store.RetryDelivery(rec, d.ID, next, err); err != nil {
		w.Logger.Error("delivery retry not recorded", "delivery_id", d.ID, "error", err)
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
