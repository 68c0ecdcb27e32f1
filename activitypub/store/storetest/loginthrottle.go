package storetest

import (
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// loginThrottleTests check the wrong passwords the moderation login
// counts (issue 11).
var loginThrottleTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"LoginFailures", testLoginFailures},
}

// testLoginFailures: wrong passwords count by name, case-insensitively,
// and all together; the nth newest says when the count drops below n; a
// good login clears the name's; old ones are forgotten.
func testLoginFailures(t *testing.T, s activitypub.Store) {
	for i, name := range []string{"Mia", "mia", "MIA", "ben"} {
		must(t, s.AddLoginFailure(ctx, name, base.Add(time.Duration(i)*time.Minute)))
	}
	check := func(name string, since time.Time, n, wantCount int, wantNth time.Time) {
		t.Helper()
		count, nth, err := s.LoginFailures(ctx, name, since, n)
		must(t, err)
		if count != wantCount || !nth.Equal(wantNth) {
			t.Fatalf("LoginFailures(%q, %s, %d) = %d, %s; want %d, %s", name, since.Format(time.TimeOnly), n, count, nth, wantCount, wantNth)
		}
	}
	check("mia", base, 3, 3, base)                                     // the third newest is the first
	check("Mia", base, 2, 3, base.Add(time.Minute))                    // the second newest
	check("mia", base.Add(time.Minute), 3, 2, time.Time{})             // fewer than 3 since
	check("", base, 4, 4, base)                                        // every name
	check("ben", base, 1, 1, base.Add(3*time.Minute))                  // another name
	check("nobody", base, 1, 0, time.Time{})                           // none
	must(t, s.ClearLoginFailures(ctx, "MIA"))                          // a good login
	check("mia", base, 1, 0, time.Time{})                              // cleared
	check("", base, 1, 1, base.Add(3*time.Minute))                     // ben's stays
	must(t, s.ClearLoginFailures(ctx, "nobody"))                       // none to clear is fine
	must(t, s.ForgetLoginFailuresBefore(ctx, base.Add(4*time.Minute))) // old ones go
	check("", time.Time{}, 1, 0, time.Time{})                          // nothing left
}
