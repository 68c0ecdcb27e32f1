package site

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromiumPath finds the browser, or skips the test saying how to get one.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium binary: install the Debian package chromium (.ci/run does)")
	return ""
}

// TestSearchInBrowser builds a course large enough for a split index, serves it
// over loopback, and uses the search box in a lesson's header in headless
// Chromium: typing a word lists the best pages with the word marked in their
// excerpts, the arrow keys move through them, Enter opens one, Escape closes
// the list; the search page shows the same results. Only the files a query
// needs are fetched.
func TestSearchInBrowser(t *testing.T) {
	exe := chromiumPath(t)
	var b strings.Builder
	b.WriteString(searchCourse)
	b.WriteString("-- content/03-filler/_index.md --\n+++\ntitle = \"Filler\"\nweight = 3\nopens = \"2026-09-07T09:00\"\n+++\n")
	for i, d := range genDocs(300, 20000, 200) {
		fmt.Fprintf(&b, "-- content/03-filler/f%03d.md --\n+++\ntitle = %q\n+++\n%s\n", i, d.Title, d.Text)
	}
	dir := course(t, b.String())
	pub := filepath.Join(dir, "public")
	now := func() time.Time { return time.Date(2026, 9, 8, 12, 0, 0, 0, time.UTC) }
	if _, err := Build(t.Context(), Options{Source: dir, Out: pub, Now: now}); err != nil {
		t.Fatal(err)
	}
	if c := openSearch(t, pub); c.meta.Index != nil {
		t.Fatal("the index is not split: the test would not fetch chunks")
	}

	var mu sync.Mutex
	var fetched []string
	files := http.FileServer(http.Dir(pub))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/search/") && strings.HasSuffix(r.URL.Path, ".json") {
			mu.Lock()
			fetched = append(fetched, strings.TrimPrefix(r.URL.Path, "/search/"))
			mu.Unlock()
		}
		files.ServeHTTP(w, r)
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(exe), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	defer cancelTimeout()
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.cspViolations = []; window.errors = [];
document.addEventListener("securitypolicyviolation", e => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));
window.addEventListener("error", e => window.errors.push(String(e.message)));`}); err != nil {
		t.Fatal(err)
	}
	js := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	waitFor := func(what, expr string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			t.Fatalf("%s: %v (at %v: %v; %v)", what, err, js(`location.href`), js(`document.querySelector("main").innerText.slice(0, 300)`), js(`window.errors.join()`))
		}
	}
	// waitPage waits for a navigation to path to finish; evaluating during one fails.
	waitPage := func(path string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			v, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`location.pathname === "`+path+`" && document.readyState === "complete"`))
			if err == nil && v {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s did not open (at %v)", path, js(`location.href + " " + document.readyState`))
	}
	noErrors := func() {
		t.Helper()
		if v := js(`window.cspViolations.concat(window.errors).join("; ")`); v != "" {
			t.Errorf("errors on the page: %v", v)
		}
	}
	titles := `Array.from(document.querySelectorAll("#site-search-list [role=option] > .search-title")).map(a => a.textContent).join("|")`

	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/01-one/a/")); err != nil {
		t.Fatal(err)
	}
	if js(`document.querySelector("#site-search-panel").hidden`) != true {
		t.Error("the results panel shows before anything is typed")
	}
	if err := chromedp.Do(bctx, chromedp.Focus("#site-search-input"), chromedp.Evaluate[chromedp.Void](`window.typed = performance.now()`),
		chromedp.SendKeys("#site-search-input", "feedback ")); err != nil {
		t.Fatal(err)
	}
	waitFor("results", `document.querySelector("#site-search-list").dataset.query === "feedback "`)
	t.Logf("time from typing to results shown (headless, loopback): %.0f ms",
		js(`performance.getEntriesByName("search-results").pop().startTime - window.typed`))
	if got := js(titles); got != "Feedback that helps|Working in groups|Mentioned once" {
		t.Errorf("results %v", got)
	}
	if got := js(`document.querySelector("#site-search-status").textContent`); got != "3 results" {
		t.Errorf("status %q", got)
	}
	// The lesson that mentions the word once shows it, marked, in its excerpt.
	if got := js(`document.querySelector("#site-search-list [role=option]:nth-child(3) .search-excerpt mark")?.textContent`); got != "feedback" {
		t.Errorf("excerpt mark %v, want feedback; excerpt %v", got,
			js(`document.querySelector("#site-search-list [role=option]:nth-child(3)").innerText`))
	}
	if got := js(`document.querySelector("#site-search-list [role=option] > .search-title mark")?.textContent`); got != "Feedback" {
		t.Errorf("title mark %v, want Feedback", got)
	}
	mu.Lock()
	got := append([]string(nil), fetched...)
	mu.Unlock()
	if len(got) != 1+1+1 { // index.json, the chunk of "feedback", the bundle of the three pages (neighbours)
		t.Errorf("fetched %v, want index.json, one chunk and one bundle of pages", got)
	}

	// Arrow keys move through the results; Enter opens the selected one.
	if err := chromedp.Do(bctx, chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown)); err != nil {
		t.Fatal(err)
	}
	if got := js(`document.querySelector("#site-search-list [aria-selected=true] > .search-title")?.textContent`); got != "Working in groups" {
		t.Errorf("after two ArrowDown, selected %v", got)
	}
	if js(`document.getElementById(document.querySelector("#site-search-input").getAttribute("aria-activedescendant")).getAttribute("aria-selected")`) != "true" {
		t.Error("aria-activedescendant does not name the selected result")
	}
	if err := chromedp.Do(bctx, chromedp.KeyEvent(kb.ArrowUp)); err != nil {
		t.Fatal(err)
	}
	if got := js(`document.querySelector("#site-search-list [aria-selected=true] > .search-title")?.textContent`); got != "Feedback that helps" {
		t.Errorf("after ArrowUp, selected %v", got)
	}
	noErrors()
	if err := chromedp.Do(bctx, chromedp.KeyEvent(kb.ArrowDown)); err != nil {
		t.Fatal(err)
	}
	if got := js(`document.querySelector("#site-search-list [aria-selected=true] > .search-title")?.textContent`); got != "Working in groups" {
		t.Fatalf("before Enter, selected %v (list for %v, focus on %v)", got, js(`document.querySelector("#site-search-list").dataset.query`), js(`document.activeElement.id`))
	}
	if err := chromedp.Do(bctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitPage("/01-one/c/")

	// Escape closes the list; a word being typed matches the words it begins,
	// stemmed: "moder" finds "moderators".
	if err := chromedp.Do(bctx, chromedp.Focus("#site-search-input"), chromedp.SendKeys("#site-search-input", "moder")); err != nil {
		t.Fatal(err)
	}
	waitFor("a prefix result", `document.querySelector("#site-search-list").dataset.query === "moder"`)
	if got := js(titles); got != "Mentioned once" {
		t.Errorf("results for moder: %v", got)
	}
	if got := js(`document.querySelector("#site-search-list .search-excerpt mark")?.textContent`); got != "moderators" {
		t.Errorf("prefix match marks %v, want moderators", got)
	}
	if err := chromedp.Do(bctx, chromedp.KeyEvent(kb.Escape)); err != nil {
		t.Fatal(err)
	}
	if js(`document.querySelector("#site-search-panel").hidden`) != true || js(`document.querySelector("#site-search-input").getAttribute("aria-expanded")`) != "false" {
		t.Error("Escape does not close the results")
	}

	// Enter with nothing selected opens the search page, which shows the results too.
	if err := chromedp.Do(bctx, chromedp.SendKeys("#site-search-input", "ators "+kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitPage("/search/")
	waitFor("the search page's results", `document.querySelector("#search-results").dataset.query === "moderators "`)
	if got := js(`document.querySelectorAll("#search-results [role=option]").length`); got != 1.0 {
		t.Errorf("search page shows %v results, want 1", got)
	}
	if got := js(`document.querySelector("#search-results .search-excerpt mark")?.textContent`); got != "moderators" {
		t.Errorf("search page marks %v, want moderators", got)
	}
	if js(`document.querySelector("#search-outline").hidden`) != true {
		t.Error("the search page shows the outline beside results")
	}
	noErrors()
}
