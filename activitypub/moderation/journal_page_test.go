package moderation_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// TestJournalModeration: the moderator's journal list (issue 14) holds
// every entry of the participants still in the journal, 100 a page newest
// first; hiding an entry takes it off the public journal and the list
// offers to show it again; blocking its author from the list takes their
// journal off and comes back to the list; a participant who left is not
// listed at all.
func TestJournalModeration(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	carol := "https://third.example/users/carol"
	_, err := e.store.Apply(ctx, "journal", func(tx activitypub.Tx) error {
		for _, p := range []activitypub.JournalParticipant{
			{ActorID: alice, Handle: "@alice@mastodon.example", Inbox: alice + "/inbox", FollowID: "f-a", Accepted: true},
			{ActorID: bob, Handle: "@bob@spam.example", Inbox: bob + "/inbox", FollowID: "f-b", Accepted: true},
			{ActorID: carol, Inbox: carol + "/inbox", FollowID: "f-c", Left: start},
		} {
			if err := tx.SaveJournalParticipant(p); err != nil {
				return err
			}
		}
		for i := range 120 {
			if err := tx.SaveJournalEntry(activitypub.JournalEntry{ID: fmt.Sprintf("%s/statuses/j%03d", alice, i), Actor: alice,
				Published: start.Add(time.Duration(i) * time.Minute), Content: fmt.Sprintf("<p>reflection %03d</p>", i)}); err != nil {
				return err
			}
		}
		if err := tx.SaveJournalEntry(activitypub.JournalEntry{ID: bob + "/statuses/b1", Actor: bob, Published: start.Add(-time.Hour), Content: "<p>bob reflects</p>"}); err != nil {
			return err
		}
		return tx.SaveJournalEntry(activitypub.JournalEntry{ID: carol + "/statuses/c1", Actor: carol, Published: start, Content: "<p>CAROL-LEFT</p>"})
	})
	must(t, err)
	token := e.login()

	want := []string{}
	for i := 119; i >= 0; i-- {
		want = append(want, fmt.Sprintf("%s/statuses/j%03d", alice, i))
	}
	want = append(want, bob+"/statuses/b1")
	pick := regexp.MustCompile(`name="reply" value="([^"]+)"`)
	got, pages, _ := walk(e, "/moderate/journal", "next", pick, 5)
	if !slices.Equal(got, want) || pages != 2 {
		t.Fatalf("walking the journal list: %d entries on %d pages, want %d newest first on 2", len(got), pages, len(want))
	}
	_, body := e.do("GET", "/moderate/journal", nil)
	if strings.Contains(body, "CAROL-LEFT") || !strings.Contains(body, "@alice@mastodon.example") || !strings.Contains(body, `aria-current="page">Journals`) {
		t.Fatalf("journal list:\n%s", body)
	}

	post := func(path string, form url.Values) string {
		t.Helper()
		form.Set("csrf", token)
		resp, _ := e.do("POST", path, form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s %v: %d", path, form, resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}
	public := func() int {
		t.Helper()
		es, err := e.store.JournalEntries(ctx, activitypub.JournalFilter{})
		must(t, err)
		return len(es)
	}
	newest := want[0]
	back := "/moderate/journal"
	if to := post("/moderate/replies", url.Values{"reply": {newest}, "action": {"hide"}, "back": {back}}); !strings.HasPrefix(to, back+"?notice=") {
		t.Fatalf("hide redirects to %s", to)
	}
	if n := public(); n != 120 {
		t.Fatalf("public entries after hiding one = %d, want 120", n)
	}
	_, body = e.do("GET", back, nil)
	if !strings.Contains(body, `<article class="reply state-hidden"`) || !strings.Contains(body, `value="show"`) {
		t.Fatalf("the list does not offer to show the hidden entry:\n%s", body)
	}
	post("/moderate/replies", url.Values{"reply": {newest}, "action": {"show"}, "back": {back}})
	if n := public(); n != 121 {
		t.Fatalf("public entries after showing it again = %d, want 121", n)
	}

	// Block bob from the list: back to the list, his journal off.
	if to := post("/moderate/blocks", url.Values{"target": {bob}, "action": {"block"}, "back": {back}}); !strings.HasPrefix(to, back+"?notice=") {
		t.Fatalf("block from the journal list redirects to %s", to)
	}
	if n := public(); n != 120 {
		t.Fatalf("public entries after blocking bob = %d, want 120", n)
	}
	_, body = e.do("GET", back+"?after="+url.QueryEscape(activitypub.Cursor{At: start, ID: want[119]}.String()), nil)
	if !strings.Contains(body, "bob reflects") || !strings.Contains(body, "hidden by the block of "+bob) {
		t.Fatalf("the older page does not show bob's entry as blocked:\n%s", body)
	}
	log, _ := e.store.AuditLog(ctx, 0, 10)
	if len(log) < 3 || log[0].Action != activitypub.ActionBlock || log[1].Action != activitypub.ActionShow || log[2].Action != activitypub.ActionHide || log[2].Target != newest {
		t.Fatalf("audit log = %+v", log)
	}
}
