package moderation

import (
	"strings"
	"sync"
	"time"
)

// Login throttling. bcrypt makes each guess slow, but not slow enough against
// a patient guesser; after loginFailures wrong passwords for one name within
// loginWindow, further attempts for it are refused until the window has
// passed. A moderator who mistypes a few times is not locked out. It counts by
// name, not by address: behind a TLS proxy every request comes from the proxy,
// and counting by address would let anyone lock every moderator out.
//
// A guesser who spreads guesses over many names, or who makes up names to
// push a real one's count out of memory, meets the global limit: after
// globalFailures wrong passwords within globalWindow, across all names,
// every login waits until the oldest of them is a window old.
const (
	loginFailures = 5
	loginWindow   = 15 * time.Minute
	// maxThrottled bounds the memory a flood of made-up names can take. When
	// it is full, the entry whose first failure is oldest makes room.
	maxThrottled = 10000
	// globalFailures per globalWindow: a course has a handful of moderators,
	// and a hundred wrong passwords a minute among them is an attack. It also
	// keeps eviction harmless: within one loginWindow at most
	// globalFailures*15 = 1,500 names can fail, fewer than maxThrottled, so a
	// name still in its window is never pushed out by made-up ones.
	globalFailures = 100
	globalWindow   = time.Minute
)

// throttle counts recent failed logins by name, and all of them together.
type throttle struct {
	mu     sync.Mutex
	counts map[string]*failures
	// recent holds the times of the latest wrong passwords, oldest first, at
	// most global of them.
	recent []time.Time

	// The limits, the constants above; tests make them small.
	perName  int
	window   time.Duration
	capacity int
	global   int
	globalIn time.Duration
}

type failures struct {
	n     int
	first time.Time
}

func newThrottle() *throttle {
	return &throttle{counts: map[string]*failures{}, perName: loginFailures, window: loginWindow,
		capacity: maxThrottled, global: globalFailures, globalIn: globalWindow}
}

func throttleKey(name string) string { return "name:" + strings.ToLower(name) }

// blocked tells whether a login for name must wait, and how long: because the
// name had too many wrong passwords, or because everyone together had. The
// remote address is not counted (see above).
func (t *throttle) blocked(name, _ string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	if f := t.counts[throttleKey(name)]; f != nil && now.Sub(f.first) < t.window && f.n >= t.perName {
		wait = f.first.Add(t.window).Sub(now)
	}
	t.forgetOld(now)
	if len(t.recent) >= t.global {
		wait = max(wait, t.recent[0].Add(t.globalIn).Sub(now))
	}
	return wait > 0, wait
}

// forgetOld drops the global failures older than the global window.
func (t *throttle) forgetOld(now time.Time) {
	i := 0
	for i < len(t.recent) && now.Sub(t.recent[i]) >= t.globalIn {
		i++
	}
	t.recent = t.recent[i:]
}

// fail records a wrong password for name.
func (t *throttle) fail(name, _ string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forgetOld(now)
	t.recent = append(t.recent, now)
	if len(t.recent) > t.global {
		t.recent = t.recent[len(t.recent)-t.global:]
	}
	k := throttleKey(name)
	f := t.counts[k]
	if f == nil || now.Sub(f.first) >= t.window {
		if f == nil && len(t.counts) >= t.capacity {
			t.evict(now)
		}
		f = &failures{first: now}
		t.counts[k] = f
	}
	f.n++
}

// evict makes room for one more name: it drops every entry whose window has
// passed, or, when none has, the one whose first failure is oldest.
func (t *throttle) evict(now time.Time) {
	var oldest string
	for k, f := range t.counts {
		if now.Sub(f.first) >= t.window {
			delete(t.counts, k)
			continue
		}
		if oldest == "" || f.first.Before(t.counts[oldest].first) {
			oldest = k
		}
	}
	if len(t.counts) >= t.capacity {
		delete(t.counts, oldest)
	}
}

// succeed forgets the name's failures after a good login.
func (t *throttle) succeed(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.counts, throttleKey(name))
}
