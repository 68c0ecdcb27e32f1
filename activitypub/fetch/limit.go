package fetch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits of the GETs to one host (host and port, as in the URL). Whatever
// a peer sends (thousands of replies, keys to look up, threads to crawl),
// the companion's GETs to any one server stay few and spread, so no peer
// can turn it against a server, its own or another one.
const (
	// HostBurst is how many GETs may go to a host at once after a quiet
	// spell: the keys of a crowd answering a new lesson, or a new reply's
	// author, ancestors and replies collection many times over.
	HostBurst = 60
	// HostRate is the sustained rate of GETs to one host, per second,
	// chosen so that a full burst and then the steady rate stay within
	// 300 requests in any 5 minutes: GoToSocial's default limit per
	// address on its ActivityPub endpoints, past which it answers 429
	// (superseriousbusiness/gotosocial docs/api/ratelimiting.md), the
	// strictest common one. That is 0.8 a second.
	HostRate      = float64(hostWindowMax-HostBurst) / float64(hostWindow/time.Second)
	hostWindow    = 5 * time.Minute
	hostWindowMax = 300
	// HostConcurrency is how many GETs to one host may be in flight at
	// once, so a slow host holds few of our connections and workers.
	HostConcurrency = 4
	// MaxHostWait is the longest a GET waits for its host's turn; past it,
	// it fails at once with ErrHostBusy instead of holding its caller (an
	// inbox request, a crawl) for minutes.
	MaxHostWait = 10 * time.Second
	// maxTrackedHosts bounds the limiters kept in memory: past it, those
	// of idle hosts with a full bucket (which lose nothing by being
	// forgotten) are dropped.
	maxTrackedHosts = 4096
)

// ErrHostBusy is returned by Get when the host has had its share of GETs
// for now: it would wait longer than MaxHostWait (or past the caller's
// deadline) for its turn.
var ErrHostBusy = errors.New("too many requests to that host just now")

// hostLimits holds a token bucket and a concurrency limit per host.
type hostLimits struct {
	rate  rate.Limit
	burst int

	mu    sync.Mutex
	hosts map[string]*hostLimit
}

type hostLimit struct {
	tokens *rate.Limiter
	slots  chan struct{}
	users  int // GETs waiting or in flight; guarded by hostLimits.mu
}

func newHostLimits(perSecond float64, burst int) *hostLimits {
	if perSecond <= 0 {
		perSecond = HostRate
	}
	if burst <= 0 {
		burst = HostBurst
	}
	return &hostLimits{rate: rate.Limit(perSecond), burst: burst, hosts: map[string]*hostLimit{}}
}

// take returns host's limiter, counting one more user.
func (l *hostLimits) take(host string) *hostLimit {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.hosts[host]
	if !ok {
		if len(l.hosts) >= maxTrackedHosts {
			l.forgetIdle()
		}
		h = &hostLimit{tokens: rate.NewLimiter(l.rate, l.burst), slots: make(chan struct{}, HostConcurrency)}
		l.hosts[host] = h
	}
	h.users++
	return h
}

func (l *hostLimits) put(h *hostLimit) {
	l.mu.Lock()
	h.users--
	l.mu.Unlock()
}

// forgetIdle drops the limiters nobody uses whose bucket is full again.
func (l *hostLimits) forgetIdle() {
	for host, h := range l.hosts {
		if h.users == 0 && h.tokens.Tokens() >= float64(l.burst) {
			delete(l.hosts, host)
		}
	}
}

// wait waits for host's turn: a token from its bucket, then one of its
// slots. The returned release gives the slot back; call it once the
// response has been read.
func (l *hostLimits) wait(ctx context.Context, host string) (release func(), err error) {
	h := l.take(host)
	defer func() {
		if err != nil {
			l.put(h)
		}
	}()
	limit := MaxHostWait
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, time.Until(dl))
	}
	r := h.tokens.Reserve()
	if d := r.Delay(); d > limit {
		r.Cancel()
		return nil, fmt.Errorf("%s: next turn in %s: %w", host, d.Round(time.Second), ErrHostBusy)
	} else if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			r.Cancel()
			return nil, ctx.Err()
		}
		limit -= d
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
	case <-t.C:
		return nil, fmt.Errorf("%s: %d requests still running: %w", host, HostConcurrency, ErrHostBusy)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return func() {
		<-h.slots
		l.put(h)
	}, nil
}
