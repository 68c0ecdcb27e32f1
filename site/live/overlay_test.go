package live_test

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/cohort-course/cohort/site/live"
	"github.com/cohort-course/cohort/themes"
)

// overlayPage is a page of the default theme with a code block, the kind of page
// whose own pre styles once made the overlay's text white on light grey.
const overlayPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>x</title>
<link rel="stylesheet" href="/css/style.css"></head>
<body><main><p>Text.</p><pre><code>code</code></pre></main>
<script src="/_cohort/live.js"></script></body></html>`

// contrastJS measures the overlay's text against the colour it actually sits on
// (the nearest element with an opaque background), as WCAG defines the ratio.
const contrastJS = `(() => {
  const rgb = s => s.match(/[\d.]+/g).map(Number);
  const lum = c => {
    const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ground = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] === 1) return c;
    }
    return [255, 255, 255];
  };
  const ratio = el => {
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(ground(el));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const o = document.getElementById("cohort-error");
  if (!o) return [];
  return [ratio(o.querySelector("p")), ratio(o.querySelector("pre"))];
})()`

// TestOverlayContrast shows a build error over a theme page in headless Chromium, in
// light and in dark mode, and checks that its title and message are readable:
// contrast at least 7:1 against what they are drawn on.
func TestOverlayContrast(t *testing.T) {
	exe := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		t.Skip("no chromium binary: install the Debian package chromium (.ci/run does)")
	}
	theme, _ := themes.Get("default")
	css, err := fs.ReadFile(theme, "static/css/style.css")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, overlayPage) })
	mux.HandleFunc("/css/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		w.Write(css)
	})
	mux.HandleFunc(live.ScriptPath, live.ServeScript)
	mux.HandleFunc("/_cohort/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: failed\ndata: {\"message\":\"content/01-week/intro.md:3:1: unknown front matter key \\\"sumary\\\"\"}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(exe), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	for _, scheme := range []string{"light", "dark"} {
		t.Run(scheme, func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(alloc)
			defer cancel()
			ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
			defer cancelTimeout()
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.querySelector("#cohort-error pre") !== null`,
				chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
				t.Fatalf("no overlay: %v", err)
			}
			ratios, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](contrastJS))
			if err != nil {
				t.Fatal(err)
			}
			if len(ratios) != 2 {
				t.Fatalf("no overlay measured: %v", ratios)
			}
			for i, what := range []string{"title", "message"} {
				if ratios[i] < 7 {
					t.Errorf("%s mode: the overlay's %s has contrast %.2f:1, want at least 7:1", scheme, what, ratios[i])
				}
			}
		})
	}
}
