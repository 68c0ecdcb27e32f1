package moderation

import (
	"context"
	"fmt"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// Login throttling. bcrypt makes each guess slow, but not slow enough against
// a patient guesser; after loginFailures wrong passwords for one name within
// loginWindow, further attempts for it are refused until fewer than
// loginFailures of them are within the window. A moderator who mistypes a
// few times is not locked out. It counts by name, not by address: behind a
// TLS proxy every request comes from the proxy, and counting by address
// would let anyone lock every moderator out.
//
// A guesser who spreads guesses over many names meets the global limit:
// after globalFailures wrong passwords within globalWindow, across all
// names, every login waits until fewer are.
//
// The wrong passwords are kept in the store (issue 11), so processes that
// share it behind a load balancer count them together: a guesser gets no
// more guesses from two processes than from one. The store holds them
// until loginWindow has passed (the server's pruning forgets older ones);
// the global limit bounds how fast they are added.
const (
	loginFailures = 5
	loginWindow   = 15 * time.Minute
	// globalFailures per globalWindow: a course has a handful of moderators,
	// and a hundred wrong passwords a minute among them is an attack.
	globalFailures = 100
	globalWindow   = time.Minute
)

// LoginRetention is how long wrong passwords are kept: the longest window
// that counts them.
const LoginRetention = loginWindow

// loginStore is what the throttle keeps its counts in.
type loginStore interface {
	AddLoginFailure(ctx context.Context, name string, at time.Time) error
	LoginFailures(ctx context.Context, name string, since time.Time, n int) (int, time.Time, error)
	ClearLoginFailures(ctx context.Context, name string) error
}

var _ loginStore = activitypub.Store(nil)

// throttle counts recent failed logins by name, and all of them together,
// in the store.
type throttle struct {
	store loginStore

	// The limits, the constants above; tests make them small.
	perName  int
	window   time.Duration
	global   int
	globalIn time.Duration
}

func newThrottle(st loginStore) *throttle {
	return &throttle{store: st, perName: loginFailures, window: loginWindow, global: globalFailures, globalIn: globalWindow}
}

// blocked tells whether a login for name must wait, and how long: because the
// name had too many wrong passwords, or because everyone together had. The
// remote address is not counted (see above).
func (t *throttle) blocked(ctx context.Context, name, _ string, now time.Time) (bool, time.Duration, error) {
	var wait time.Duration
	n, nth, err := t.store.LoginFailures(ctx, name, now.Add(-t.window), t.perName)
	if err != nil {
		return false, 0, fmt.Errorf("login throttle: %w", err)
	}
	if n >= t.perName && !nth.IsZero() {
		wait = nth.Add(t.window).Sub(now)
	}
	n, nth, err = t.store.LoginFailures(ctx, "", now.Add(-t.globalIn), t.global)
	if err != nil {
		return false, 0, fmt.Errorf("login throttle: %w", err)
	}
	if n >= t.global && !nth.IsZero() {
		wait = max(wait, nth.Add(t.globalIn).Sub(now))
	}
	return wait > 0, wait, nil
}

// fail records a wrong password for name.
func (t *throttle) fail(ctx context.Context, name, _ string, now time.Time) error {
	if err := t.store.AddLoginFailure(ctx, name, now); err != nil {
		return fmt.Errorf("login throttle: %w", err)
	}
	return nil
}

// succeed forgets the name's failures after a good login.
func (t *throttle) succeed(ctx context.Context, name string) error {
	if err := t.store.ClearLoginFailures(ctx, name); err != nil {
		return fmt.Errorf("login throttle: %w", err)
	}
	return nil
}
