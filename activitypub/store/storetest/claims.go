package storetest

import (
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// claimTests check that delivery claims can be given back: all of them
// when the companion starts, or some when their host is busy.
var claimTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"ReleaseClaims", testReleaseClaims},
	{"PostponeDeliveries", testPostponeDeliveries},
}

// testReleaseClaims: a process claimed two deliveries and stopped; one
// other delivery waits for its backoff. Releasing the claims makes the two
// due at once, uncounting their attempt, and leaves the backoff alone.
func testReleaseClaims(t *testing.T, s activitypub.Store) {
	a, err := s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: lesson + "/a", Inbox: "https://a.example/inbox", Body: []byte(`{}`), NextAttempt: base})
	must(t, err)
	b, err := s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: lesson + "/a", Inbox: "https://b.example/inbox", Body: []byte(`{}`), NextAttempt: base})
	must(t, err)
	c, err := s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: lesson + "/a", Inbox: "https://c.example/inbox", Body: []byte(`{}`), NextAttempt: base})
	must(t, err)
	got, err := s.ClaimDeliveries(ctx, base, 10)
	must(t, err)
	if len(got) != 3 {
		t.Fatalf("claim = %+v", got)
	}
	backoff := base.Add(time.Hour)
	must(t, s.RetryDelivery(ctx, c.ID, backoff, nil))

	start := base.Add(time.Minute) // well inside the lease
	n, err := s.ReleaseClaims(ctx, start)
	must(t, err)
	if n != 2 {
		t.Fatalf("ReleaseClaims = %d, want the 2 claimed deliveries", n)
	}
	got, err = s.ClaimDeliveries(ctx, start, 10)
	must(t, err)
	if len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID || got[0].Attempts != 1 || got[1].Attempts != 1 {
		t.Fatalf("claim after release = %+v; want a and b, first attempt", got)
	}
	if n, err := s.ReleaseClaims(ctx, start); err != nil || n != 2 {
		t.Fatalf("second ReleaseClaims = %d, %v; want the 2 claimed again", n, err)
	}
	must(t, s.CompleteDelivery(ctx, a.ID))
	must(t, s.CompleteDelivery(ctx, b.ID))
	if n, err := s.ReleaseClaims(ctx, start); err != nil || n != 0 {
		t.Fatalf("ReleaseClaims with nothing claimed = %d, %v", n, err)
	}
	got, err = s.ClaimDeliveries(ctx, backoff, 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != c.ID || got[0].Attempts != 2 {
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
