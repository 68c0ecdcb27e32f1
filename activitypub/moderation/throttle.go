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
const (
	loginFailures = 5
	loginWindow   = 15 * time.Minute
	// maxThrottled bounds the memory a flood of made-up names can take.
	maxThrottled = 10000
)

// throttle counts recent failed logins by name and by remote address.
type throttle struct {
	mu     sync.Mutex
	counts map[string]*failures
}

type failures struct {
	n     int
	first time.Time
}

func newThrottle() *throttle { return &throttle{counts: map[string]*failures{}} }

func throttleKeys(name, _ string) []string {
	return []string{"name:" + strings.ToLower(name)}
}

// blocked tells whether a login for name from remote must wait, and how long.
func (t *throttle) blocked(name, remote string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, k := range throttleKeys(name, remote) {
		f := t.counts[k]
		if f == nil || now.Sub(f.first) >= loginWindow {
			continue
		}
		if f.n >= loginFailures {
			wait = max(wait, f.first.Add(loginWindow).Sub(now))
		}
	}
	return wait > 0, wait
}

// fail records a wrong password.
func (t *throttle) fail(name, remote string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.counts) >= maxThrottled {
		for k, f := range t.counts {
			if now.Sub(f.first) >= loginWindow {
				delete(t.counts, k)
			}
		}
	}
	for _, k := range throttleKeys(name, remote) {
		f := t.counts[k]
		if f == nil || now.Sub(f.first) >= loginWindow {
			if len(t.counts) >= maxThrottled {
				continue // full of fresh failures for made-up names: bcrypt still slows each guess
			}
			f = &failures{first: now}
			t.counts[k] = f
		}
		f.n++
	}
}

// succeed forgets the name's failures after a good login.
func (t *throttle) succeed(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.counts, "name:"+strings.ToLower(name))
}
