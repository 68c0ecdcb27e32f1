package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/delivery"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

// course serves a course actor on loopback so that receivers can verify
// its signatures, and returns a client that signs as it.
func course(t testing.TB, st activitypub.Store, now func() time.Time) (*fetch.Client, activitypub.URLs) {
	t.Helper()
	key := mastotest.Key(t)
	ts := httptest.NewUnstartedServer(nil)
	urls := activitypub.URLs{Base: "http://" + ts.Listener.Addr().String()}
	doc, err := as.Actor(as.CourseActor{ID: urls.Actor(), PreferredUsername: "course", Inbox: urls.Inbox(), KeyID: urls.KeyID(), PublicKeyPEM: key.PublicKeyPEM()})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(doc)
	})
	ts.Start()
	t.Cleanup(ts.Close)
	return fetch.New(fetch.Options{Store: st, KeyID: urls.KeyID(), Key: key, AllowInsecure: true, Now: now}), urls
}

func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestDeliversSignedOncePerInbox: three followers behind one shared inbox
// get one signed POST, which the Mastodon-like receiver verifies against
// the course actor's published key.
func TestDeliversSignedOncePerInbox(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c, urls := course(t, st, nil)
	m := mastotest.New(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		if err := st.SaveFollower(ctx, activitypub.Follower{ActorID: m.ActorID(u), Inbox: m.Base + "/inbox"}); err != nil {
			t.Fatal(err)
		}
	}
	inboxes, _ := st.FollowerInboxes(ctx)
	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + urls.Activity("create", "1") + `","type":"Create"}`)
	if n, err := delivery.Enqueue(ctx, st, urls.Activity("create", "1"), body, append(inboxes, inboxes...)); err != nil || n != 1 {
		t.Fatalf("Enqueue = %d, %v", n, err)
	}
	w := delivery.NewWorker(st, c, nil, nil)
	if err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	got := m.Received()
	if len(got) != 1 || got[0].KeyID != urls.KeyID() || got[0].Path != "/inbox" {
		t.Fatalf("received = %+v", got)
	}
	if left, _ := st.ClaimDeliveries(ctx, time.Now().Add(time.Hour), 10); len(left) != 0 {
		t.Fatalf("queue not empty: %+v", left)
	}
}

// TestRetriesWithBackoffThenGivesUp: a failing server is retried later and
// later; a Gone answer ends it.
func TestRetriesWithBackoffThenGivesUp(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Now()
	clock := func() time.Time { return now }
	st.Now = clock
	c, _ := course(t, st, clock)
	m := mastotest.New(t)
	m.SetInboxStatus(http.StatusServiceUnavailable)
	if _, err := delivery.Enqueue(ctx, st, "x", []byte(`{}`), []string{m.Base + "/inbox"}); err != nil {
		t.Fatal(err)
	}
	w := delivery.NewWorker(st, c, nil, clock)
	if err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	due, _ := st.ClaimDeliveries(ctx, now.Add(delivery.FirstRetry-time.Second), 10)
	if len(due) != 0 {
		t.Fatal("retried before the first backoff")
	}
	now = now.Add(delivery.FirstRetry)
	m.SetInboxStatus(http.StatusGone)
	if err := w.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if left, _ := st.ClaimDeliveries(ctx, now.Add(100*time.Hour), 10); len(left) != 0 {
		t.Fatalf("a Gone inbox is still queued: %+v", left)
	}
}

// TestBackoffSchedule: one row per rule of Next.
func TestBackoffSchedule(t *testing.T) {
	created := time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)
	temp := errors.New("connection refused")
	tests := []struct {
		name     string
		attempts int
		now      time.Time
		cause    error
		wait     time.Duration
		retry    bool
	}{
		{"first failure waits a minute", 1, created, temp, time.Minute, true},
		{"each failure doubles the wait", 4, created, temp, 8 * time.Minute, true},
		{"the wait stops growing at MaxRetry", 30, created.Add(time.Hour), temp, delivery.MaxRetry, true},
		{"a retry past two days is not made", 12, created.Add(40 * time.Hour), temp, 0, false},
		{"410 Gone is final", 1, created, fmt.Errorf("post: %w", &fetch.StatusError{Code: 410}), 0, false},
		{"429 is retried", 1, created, fmt.Errorf("post: %w", &fetch.StatusError{Code: 429}), time.Minute, true},
		{"500 is retried", 2, created, fmt.Errorf("post: %w", &fetch.StatusError{Code: 500}), 2 * time.Minute, true},
		{"a forbidden address is final", 1, created, fetch.ErrForbiddenAddress, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next, retry := delivery.Next(activitypub.Delivery{Attempts: tc.attempts, Created: created}, tc.now, tc.cause)
			if retry != tc.retry || (retry && next.Sub(tc.now) != tc.wait) {
				t.Fatalf("Next = %v after %s, %v; want %s, %v", next, next.Sub(tc.now), retry, tc.wait, tc.retry)
			}
		})
	}
}

// BenchmarkFanOut measures the time to deliver one lesson to 10,000
// followers on 1,000 servers (each a loopback server with a shared inbox):
// queueing one delivery per server, signing and POSTing them all.
func BenchmarkFanOut(b *testing.B) {
	const servers, perServer = 1000, 10
	ctx := context.Background()
	var hits atomic.Int64
	inboxes := make([]string, 0, servers)
	for range servers {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.WriteHeader(http.StatusAccepted)
		}))
		b.Cleanup(ts.Close)
		inboxes = append(inboxes, ts.URL+"/inbox")
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := openStore(b)
		c, urls := course(b, st, nil)
		for s, in := range inboxes {
			for f := range perServer {
				if err := st.SaveFollower(ctx, activitypub.Follower{ActorID: fmt.Sprintf("%s/users/u%d-%d", in, s, f), Inbox: in}); err != nil {
					b.Fatal(err)
				}
			}
		}
		hits.Store(0)
		body := make([]byte, 2048)
		b.StartTimer()
		start := time.Now()
		deduped, err := st.FollowerInboxes(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := delivery.Enqueue(ctx, st, urls.Activity("create", "lesson"), body, deduped); err != nil {
			b.Fatal(err)
		}
		if err := delivery.NewWorker(st, c, nil, nil).Drain(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/lesson")
		if hits.Load() != servers {
			b.Fatalf("%d POSTs, want %d", hits.Load(), servers)
		}
	}
	b.ReportMetric(servers*perServer, "followers")
}
