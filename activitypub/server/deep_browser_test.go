package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
)

// TestDeepAnswersInBrowser: answers that arrive while a lesson page is open
// nest as the built page nests them: three indents at most (the theme's
// site.MaxReplyIndent), a deeper answer beside its parent, saying whom it
// answers; and their times are shown in the reader's zone, as the built ones.
func TestDeepAnswersInBrowser(t *testing.T) {
	exe := chromium(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	base := "http://" + host
	dir := t.TempDir()
	writeTxtar(t, dir, fmt.Sprintf(browserCourse, host))
	serveInProcess(t, dir, ln)
	ctx := context.Background()

	m := mastotest.New(t)
	m.Course = base + "/actor"
	inbox := base + "/inbox"
	post := func(user, inReplyTo, status string) {
		t.Helper()
		if code, err := m.Post(ctx, user, inbox, m.Fixture(t, "mastodon-create-reply.json", user, inReplyTo, status)); code != http.StatusAccepted {
			t.Fatalf("%s's reply: %d %v", user, code, err)
		}
	}
	post("alice", base+"/lessons/intro", "1")
	pageURL := base + "/01-week/intro/"
	eventually(t, "alice's reply in the built page", func() bool {
		resp, err := http.Get(pageURL)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(body), `data-id="`+m.ActorID("alice")+`/statuses/1"`)
	})

	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	defer cancelTimeout()
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.cohortDiscussion = {poll: 200};`}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	li := func(user, status string) string {
		return `document.querySelector('li.reply[data-id="` + m.ActorID(user) + `/statuses/` + status + `"]')`
	}

	// Each answers the one before: bob alice, carol bob, and so on.
	chain := []string{"alice", "bob", "carol", "dave", "erin", "frank"}
	for i, user := range chain[1:] {
		status := strconv.Itoa(i + 2)
		post(user, m.ActorID(chain[i])+"/statuses/"+strconv.Itoa(i+1), status)
		if err := chromedp.Do(bctx, chromedp.Poll[chromedp.Void](li(user, status)+` !== null`, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("%s's answer did not appear: %v", user, err)
		}
	}
	for i, user := range chain {
		wantIndent := min(i, 3)
		wantTo := ""
		if i > 3 {
			wantTo = "replying to @" + chain[i-1] + "@" + m.Host()
		}
		got, err := chromedp.Run(bctx, chromedp.Evaluate[[]any](`(() => { const li = `+li(user, strconv.Itoa(i+1))+`;
			let n = -1; for (let el = li.parentElement; el && !el.matches(".thread"); el = el.parentElement) if (el.matches("ol.replies")) n++;
			const to = li.querySelector(":scope > .reply-body > .reply-to");
			return [n, to && !to.hidden ? to.textContent : "", li.querySelector(".reply-time time").textContent]; })()`))
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != float64(wantIndent) || got[1] != wantTo {
			t.Errorf("%s's answer is at indent %v saying %q, want %d and %q", user, got[0], got[1], wantIndent, wantTo)
		}
		if strings.HasSuffix(got[2].(string), "UTC") {
			t.Errorf("%s's time reads %q: not in the reader's zone", user, got[2])
		}
	}
}
