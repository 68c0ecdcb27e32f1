package storetest

import (
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// claimTests check that delivery claims can be given back: a dead
// process's, or some when their host is busy.
var claimTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"ReleaseClaims", testReleaseClaims},
	{"PostponeDeliveries", testPostponeDeliveries},
}

// testReleaseClaims: this process claimed two deliveries and is sending
// them; a third waits for its backoff. ReleaseClaims gives back only what
// dead processes claimed, so it leaves all three alone (RunConcurrent's
// ClaimsOfClosedStore gives back a closed Store's).
func testReleaseClaims(t *testing.T, s activitypub.Store) {
	var ids []int64
	for _, inbox := range []string{"https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox"} {
		d, err := s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: lesson + "/a", Inbox: inbox, Body: []byte(`{}`), NextAttempt: base})
		must(t, err)
		ids = append(ids, d.ID)
	}
	got, err := s.ClaimDeliveries(ctx, base, 10)
	must(t, err)
	if len(got) != 3 {
		t.Fatalf("claim = %+v", got)
	}
	backoff := base.Add(5 * time.Minute) // before the others' lease ends
	must(t, s.RetryDelivery(ctx, ids[2], backoff, nil))

	start := base.Add(time.Minute) // well inside the lease
	n, err := s.ReleaseClaims(ctx, start)
	must(t, err)
	if n != 0 {
		t.Fatalf("ReleaseClaims = %d, want 0: the claims are this live Store's own", n)
	}
	got, err = s.ClaimDeliveries(ctx, start, 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("claim after release = %+v; want none: two are claimed, one waits", got)
	}
	got, err = s.ClaimDeliveries(ctx, backoff, 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != ids[2] || got[0].Attempts != 2 {
		t.Fatalf("the retried delivery = %+v; want it due at its backoff, second attempt", got)
	}
}

// testPostponeDeliveries: two claimed deliveries go back to the queue
// unattempted, due later; an id that is not claimed is left alone.
func testPostponeDeliveries(t *testing.T, s activitypub.Store) {
	var ids []int64
	for _, inbox := range []string{"https://a.example/inbox", "https://a.example/users/x/inbox", "https://b.example/inbox"} {
		d, err := s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: lesson + "/a", Inbox: inbox, Body: []byte(`{}`), NextAttempt: base})
		must(t, err)
		ids = append(ids, d.ID)
	}
	got, err := s.ClaimDeliveries(ctx, base, 2)
	must(t, err)
	if len(got) != 2 {
		t.Fatalf("claim = %+v", got)
	}
	later := base.Add(10 * time.Second)
	must(t, s.PostponeDeliveries(ctx, ids, later)) // ids[2] was never claimed
	must(t, s.PostponeDeliveries(ctx, nil, later))
	got, err = s.ClaimDeliveries(ctx, base, 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != ids[2] {
		t.Fatalf("claim before the postponed ones are due = %+v; want only the unclaimed one", got)
	}
	got, err = s.ClaimDeliveries(ctx, later, 10)
	must(t, err)
	if len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[1] || got[0].Attempts != 1 {
		t.Fatalf("claim of the postponed ones = %+v; want both, first attempt", got)
	}
}

// testClaimsOfClosedStore: one process claimed two deliveries and stopped
// (its Store closed) before sending them; another process gives them back
// and sends them at once, first attempt, with its own claims left alone.
func testClaimsOfClosedStore(t *testing.T, ss []activitypub.Store) {
	gone, live := ss[0], ss[1]
	for _, inbox := range []string{"https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox"} {
		_, err := gone.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: lesson + "/a", Inbox: inbox, Body: []byte(`{}`), NextAttempt: base})
		must(t, err)
	}
	dead, err := gone.ClaimDeliveries(ctx, base, 2)
	must(t, err)
	own, err := live.ClaimDeliveries(ctx, base, 10)
	must(t, err)
	if len(dead) != 2 || len(own) != 1 {
		t.Fatalf("claims = %+v and %+v; want 2 and 1", dead, own)
	}
	must(t, gone.Close())

	start := base.Add(time.Minute) // well inside the lease
	n, err := live.ReleaseClaims(ctx, start)
	must(t, err)
	if n != 2 {
		t.Fatalf("ReleaseClaims = %d, want the closed Store's 2", n)
	}
	got, err := live.ClaimDeliveries(ctx, start, 10)
	must(t, err)
	if len(got) != 2 || got[0].ID != dead[0].ID || got[1].ID != dead[1].ID || got[0].Attempts != 1 || got[1].Attempts != 1 {
		t.Fatalf("claim after release = %+v; want the closed Store's two, first attempt", got)
	}
	if n, err := live.ReleaseClaims(ctx, start); err != nil || n != 0 {
		t.Fatalf("second ReleaseClaims = %d, %v; want 0, all claims are live", n, err)
	}
}
