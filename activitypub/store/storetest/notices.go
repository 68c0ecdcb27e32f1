package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// noticeTests check what the moderators were told (issue 14, the weekly
// weave): each item once, at most one message per gap, one winner of two
// concurrent claims.
var noticeTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"ClaimNotice", testClaimNotice},
	{"ClaimNoticeConcurrent", testClaimNoticeConcurrent},
}

// testClaimNotice: the first claim gets every item; within the gap nothing;
// after it only what is new; another moderator is told apart; forgotten
// items are told again.
func testClaimNotice(t *testing.T, s activitypub.Store) {
	const mia, ben = "https://m.example/users/mia", "https://m.example/users/ben"
	claim := func(who string, at time.Time, want []string, items ...string) {
		t.Helper()
		got, err := s.ClaimNotice(ctx, who, items, at, time.Hour)
		must(t, err)
		if !slices.Equal(got, want) {
			t.Fatalf("ClaimNotice(%s, %v) at %s = %v, want %v", who, items, at.Format(time.TimeOnly), got, want)
		}
	}
	claim(mia, base, []string{"held:1", "flag:1"}, "held:1", "flag:1")
	claim(mia, base.Add(59*time.Minute), nil, "held:1", "flag:1", "held:2") // within the hour
	claim(ben, base.Add(time.Minute), []string{"held:1", "held:2"}, "held:1", "held:2")
	claim(mia, base.Add(time.Hour), []string{"held:2"}, "held:1", "flag:1", "held:2")
	claim(mia, base.Add(3*time.Hour), nil, "held:1", "held:2")                          // nothing new: no message,
	claim(mia, base.Add(3*time.Hour+time.Minute), []string{"question:3"}, "question:3") // so the gap did not restart
	must(t, s.ForgetNoticesBefore(ctx, base.Add(2*time.Hour)))
	claim(mia, base.Add(5*time.Hour), []string{"held:1"}, "held:1", "question:3")
}

// testClaimNoticeConcurrent: of many claims at once for one moderator,
// one gets the items and the others nothing.
func testClaimNoticeConcurrent(t *testing.T, s activitypub.Store) {
	const mia = "https://m.example/users/mia"
	var wg sync.WaitGroup
	got := make([][]string, 8)
	errs := make([]error, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = s.ClaimNotice(ctx, mia, []string{"held:1", "held:" + string(rune('a'+i))}, base, time.Hour)
		}()
	}
	wg.Wait()
	winners := 0
	for i := range got {
		must(t, errs[i])
		if len(got[i]) > 0 {
			winners++
		}
	}
	if winners != 1 {
		t.Fatalf("%d claims at once got items, want 1: %v", winners, got)
	}
}
