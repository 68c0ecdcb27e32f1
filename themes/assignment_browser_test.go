package themes_test

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cohort-course/cohort/site"
)

// assignmentDiscussion gives the example course's peer-feedback lesson (an
// assignment) two submissions, each with a review and one with the
// author's answer to it.
type assignmentDiscussion struct{}

func (assignmentDiscussion) Thread(_ context.Context, lessonID, _ string) (*site.Thread, error) {
	if lessonID != "peer-feedback" {
		return &site.Thread{Lesson: lessonID}, nil
	}
	person := func(name string) site.Author {
		return site.Author{Name: name, Handle: "@" + name + "@social.example", URL: "https://social.example/@" + name}
	}
	n := 0
	reply := func(a site.Author, h int, text string, answers ...*site.Reply) *site.Reply {
		n++
		return &site.Reply{ID: "https://social.example/notes/" + string(rune('a'+n)), URL: "https://social.example/@x/" + string(rune('a'+n)),
			Author: a, Published: time.Date(2026, 9, 22, 8+h, 0, 0, 0, time.UTC), Content: "<p>" + text + "</p>", Replies: answers}
	}
	ana, ben := person("ana"), person("ben")
	return &site.Thread{Lesson: lessonID, Count: 5, Replies: []*site.Reply{
		reply(ben, 1, "My welcome post; is the tone right?", reply(ana, 3, "Warm; the second paragraph could go.", reply(ben, 4, "Thanks!"))),
		reply(ana, 0, "My first prompt.", reply(ben, 2, "Open enough, and the example helps.")),
	}}, nil
}

// TestAssignmentInBrowser opens the example course's assignment lesson,
// with submissions and reviews, in headless Chromium on a phone and a wide
// screen, light and dark: axe-core finds no serious or critical problem
// (the submission and review badges' colours included).
func TestAssignmentInBrowser(t *testing.T) {
	exe := chromium(t)
	axe := axeScript(t)
	out := t.TempDir()
	now := time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)
	if _, err := site.Build(context.Background(), site.Options{Source: "..", Out: filepath.Join(out, "public"),
		Now: func() time.Time { return now }, Discussion: assignmentDiscussion{}}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.FileServer(http.Dir(filepath.Join(out, "public"))), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 2*time.Minute)
	defer cancelTimeout()
	b := &browser{t: t, ctx: bctx, base: "http://" + ln.Addr().String()}
	// The companion's threads API is elsewhere and unreachable: the page
	// shows what it was built with.
	send(b, network.Enable, network.EnableParams{})
	send(b, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{{URLPattern: "https://*", Block: true}}})
	b.setNow(now)
	for _, vp := range viewports {
		for _, scheme := range []string{"light", "dark"} {
			b.viewport(vp.width, vp.height)
			b.scheme(scheme)
			b.open("/03-reflection/peer-feedback/")
			b.settle()
			if got := b.js(`document.querySelectorAll(".reply-review .badge-review").length`); got != float64(2) {
				t.Errorf("%s %s: %v review badges, want 2", vp.name, scheme, got)
			}
			b.axe(axe, "assignment-"+vp.name+"-"+scheme)
		}
	}
}
