package fetch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub/fetch"
)

// countingServer answers every GET with an empty JSON object and counts
// them.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

// TestGetsToOneHostAreRationed: a peer that makes the companion fetch a
// lot from one server gets only the burst through; the next GET to that
// host fails at once with ErrHostBusy (its turn is an hour away at this
// rate) instead of going out, and a second host is served in full at the
// same moment.
func TestGetsToOneHostAreRationed(t *testing.T) {
	const burst = 3
	busy, busyGets := countingServer(t)
	other, otherGets := countingServer(t)
	c := fetch.New(fetch.Options{Store: openStore(t), AllowInsecure: true, HostRate: 1.0 / 3600, HostBurst: burst})
	ctx := context.Background()
	refused := 0
	for i := range 10 {
		if _, err := c.Get(ctx, busy.URL+"/notes/"+string(rune('a'+i))); errors.Is(err, fetch.ErrHostBusy) {
			refused++
		} else if err != nil {
			t.Fatalf("get %d: %v", i, err)
		}
	}
	if busyGets.Load() != burst || refused != 10-burst {
		t.Fatalf("busy host got %d GETs, %d refused; want %d and %d", busyGets.Load(), refused, burst, 10-burst)
	}
	for i := range burst {
		if _, err := c.Get(ctx, other.URL+"/notes/"+string(rune('a'+i))); err != nil {
			t.Fatalf("other host, get %d: %v", i, err)
		}
	}
	if otherGets.Load() != burst {
		t.Fatalf("other host got %d GETs, want %d", otherGets.Load(), burst)
	}
}

// TestSlowHostHoldsOnlyItsOwnSlots: a host that never answers holds
// HostConcurrency GETs and no more (the peer sees exactly that many at
// once, the rest wait), while another host answers at once.
func TestSlowHostHoldsOnlyItsOwnSlots(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	inFlight, most := 0, 0
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		w.Write([]byte(`{}`))
	}))
	defer hanging.Close()
	other, otherGets := countingServer(t)
	c := fetch.New(fetch.Options{Store: openStore(t), AllowInsecure: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	const callers = 2 * fetch.HostConcurrency
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() { c.Get(ctx, hanging.URL+"/slow") })
	}
	// Wait until the hanging host holds all its slots.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := inFlight
		mu.Unlock()
		if n == fetch.HostConcurrency {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hanging host has %d GETs in flight, want %d", n, fetch.HostConcurrency)
		}
	}
	for i := range 5 {
		if _, err := c.Get(ctx, other.URL+"/fast"); err != nil {
			t.Fatalf("other host, get %d: %v", i, err)
		}
	}
	if otherGets.Load() != 5 {
		t.Fatalf("other host got %d GETs, want 5", otherGets.Load())
	}
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if most != fetch.HostConcurrency {
		t.Fatalf("hanging host saw %d GETs at once, want %d", most, fetch.HostConcurrency)
	}
}
