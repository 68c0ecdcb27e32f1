package delivery_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/delivery"
	"github.com/cohort-course/cohort/activitypub/fetch"
)

// hosts are loopback servers, each its own host (127.0.0.1 and its own
// port, which is how the worker tells hosts apart): healthy ones that
// answer 202 at once, and hanging ones that read the request and never
// answer until the test ends.
type hosts struct {
	healthy, hanging []string // base URLs
	served           atomic.Int64
	waiting          atomic.Int64 // requests a hanging host holds now
	ended            atomic.Int64 // requests a hanging host stopped holding
	release          chan struct{}
	closeOnce        sync.Once
}

func startHosts(tb testing.TB, healthy, hanging int) *hosts {
	tb.Helper()
	h := &hosts{release: make(chan struct{})}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.served.Add(1)
		w.WriteHeader(http.StatusAccepted)
	})
	hang := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so the server notices when the client gives up
		h.waiting.Add(1)
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
		h.waiting.Add(-1)
		h.ended.Add(1)
	})
	for range healthy {
		ts := httptest.NewServer(ok)
		tb.Cleanup(ts.Close)
		h.healthy = append(h.healthy, ts.URL)
	}
	for range hanging {
		ts := httptest.NewServer(hang)
		tb.Cleanup(ts.Close)
		h.hanging = append(h.hanging, ts.URL)
	}
	tb.Cleanup(h.unblock) // runs before the servers close
	return h
}

func (h *hosts) unblock() { h.closeOnce.Do(func() { close(h.release) }) }

// enqueue queues one activity to every host's shared inbox, and to extra
// personal inboxes on the first hanging host.
func (h *hosts) enqueue(tb testing.TB, st activitypub.Store, extra int) {
	tb.Helper()
	ctx := context.Background()
	var inboxes []string
	for _, base := range h.hanging {
		inboxes = append(inboxes, base+"/inbox")
	}
	for i := range extra {
		inboxes = append(inboxes, fmt.Sprintf("%s/users/u%d/inbox", h.hanging[0], i))
	}
	for _, base := range h.healthy {
		inboxes = append(inboxes, base+"/inbox")
	}
	if _, err := delivery.Enqueue(ctx, st, "https://course.example/activities/create/lesson", []byte(`{"type":"Create"}`), inboxes); err != nil {
		tb.Fatal(err)
	}
}

// TestHangingHostsDoNotDelayOthers: more hosts hang than there are
// sending slots, and one of them has three times as many deliveries
// queued as there are sending slots; the hanging hosts are queued first.
// Every healthy host is still delivered to while every hanging request
// is still held (none has timed out or been answered), and the hanging
// host's extra deliveries wait for it (MaxQueuedPerHost in memory, the
// rest back in the queue), unattempted.
func TestHangingHostsDoNotDelayOthers(t *testing.T) {
	const healthy, extra = 200, 3 * delivery.Concurrency
	hanging := delivery.Concurrency + 6
	st := openStore(t)
	c, _ := course(t, st, nil)
	h := startHosts(t, healthy, hanging)
	h.enqueue(t, st, extra)

	ctx, cancel := context.WithCancel(context.Background())
	w := delivery.NewWorker(st, c, nil, nil)
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); h.unblock(); <-done }()

	deadline := time.Now().Add(2 * fetch.TotalTimeout)
	for h.served.Load() < healthy {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d healthy hosts served", h.served.Load(), healthy)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := h.ended.Load(); n != 0 {
		t.Fatalf("%d hanging requests ended before the healthy hosts were all served: they waited for a timeout", n)
	}
	// Each hanging host holds its slots: one request each, and PerHost on
	// the one with extra deliveries.
	want := int64(hanging - 1 + delivery.PerHost)
	for deadline := time.Now().Add(5 * time.Second); h.waiting.Load() != want; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("hanging hosts hold %d requests, want %d", h.waiting.Load(), want)
		}
	}
	// The extra deliveries beyond what waits in memory went back
	// unattempted, due after HostBusyDelay.
	later, err := st.ClaimDeliveries(context.Background(), time.Now().Add(delivery.HostBusyDelay+time.Second), 10*extra)
	if err != nil {
		t.Fatal(err)
	}
	if want := extra + 1 - delivery.PerHost - delivery.MaxQueuedPerHost; len(later) != want {
		t.Fatalf("%d deliveries back in the queue, want the %d the busy host could neither take nor queue", len(later), want)
	}
	for _, d := range later {
		if d.Attempts != 1 {
			t.Fatalf("delivery to %s counts %d attempts, want 1 (this claim)", d.Inbox, d.Attempts)
		}
	}
}

// BenchmarkDeliveryWithHangingHosts measures the time until one activity
// has been delivered to 1,000 healthy hosts while 50 others hang (they
// are queued first), and without them, so the two can be compared: the
// hanging hosts should cost the healthy ones little. Each host is its own
// loopback server.
func BenchmarkDeliveryWithHangingHosts(b *testing.B) {
	const healthy = 1000
	for _, hanging := range []int{50, 0} {
		b.Run(fmt.Sprintf("hanging=%d", hanging), func(b *testing.B) {
			h := startHosts(b, healthy, hanging)
			var total time.Duration
			for range b.N {
				b.StopTimer()
				st := openStore(b)
				c, _ := course(b, st, nil)
				h.enqueue(b, st, 0)
				h.served.Store(0)
				ctx, cancel := context.WithCancel(context.Background())
				w := delivery.NewWorker(st, c, nil, nil)
				done := make(chan struct{})
				b.StartTimer()
				start := time.Now()
				go func() { w.Run(ctx); close(done) }()
				for h.served.Load() < healthy {
					time.Sleep(time.Millisecond)
				}
				total += time.Since(start)
				b.StopTimer()
				cancel()
				<-done
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/healthy-hosts")
		})
	}
}

// TestOneHostWithoutSharedInboxGoesBackToBack: a server without a shared
// inbox (GoToSocial) gets one delivery per follower; they go out as the
// host's slots free, not PerHost every HostBusyDelay.
func TestOneHostWithoutSharedInboxGoesBackToBack(t *testing.T) {
	const followers = 40
	st := openStore(t)
	c, _ := course(t, st, nil)
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	for i := range followers {
		if _, err := st.EnqueueDelivery(context.Background(), activitypub.Delivery{ActivityID: "https://course.example.org/a/1",
			Inbox: fmt.Sprintf("%s/users/u%d/inbox", srv.URL, i), Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := delivery.NewWorker(st, c, nil, nil)
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(delivery.HostBusyDelay / 2)
	for got.Load() < followers {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries to one host in %s: the rest waited for HostBusyDelay", got.Load(), followers, delivery.HostBusyDelay/2)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
