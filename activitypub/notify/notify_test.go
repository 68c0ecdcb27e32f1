package notify_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/notify"
	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

// TestNoticesOverADay follows a clock through a day of a course on a real
// SQLite store and a real Publisher: a question is told once it has waited
// 24 hours unanswered, not before and not when answered; what comes within
// the hour after a message waits for the next, which lists it all; a
// cohort's moderator hears only of their cohort; a moderator's own
// question is nobody's notice.
func TestNoticesOverADay(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { return now }
	st.Now = clock
	const mia, ben, ann, joe = "https://m.example/users/mia", "https://m.example/users/ben", "https://p.example/users/ann", "https://p.example/users/joe"
	for _, a := range []activitypub.Actor{
		{ID: mia, PreferredUsername: "mia", Inbox: mia + "/inbox"},
		{ID: ben, PreferredUsername: "ben", Inbox: ben + "/inbox"},
		{ID: ann, PreferredUsername: "ann", Inbox: ann + "/inbox"},
		{ID: joe, PreferredUsername: "joe", Inbox: joe + "/inbox"},
	} {
		if err := st.SaveActor(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	save := func(id, actor, cohort, inReplyTo, content string, state activitypub.ReplyState) {
		t.Helper()
		err := st.SaveReply(ctx, activitypub.Reply{ID: id, Actor: actor, LessonID: "intro", CohortID: cohort, InReplyTo: inReplyTo,
			Published: now, Content: content, Visibility: activitypub.Public, State: state})
		if err != nil {
			t.Fatal(err)
		}
	}
	pub := publish.New(publish.Options{Store: st, URLs: activitypub.URLs{Base: "https://course.example.org"}, Now: clock})
	n := notify.New(notify.Options{Store: st, Sender: pub, Now: clock, Title: "Course",
		Moderators: []notify.Recipient{{Handle: "@mia@m.example"}, {Handle: "@ben@m.example", Cohort: "spring"}},
		Rules:      activitypub.Moderation{Moderators: []string{"@mia@m.example", "@ben@m.example"}}})
	lesson := "https://course.example.org/cohorts/autumn/lessons/intro"
	check := func() {
		t.Helper()
		if err := n.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var pending []activitypub.Delivery // claimed, not yet read by messages
	messages := func(to string) []string {
		t.Helper()
		ds, err := st.ClaimDeliveries(ctx, now.Add(time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			if err := st.CompleteDelivery(ctx, d.ID); err != nil {
				t.Fatal(err)
			}
		}
		pending = append(pending, ds...)
		kept := pending[:0]
		for _, d := range pending {
			if d.Inbox == to+"/inbox" {
				out = append(out, string(d.Body))
			} else {
				kept = append(kept, d)
			}
		}
		pending = kept
		return out
	}

	save(ann+"/1", ann, "autumn", lesson, "<p>How do I start a group?</p>", activitypub.Shown)
	save(joe+"/2", joe, "autumn", lesson, "<p>Is anyone in Utrecht?</p>", activitypub.Shown)
	save(mia+"/3", mia, "autumn", lesson, "<p>What did you learn today?</p>", activitypub.Shown) // a moderator's prompt
	save(ann+"/4", ann, "autumn", lesson, "<p>Just sharing, see https://x.example/?q=1</p>", activitypub.Shown)
	check()
	if got := messages(mia); len(got) != 0 {
		t.Fatalf("told of fresh questions: %v", got)
	}
	now = start.Add(2 * time.Hour)
	save(joe+"/5", joe, "autumn", joe+"/2", "<p>Me, replying to myself.</p>", activitypub.Shown)
	save(ann+"/6", ann, "autumn", joe+"/2", "<p>Yes, I am!</p>", activitypub.Shown) // joe's is answered

	now = start.Add(24*time.Hour + time.Minute)
	check()
	got := messages(mia)
	if len(got) != 1 || !strings.Contains(got[0], ann+"/1") || strings.Contains(got[0], joe+"/2") ||
		strings.Contains(got[0], mia+"/3") || strings.Contains(got[0], ann+"/4") {
		t.Fatalf("after a day mia got %v; want one message naming ann's open question only", got)
	}
	if got := messages(ben); len(got) != 0 {
		t.Errorf("spring's moderator heard of autumn: %v", got)
	}

	now = now.Add(10 * time.Minute)
	save("https://s.example/users/x/7", "https://s.example/users/x", "autumn", lesson, "<p>spam</p>", activitypub.Held)
	if err := st.SaveFlag(ctx, activitypub.Flag{ID: "https://p.example/flags/1", Actor: joe, Content: "spam", Objects: []string{"https://s.example/users/x/7"}, Received: now}); err != nil {
		t.Fatal(err)
	}
	check()
	if got := messages(mia); len(got) != 0 {
		t.Fatalf("a second message within the hour: %v", got)
	}
	now = now.Add(time.Hour)
	check()
	got = messages(mia)
	if len(got) != 1 || !strings.Contains(got[0], "held for approval") || !strings.Contains(got[0], "a report from @joe@p.example") ||
		strings.Contains(got[0], ann+"/1") {
		t.Fatalf("after the hour mia got %v; want one message with the held reply and the report, not the question again", got)
	}
	if got := messages(ben); len(got) != 1 || !strings.Contains(got[0], "a report") || strings.Contains(got[0], "held for") {
		t.Errorf("spring's moderator got %v; want the report (course-wide) without autumn's held reply", got)
	}
	now = now.Add(2 * time.Hour)
	check()
	if got := messages(mia); len(got) != 0 {
		t.Errorf("told again of what was told: %v", got)
	}
}
