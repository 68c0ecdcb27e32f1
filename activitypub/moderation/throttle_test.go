package moderation

import (
	"fmt"
	"testing"
	"time"
)

// TestThrottleFullStillCounts: when the throttle is full of made-up names, a
// new name's wrong passwords are still counted and it is refused after
// loginFailures of them (before, a full throttle ignored new names).
func TestThrottleFullStillCounts(t *testing.T) {
	th := newThrottle()
	th.capacity, th.global = 50, 1000 // small, and no global limit in the way
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	for i := range th.capacity {
		th.fail(fmt.Sprintf("made-up-%d", i), "", now)
	}
	for i := range loginFailures {
		if wait, _ := th.blocked("mia", "", now); wait {
			t.Fatalf("guess %d refused before %d wrong passwords", i, loginFailures)
		}
		th.fail("mia", "", now)
	}
	if wait, d := th.blocked("mia", "", now); !wait || d != loginWindow {
		t.Fatalf("after %d wrong passwords on a full throttle: blocked %v for %s, want %s", loginFailures, wait, d, loginWindow)
	}
	if len(th.counts) > th.capacity {
		t.Fatalf("throttle holds %d names, capacity %d", len(th.counts), th.capacity)
	}
}

// TestThrottleGlobalLimit: globalFailures wrong passwords within a minute,
// each for another name, make every login wait, a name never tried too, until
// the first of them is a minute old.
func TestThrottleGlobalLimit(t *testing.T) {
	th := newThrottle()
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	for i := range globalFailures {
		if wait, _ := th.blocked(fmt.Sprint("name-", i), "", now); wait {
			t.Fatalf("login %d refused before the global limit", i)
		}
		th.fail(fmt.Sprint("name-", i), "", now.Add(time.Duration(i)*100*time.Millisecond))
	}
	now = now.Add(time.Duration(globalFailures) * 100 * time.Millisecond)
	wait, d := th.blocked("never-tried", "", now)
	if !wait || d <= 0 || d > globalWindow {
		t.Fatalf("after %d wrong passwords in a minute: blocked %v for %s, want up to %s", globalFailures, wait, d, globalWindow)
	}
	if wait, _ := th.blocked("never-tried", "", now.Add(d)); wait {
		t.Fatalf("still blocked after the wait it announced (%s)", d)
	}
}

// TestThrottleSpreadAttack plays a guesser against the real limits for eight
// hours: it guesses mia's password whenever mia is not refused, makes up a new
// name to push mia's count out otherwise, and waits whenever every login
// waits. mia gets no more than loginFailures guesses per loginWindow.
func TestThrottleSpreadAttack(t *testing.T) {
	th := newThrottle()
	start := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	now, end := start, start.Add(8*time.Hour)
	guesses, madeUp := 0, 0
	for now.Before(end) {
		if wait, _ := th.blocked("mia", "", now); !wait {
			th.fail("mia", "", now)
			guesses++
		} else if wait, d := th.blocked(fmt.Sprint("x", madeUp), "", now); wait {
			now = now.Add(d) // every name waits: the global limit
			continue
		} else {
			th.fail(fmt.Sprint("x", madeUp), "", now)
			madeUp++
		}
		now = now.Add(10 * time.Millisecond) // a fast guesser
	}
	windows := int(end.Sub(start)/loginWindow) + 1
	if limit := loginFailures * windows; guesses > limit {
		t.Fatalf("mia got %d guesses in %s (with %d made-up names), want at most %d", guesses, end.Sub(start), madeUp, limit)
	}
	if madeUp == 0 {
		t.Fatal("the guesser never made up a name: the test proves nothing")
	}
	t.Logf("mia: %d guesses, %d made-up names in %s", guesses, madeUp, end.Sub(start))
}
