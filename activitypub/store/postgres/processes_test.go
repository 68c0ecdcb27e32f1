package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/postgres"
	"github.com/cohort-course/cohort/activitypub/store/postgres/pgtest"
)

// kill ends the server sessions that hold an advisory lock matching cond
// (a condition on pg_locks), as the server does when their process dies:
// the connection drops and its session locks go with it.
func kill(t *testing.T, url, cond string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted AND `+cond, args...).Scan(&n)
	if err != nil || n == 0 {
		t.Fatalf("kill the session holding %s: %d ended, %v", cond, n, err)
	}
}

// TestClaimsOfAKilledProcess: two processes claim deliveries. While both
// run, neither gives back the other's claims; when one process's
// connection drops (it was killed), the other gives its claims back at
// once, long before their lease ends.
func TestClaimsOfAKilledProcess(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	ss := openSharedAt(t, url, 2)
	a, b := ss[0].(*postgres.Store), ss[1].(*postgres.Store)
	defer a.Close()
	defer b.Close()
	base := time.Now().Add(time.Minute) // after the enqueue
	for _, inbox := range []string{"https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox"} {
		if _, err := a.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: "https://course.example/a", Inbox: inbox, Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	mine, err := a.ClaimDeliveries(ctx, base, 2)
	if err != nil || len(mine) != 2 {
		t.Fatalf("a's claim = %v, %v", mine, err)
	}
	theirs, err := b.ClaimDeliveries(ctx, base, 10)
	if err != nil || len(theirs) != 1 {
		t.Fatalf("b's claim = %v, %v", theirs, err)
	}
	for _, s := range []*postgres.Store{a, b} {
		if n, err := s.ReleaseClaims(ctx, base); err != nil || n != 0 {
			t.Fatalf("ReleaseClaims while both run = %d, %v; want 0", n, err)
		}
	}

	// a's process dies: its instance lock goes with its connection.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var owner int64
	if err := conn.QueryRow(ctx, `SELECT claimed_by FROM deliveries WHERE id = $1`, mine[0].ID).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	kill(t, url, `objid::bigint = $1 AND objsubid = 2`, owner)
	// The server ends the session a moment after it was told to.
	var n int
	for deadline := time.Now().Add(10 * time.Second); n == 0 && err == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		n, err = b.ReleaseClaims(ctx, base.Add(time.Second))
	}
	if err != nil || n != 2 {
		t.Fatalf("ReleaseClaims after a died = %d, %v; want a's 2", n, err)
	}
	got, err := b.ClaimDeliveries(ctx, base.Add(time.Second), 10)
	if err != nil || len(got) != 2 || got[0].ID != mine[0].ID || got[1].ID != mine[1].ID || got[0].Attempts != 1 {
		t.Fatalf("b's claim after a died = %+v, %v; want a's two, first attempt", got, err)
	}
}

// TestLeader: one process at a time leads. A second waits until the
// first's connection drops (its process died): then the first learns it
// lost the lock and the second holds it. Released, the lock goes to the
// next who asks.
func TestLeader(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	ss := openSharedAt(t, url, 2)
	a, b := ss[0].(*postgres.Store), ss[1].(*postgres.Store)
	defer a.Close()
	defer b.Close()

	lostA, releaseA, err := a.Leader(ctx, "publish")
	if err != nil {
		t.Fatal(err)
	}
	defer releaseA()
	type lead struct {
		lost    <-chan struct{}
		release func()
		err     error
	}
	bLeads := make(chan lead, 1)
	go func() {
		lost, release, err := b.Leader(ctx, "publish")
		bLeads <- lead{lost, release, err}
	}()
	// Another name is another lock: a leads it too at once.
	_, releaseOther, err := a.Leader(ctx, "crawl")
	if err != nil {
		t.Fatal(err)
	}
	releaseOther()
	select {
	case l := <-bLeads:
		t.Fatalf("b leads while a holds the lock: %v", l.err)
	case <-time.After(300 * time.Millisecond):
	}

	kill(t, url, `objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(current_schema() || ':publish', 0)`)
	var l lead
	select {
	case l = <-bLeads:
	case <-time.After(10 * time.Second):
		t.Fatal("b did not take over when a's connection dropped")
	}
	if l.err != nil {
		t.Fatal(l.err)
	}
	select {
	case <-lostA:
	case <-time.After(10 * time.Second):
		t.Fatal("a was not told it lost the lock")
	}
	select {
	case <-l.lost:
		t.Fatal("b's lock reported lost")
	default:
	}
	l.release()
	_, release, err := a.Leader(ctx, "publish")
	if err != nil {
		t.Fatal(err)
	}
	release()

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := b.Leader(cctx, "publish"); err == nil {
		t.Fatal("Leader with an ended context returned no error")
	}
}

// TestWatch: a process hears the thread changes another commits, with
// their lesson, and "" for a block; a rolled-back change is not heard;
// deliveries another process queues are heard; its own changes are not.
func TestWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := pgtest.URL(t)
	ss := openSharedAt(t, url, 2)
	a, b := ss[0].(*postgres.Store), ss[1].(*postgres.Store)
	defer a.Close()
	defer b.Close()
	heard := make(chan string, 10)
	queued := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() {
		done <- a.Watch(ctx, activitypub.Watcher{Thread: func(l string) { heard <- l }, Queued: func() {
			select {
			case queued <- struct{}{}:
			default:
			}
		}})
	}()
	next := func(what string) string {
		t.Helper()
		select {
		case l := <-heard:
			return l
		case <-time.After(10 * time.Second):
			t.Fatalf("%s not heard", what)
			return ""
		}
	}
	// The listener may not listen yet: save until one is heard.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		r := activitypub.Reply{ID: "https://m.example/s/" + string(rune('a'+i)), LessonID: "intro", InReplyTo: "https://course.example/intro",
			Actor: "https://m.example/u/a", Published: time.Now().UTC(), Content: "<p>x</p>", Visibility: activitypub.Public}
		if err := b.SaveReply(ctx, r); err != nil {
			t.Fatal(err)
		}
		select {
		case l := <-heard:
			if l != "intro" {
				t.Fatalf("heard %q, want intro", l)
			}
		case <-time.After(200 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no change heard")
			}
			continue
		}
		break
	}
	_, err := b.Apply(ctx, "https://m.example/activities/x", func(tx activitypub.Tx) error {
		if err := tx.SaveReply(activitypub.Reply{ID: "https://m.example/s/rolled-back", LessonID: "rolled-back", Actor: "https://m.example/u/a",
			Published: time.Now().UTC(), Visibility: activitypub.Public}); err != nil {
			return err
		}
		return context.Canceled // roll back
	})
	if err == nil {
		t.Fatal("Apply did not fail")
	}
	if err := b.SaveBlock(ctx, activitypub.Block{Target: "https://spam.example/u/x"}, activitypub.AuditEntry{Who: "mod", Action: activitypub.ActionBlock, Target: "https://spam.example/u/x"}); err != nil {
		t.Fatal(err)
	}
	if l := next("the block"); l != "" {
		t.Fatalf("heard %q after a block, want \"\" (the rolled-back reply must not be heard)", l)
	}

	// a's own change is its hooks' to tell: not heard; b's delivery is.
	if err := a.SaveReply(ctx, activitypub.Reply{ID: "https://m.example/s/own", LessonID: "own", InReplyTo: "https://course.example/own",
		Actor: "https://m.example/u/a", Published: time.Now().UTC(), Content: "<p>x</p>", Visibility: activitypub.Public}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: "https://course.example/a", Inbox: "https://x.example/inbox", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-queued:
	case <-time.After(10 * time.Second):
		t.Fatal("b's queued delivery not heard")
	}
	select {
	case l := <-heard: // the delivery was heard after a's reply, so a's reply would be here by now
		t.Fatalf("heard a's own change to %q", l)
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("WatchThreads = %v", err)
	}
}
