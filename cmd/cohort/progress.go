package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// progressDelay is how long a build runs before it shows its progress: a short
// build says nothing until its summary, as before.
const progressDelay = 2 * time.Second

// progressEvery keeps the line from being redrawn thousands of times a second,
// which a slow terminal would feel.
const progressEvery = 100 * time.Millisecond

// progressLine shows "Rendering pages: 1234 of 10000" on one line of a terminal,
// redrawn in place, once a build has run for progressDelay. It is cleared when
// the last page is done, so the build's summary is printed on a clean line.
type progressLine struct {
	w     io.Writer
	now   func() time.Time
	mu    sync.Mutex
	start time.Time // when the current build began
	drawn time.Time // when the line was last drawn; zero when not shown
}

// newProgress returns a progressLine writing to w, or nil when w is not a
// terminal: a log file or a pipe gets no carriage returns.
func newProgress(w io.Writer) *progressLine {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressLine{w: w, now: time.Now}
}

// begin starts timing a build.
func (p *progressLine) begin() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.start = p.now()
	p.mu.Unlock()
}

// update is site.Options.Progress.
func (p *progressLine) update(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.start.IsZero() {
		p.start = now
	}
	if done >= total {
		if !p.drawn.IsZero() {
			fmt.Fprint(p.w, "\r\033[K") // clear the line
		}
		p.start, p.drawn = time.Time{}, time.Time{}
		return
	}
	if now.Sub(p.start) < progressDelay || now.Sub(p.drawn) < progressEvery {
		return
	}
	p.drawn = now
	fmt.Fprintf(p.w, "\r\033[KRendering pages: %d of %d", done, total)
}

// fn returns update for site.Options.Progress, or nil without a terminal.
func (p *progressLine) fn() func(done, total int) {
	if p == nil {
		return nil
	}
	return p.update
}
