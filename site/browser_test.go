package site

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium starts headless Chromium for a test, or skips it, saying why, when the
// machine has none.
func chromium(t *testing.T) context.Context {
	t.Helper()
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
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(exe), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-dev-shm-usage", true))
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

// serveSite serves a built site over loopback with the Content-Security-Policy
// header the site's _headers gives static hosts.
func serveSite(t *testing.T, dir string) string {
	t.Helper()
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicy(""))
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowserDiagramAndMath builds a course with a Mermaid diagram and formulas and
// opens it in headless Chromium under the site's policy: the diagram becomes an SVG
// with its two boxes filled (Mermaid's styles applied), and the formulas are laid
// out by math.css (a fraction's bar sits above its baseline).
func TestBrowserDiagramAndMath(t *testing.T) {
	dir := course(t, mathCourse)
	mustBuild(t, dir)
	base := serveSite(t, filepath.Join(dir, "public"))
	ctx := chromium(t)

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/01-m/flow/")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.documentElement.dataset.diagrams !== undefined`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		t.Fatalf("Mermaid never finished: %v", err)
	}
	type diagram struct {
		State string   `json:"state"`
		SVGs  int      `json:"svgs"`
		Nodes int      `json:"nodes"`
		Fills []string `json:"fills"`
		Text  string   `json:"text"`
	}
	d, err := chromedp.Run(ctx, chromedp.Evaluate[diagram](`(() => {
	  const svg = document.querySelector("pre.mermaid svg");
	  const nodes = svg ? [...svg.querySelectorAll("g.node")] : [];
	  return {state: document.documentElement.dataset.diagrams,
	    svgs: document.querySelectorAll("pre.mermaid svg").length,
	    nodes: nodes.length,
	    fills: nodes.map(n => getComputedStyle(n.querySelector("rect, polygon, path")).fill),
	    text: svg ? svg.textContent : ""};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if d.State != "drawn" || d.SVGs != 1 || d.Nodes != 2 {
		t.Fatalf("diagram: %+v, want one SVG with two nodes", d)
	}
	for _, f := range d.Fills {
		if f == "rgb(0, 0, 0)" || f == "none" {
			t.Errorf("a node is filled %s: Mermaid's styles did not apply (%+v)", f, d)
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/01-m/euler/")); err != nil {
		t.Fatal(err)
	}
	type layout struct {
		Formulas  int     `json:"formulas"`
		BarAbove  float64 `json:"barAbove"`
		MathFont  string  `json:"font"`
		HasScript bool    `json:"hasScript"`
	}
	l, err := chromedp.Run(ctx, chromedp.Evaluate[layout](`(() => {
	  const frac = document.querySelector(".katex-display .mfrac");
	  const line = frac && frac.querySelector(".frac-line");
	  const base = frac && frac.closest(".katex-base");
	  return {formulas: document.querySelectorAll(".katex").length,
	    barAbove: line && base ? base.getBoundingClientRect().bottom - line.getBoundingClientRect().top : 0,
	    font: getComputedStyle(document.querySelector(".katex")).fontFamily,
	    hasScript: document.scripts.length > 0 && [...document.scripts].some(s => /katex/.test(s.src))};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if l.Formulas != 2 {
		t.Errorf("%d formulas on the page, want 2", l.Formulas)
	}
	if l.BarAbove < 10 {
		t.Errorf("the fraction's bar is %.1fpx above the formula's bottom: math.css did not lay it out", l.BarAbove)
	}
	if l.MathFont == "" || l.HasScript {
		t.Errorf("font %q, KaTeX script %t: want KaTeX's font and no script", l.MathFont, l.HasScript)
	}
}
