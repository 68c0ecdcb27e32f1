package moderation

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

// throttleOn returns a throttle on a new SQLite store in dir (or a new
// folder), as a process of the companion has one.
func throttleOn(t *testing.T, dir string) *throttle {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newThrottle(st)
}

func blockedNow(t *testing.T, th *throttle, name string, now time.Time) (bool, time.Duration) {
	t.Helper()
	wait, d, err := th.blocked(context.Background(), name, "", now)
	if err != nil {
		t.Fatal(err)
	}
	return wait, d
}

func failNow(t *testing.T, th *throttle, name string, now time.Time) {
	t.Helper()
	if err := th.fail(context.Background(), name, "", now); err != nil {
		t.Fatal(err)
	}
}

// TestThrottleSharedByProcesses: two processes on one store, behind a load
// balancer, count a guesser's wrong passwords together: after loginFailures
// of them, spread over both, both refuse the name; the other names are not
// refused.
func TestThrottleSharedByProcesses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".cohort")
	a, b := throttleOn(t, dir), throttleOn(t, dir)
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	for i := range loginFailures {
		th := []*throttle{a, b}[i%2]
		if wait, _ := blockedNow(t, th, "mia", now); wait {
			t.Fatalf("guess %d refused before %d wrong passwords", i, loginFailures)
		}
		failNow(t, th, "Mia", now)
	}
	for _, th := range []*throttle{a, b} {
		if wait, d := blockedNow(t, th, "mia", now); !wait || d != loginWindow {
			t.Fatalf("after %d wrong passwords on two processes: blocked %v for %s, want %s", loginFailures, wait, d, loginWindow)
		}
		if wait, _ := blockedNow(t, th, "ben", now); wait {
			t.Fatal("another name refused")
		}
	}
	if wait, _ := blockedNow(t, b, "mia", now.Add(loginWindow)); wait {
		t.Fatal("still refused once the window passed")
	}
	if err := a.succeed(context.Background(), "mia"); err != nil {
		t.Fatal(err)
	}
	if wait, _ := blockedNow(t, b, "mia", now); wait {
		t.Fatal("refused after a good login on the other process")
	}
}

// TestThrottleGlobalLimit: globalFailures wrong passwords within a minute,
// each for another name, make every login wait, a name never tried too, until
// the first of them is a minute old.
func TestThrottleGlobalLimit(t *testing.T) {
	th := throttleOn(t, "")
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	for i := range globalFailures {
		if wait, _ := blockedNow(t, th, fmt.Sprint("name-", i), now); wait {
			t.Fatalf("login %d refused before the global limit", i)
		}
		failNow(t, th, fmt.Sprint("name-", i), now.Add(time.Duration(i)*100*time.Millisecond))
	}
	now = now.Add(time.Duration(globalFailures) * 100 * time.Millisecond)
	wait, d := blockedNow(t, th, "never-tried", now)
	if !wait || d <= 0 || d > globalWindow {
		t.Fatalf("after %d wrong passwords in a minute: blocked %v for %s, want up to %s", globalFailures, wait, d, globalWindow)
	}
	if wait, _ := blockedNow(t, th, "never-tried", now.Add(d)); wait {
		t.Fatalf("still blocked after the wait it announced (%s)", d)
	}
}

// TestThrottleSpreadAttack plays a guesser against the real limits for just
// over two windows (each of its wrong passwords is a store write): it guesses mia's password whenever mia is not refused, tries a
// made-up name otherwise, and waits whenever every login waits. mia gets no
// more than loginFailures guesses per loginWindow.
func TestThrottleSpreadAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of store writes; skipped with -short")
	}
	th := throttleOn(t, "")
	start := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	now, end := start, start.Add(2*loginWindow+time.Minute)
	guesses, madeUp := 0, 0
	for now.Before(end) {
		if wait, _ := blockedNow(t, th, "mia", now); !wait {
			failNow(t, th, "mia", now)
			guesses++
		} else if wait, d := blockedNow(t, th, fmt.Sprint("x", madeUp), now); wait {
			now = now.Add(d) // every name waits: the global limit
			continue
		} else {
			failNow(t, th, fmt.Sprint("x", madeUp), now)
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
