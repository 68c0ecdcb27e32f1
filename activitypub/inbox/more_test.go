package inbox_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/inbox"
	"github.com/cohort-course/cohort/activitypub/sig"
)

// TestFollowQueuesSignedAccept: a Mastodon Follow makes a follower and
// queues an Accept to the follower's own inbox.
func TestFollowQueuesSignedAccept(t *testing.T) {
	e := newEnv(t)
	if code := e.post("alice", e.fixture("mastodon-follow.json", "alice", "", "", nil)); code != http.StatusAccepted {
		t.Fatalf("status %d", code)
	}
	ctx := context.Background()
	fs, err := e.store.Followers(ctx, "", 10)
	if err != nil || len(fs) != 1 || fs[0].ActorID != e.m.ActorID("alice") || fs[0].Inbox != e.m.Base+"/inbox" {
		t.Fatalf("followers = %+v, %v", fs, err)
	}
	ds, err := e.store.ClaimDeliveries(ctx, e.store.Now(), 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
	if ds[0].Inbox != e.m.ActorID("alice")+"/inbox" || !bytes.Contains(ds[0].Body, []byte(`"type":"Accept"`)) ||
		!bytes.Contains(ds[0].Body, []byte(fs[0].FollowID)) {
		t.Fatalf("delivery = %s to %s", ds[0].Body, ds[0].Inbox)
	}
	// Undo of the follow removes the follower.
	if code := e.post("alice", e.fixture("mastodon-undo-follow.json", "alice", "", "", nil)); code != http.StatusAccepted {
		t.Fatalf("undo status %d", code)
	}
	if n, _ := e.store.FollowerCount(ctx); n != 0 {
		t.Fatalf("followers after undo = %d", n)
	}
}

// TestReplyToUnknownParentFetchesTheChain: bob answers alice's reply, which
// the course never received (it did not mention the course); the inbox
// fetches alice's post from its origin, finds the thread is ours and keeps
// both.
func TestReplyToUnknownParentFetchesTheChain(t *testing.T) {
	e := newEnv(t)
	parent, _ := e.m.Note(t, "alice", "1", e.lesson, "<p>alice's answer</p>", nil)
	code := e.post("bob", e.fixture("mastodon-create-reply.json", "bob", "2", parent, nil))
	if code != http.StatusAccepted {
		t.Fatalf("status %d", code)
	}
	th := e.thread()
	if len(th) != 2 || th[0].ID != parent && th[1].ID != parent {
		t.Fatalf("thread = %+v", th)
	}
}

// TestBehindProxy: the sender signed for the public host; the request
// reaches the companion on its internal address. The signature still
// verifies, because the public host comes from the configuration.
func TestBehindProxy(t *testing.T) {
	e := newEnv(t)
	st := e.store
	public := activitypub.URLs{Base: "https://course.example.org"}
	h := inbox.New(inbox.Options{Store: st, Fetch: fetch.New(fetch.Options{Store: st, AllowInsecure: true}), URLs: public})
	ts := httptest.NewServer(h)
	defer ts.Close()
	body := e.fixture("mastodon-like.json", "alice", "", "", nil)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/inbox", bytes.NewReader(body))
	req.Host = "course.example.org"
	if err := (sig.Signer{}).Sign(req, e.m.KeyID("alice"), e.m.Key.PrivateKey(), body); err != nil {
		t.Fatal(err)
	}
	req.Host = strings.TrimPrefix(ts.URL, "http://") // what the proxy forwards
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if c := e.counts(); c.Likes != 1 {
		t.Fatalf("likes = %d", c.Likes)
	}
}

// BenchmarkInboxReplies measures signed Mastodon replies verified, parsed,
// sanitized and committed to SQLite per second, with the signer's key
// cached (as it is after the first request from an account).
func BenchmarkInboxReplies(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	h := inbox.New(inbox.Options{Store: e.store, Fetch: fetch.New(fetch.Options{Store: e.store, AllowInsecure: true}), URLs: e.urls})
	reqs := make([]*http.Request, b.N)
	bodies := make([][]byte, b.N)
	for i := range reqs {
		body := e.fixture("mastodon-create-reply.json", "alice", fmt.Sprint(1000+i), "", nil)
		req := httptest.NewRequest(http.MethodPost, e.inbox, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		if err := (sig.Signer{}).Sign(req, e.m.KeyID("alice"), e.m.Key.PrivateKey(), body); err != nil {
			b.Fatal(err)
		}
		reqs[i], bodies[i] = req, body
	}
	if _, _, err := fetch.New(fetch.Options{Store: e.store, AllowInsecure: true}).KeyOwner(ctx, e.m.KeyID("alice"), false); err != nil {
		b.Fatal(err)
	}
	var next, failed atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16) // many servers deliver at once
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			w := httptest.NewRecorder()
			h.ServeHTTP(w, reqs[i])
			if w.Code != http.StatusAccepted {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d requests not accepted", failed.Load())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replies/s")
	th, _ := e.store.Thread(ctx, lessonID, "")
	if len(th) != b.N {
		b.Fatalf("thread has %d replies, want %d", len(th), b.N)
	}
}

// TestKeyRefetchRateLimited: a stream of requests forged under a real key
// id makes the inbox refetch that key once, not once per request; after
// KeyRefetchInterval one more refetch is allowed, so a real rotation is
// still picked up.
func TestKeyRefetchRateLimited(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	ts := httptest.NewUnstartedServer(nil)
	urls := activitypub.URLs{Base: "http://" + ts.Listener.Addr().String()}
	ts.Config.Handler = inbox.New(inbox.Options{Store: e.store, Fetch: fetch.New(fetch.Options{Store: e.store, AllowInsecure: true}),
		URLs: urls, Now: now})
	ts.Start()
	defer ts.Close()
	actor := "/users/alice"
	if code := e.post("alice", e.fixture("mastodon-like.json", "alice", "", "", nil)); code != http.StatusAccepted {
		t.Fatalf("like: %d", code) // the key is now stored
	}
	before := e.m.Gets(actor)
	forge := func(i int) int {
		t.Helper()
		code, err := e.m.PostAs(ctx, e.m.KeyID("alice"), forgeryKey(t), ts.URL+"/inbox",
			e.fixture("mastodon-create-reply.json", "alice", fmt.Sprint(100+i), "", nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	for i := range 20 {
		if code := forge(i); code != http.StatusUnauthorized {
			t.Fatalf("forged request %d: status %d", i, code)
		}
	}
	if n := e.m.Gets(actor) - before; n != 1 {
		t.Fatalf("20 forged requests fetched the key %d times, want 1", n)
	}
	offset.Store(int64(inbox.KeyRefetchInterval + time.Second))
	if code := forge(20); code != http.StatusUnauthorized {
		t.Fatalf("forged request after the interval: status %d", code)
	}
	if n := e.m.Gets(actor) - before; n != 2 {
		t.Fatalf("after %s the key was fetched %d times in all, want 2", inbox.KeyRefetchInterval, n)
	}
	if len(e.thread()) != 0 {
		t.Fatal("a forged reply was stored")
	}
}
