package moderation_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cohort-course/cohort/activitypub"
)

// TestReportsOnTheQueue: a report another server sent (a Flag) is on the
// queue page with the reporter's comment, shown as text, and the reported
// reply with its actions, so a moderator can hide it from there.
func TestReportsOnTheQueue(t *testing.T) {
	e := newEnv(t)
	csrf := e.login()
	reported := alice + "/statuses/1"
	must(t, e.store.SaveFlag(context.Background(), activitypub.Flag{
		ID: "https://mastodon.example/0b8e", Actor: "https://mastodon.example/actor",
		Content: `<b>rude</b> & off topic`, Objects: []string{alice, reported}, Received: start,
	}))
	resp, body := e.do("GET", "/moderate/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("queue: %d", resp.StatusCode)
	}
	for _, want := range []string{
		"Reports from other servers",
		"Report from https://mastodon.example/actor",
		"&lt;b&gt;rude&lt;/b&gt; &amp; off topic", // the comment is text, never markup
		"alice shown", // the reported reply itself
		`<input type="hidden" name="reply" value="` + reported + `">`,
		"<li>" + alice + "</li>", // the reported account
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the queue lacks %q", want)
		}
	}
	if strings.Contains(body, "<b>rude</b>") {
		t.Fatal("the reporter's comment is rendered as HTML")
	}
	resp, _ = e.do("POST", "/moderate/replies", url.Values{"csrf": {csrf}, "reply": {reported}, "action": {"hide"}, "back": {"/moderate/"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("hide from the report: %d", resp.StatusCode)
	}
	if s := e.state(reported); s != activitypub.Hidden {
		t.Fatalf("the reported reply is %s after Hide, want hidden", s)
	}
}

// TestNoReportsNoSection: without reports the queue has no empty section.
func TestNoReportsNoSection(t *testing.T) {
	e := newEnv(t)
	e.login()
	if _, body := e.do("GET", "/moderate/", nil); strings.Contains(body, "Reports from other servers") {
		t.Fatal("an empty reports section is shown")
	}
}
