package main

import (
	"strings"
	"testing"
	"time"
)

// TestProgressLine: nothing is drawn in a build's first two seconds; after that the
// line shows pages done of total, redrawn in place and at most every 100 ms, and it
// is cleared when the last page is done.
func TestProgressLine(t *testing.T) {
	var out strings.Builder
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := &progressLine{w: &out, now: func() time.Time { return clock }}
	p.begin()
	p.update(0, 1000)
	clock = clock.Add(time.Second)
	p.update(10, 1000)
	if out.Len() != 0 {
		t.Fatalf("drawn within the first 2 s: %q", out.String())
	}
	clock = clock.Add(1500 * time.Millisecond)
	p.update(400, 1000)
	clock = clock.Add(10 * time.Millisecond)
	p.update(401, 1000) // too soon to redraw
	clock = clock.Add(200 * time.Millisecond)
	p.update(700, 1000)
	p.update(1000, 1000)
	want := "\r\033[KRendering pages: 400 of 1000" + "\r\033[KRendering pages: 700 of 1000" + "\r\033[K"
	if out.String() != want {
		t.Errorf("wrote %q\nwant %q", out.String(), want)
	}

	// The next build starts its own two seconds.
	out.Reset()
	p.begin()
	p.update(0, 5)
	p.update(5, 5)
	if out.Len() != 0 {
		t.Errorf("a short build drew %q", out.String())
	}
}
