package archive_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/archive"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

var (
	ctx = context.Background()
	at  = time.Date(2026, 9, 8, 10, 0, 0, 0, time.UTC)
)

const (
	alice  = "https://mastodon.example/users/alice"
	bob    = "https://other.example/users/bob"
	lesson = "https://course.example.org/cohorts/autumn/lessons/intro"
)

func open(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fill gives s a cohort's thread with an answered reply carrying an image,
// a held one, a deleted one, reactions, a feature, a hide, a block and a
// report.
func fill(t *testing.T, s *sqlite.Store) {
	must(t, s.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "intro", CohortID: "autumn", ObjectID: lesson, Published: at, ContentHash: "h"}))
	replies := []activitypub.Reply{
		{ID: alice + "/statuses/1", LessonID: "intro", CohortID: "autumn", InReplyTo: lesson, Actor: alice, URL: "https://mastodon.example/@alice/1",
			Published: at.Add(time.Minute), Updated: at.Add(time.Hour), Content: `<p>My group & I — "we" <a href="https://x.example">met</a></p>`,
			Summary: "long", Sensitive: true, Visibility: activitypub.Public,
			Attachments: []activitypub.Attachment{{URL: "https://files.example/a.png", MediaType: "image/png", Alt: "a circle of chairs"}}},
		{ID: bob + "/statuses/2", LessonID: "intro", CohortID: "autumn", InReplyTo: alice + "/statuses/1", Actor: bob,
			Published: at.Add(2 * time.Minute), Content: "<p>agreed</p>", Visibility: activitypub.Unlisted},
		{ID: bob + "/statuses/3", LessonID: "intro", CohortID: "autumn", InReplyTo: lesson, Actor: bob,
			Published: at.Add(3 * time.Minute), Content: "<p>held</p>", Visibility: activitypub.Public, State: activitypub.Held},
		{ID: bob + "/statuses/4", LessonID: "intro", CohortID: "autumn", InReplyTo: lesson, Actor: bob,
			Published: at.Add(4 * time.Minute), Content: "<p>gone</p>", Visibility: activitypub.Direct},
	}
	for _, r := range replies {
		must(t, s.SaveReply(ctx, r))
	}
	must(t, s.DeleteReply(ctx, bob+"/statuses/4"))
	must(t, s.SaveReaction(ctx, activitypub.Reaction{ID: bob + "/likes/1", Kind: activitypub.Like, Actor: bob, Object: alice + "/statuses/1"}))
	must(t, s.SaveReaction(ctx, activitypub.Reaction{ID: alice + "/boosts/1", Kind: activitypub.Announce, Actor: alice, Object: lesson}))
	e := func(action, target string) activitypub.AuditEntry {
		return activitypub.AuditEntry{Who: "mia", Action: action, Target: target, LessonID: "intro", At: at.Add(5 * time.Hour)}
	}
	_, err := s.FeatureReply(ctx, alice+"/statuses/1", e(activitypub.ActionFeature, alice+"/statuses/1"))
	must(t, err)
	_, err = s.SetReplyState(ctx, bob+"/statuses/2", activitypub.Hidden, e(activitypub.ActionHide, bob+"/statuses/2"))
	must(t, err)
	must(t, s.SaveBlock(ctx, activitypub.Block{Target: "spam.example", Domain: true, Reason: "spam", By: "mia", Created: at},
		e(activitypub.ActionBlock, "spam.example")))
	must(t, s.SaveFlag(ctx, activitypub.Flag{ID: "https://other.example/flags/9", Actor: "https://other.example/actor",
		Content: "off topic\nplease look", Objects: []string{bob, bob + "/statuses/3"}, Received: at.Add(6 * time.Hour)}))
}

// TestRoundTrip: a store's discussion written as JSON, read back into an
// empty store, is the same discussion, down to the bytes of its JSON; the
// thread a page shows is the same.
func TestRoundTrip(t *testing.T) {
	src, dst := open(t), open(t)
	fill(t, src)
	a, err := src.ExportDiscussion(ctx)
	must(t, err)
	var first bytes.Buffer
	must(t, archive.Write(&first, archive.From(a, "@course@course.example.org", at)))

	doc, err := archive.Read(bytes.NewReader(first.Bytes()))
	must(t, err)
	if len(doc.Threads) != 1 || doc.Threads[0].Cohort != "autumn" || len(doc.Threads[0].Replies) != 4 || len(doc.Threads[0].Featured) != 1 {
		t.Fatalf("document threads = %+v", doc.Threads)
	}
	n, err := dst.ImportDiscussion(ctx, doc.Discussion())
	must(t, err)
	if n != a.Len() {
		t.Fatalf("imported %d of %d", n, a.Len())
	}
	b, err := dst.ExportDiscussion(ctx)
	must(t, err)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("after the round trip:\n%+v\nwant\n%+v", b, a)
	}
	var second bytes.Buffer
	must(t, archive.Write(&second, archive.From(b, "@course@course.example.org", at)))
	if first.String() != second.String() {
		t.Fatalf("the JSON differs after a round trip:\n%s\nwant\n%s", second.String(), first.String())
	}
	for _, s := range []*sqlite.Store{src, dst} {
		th, err := s.Thread(ctx, "intro", "autumn")
		must(t, err)
		if len(th) != 1 || th[0].ID != alice+"/statuses/1" || len(th[0].Attachments) != 1 {
			t.Fatalf("thread = %+v, want alice's reply alone (bob's is hidden, held, deleted)", th)
		}
	}
	if !strings.Contains(first.String(), `"content": "<p>My group & I — \"we\" <a href=\"https://x.example\">met</a></p>"`) {
		t.Errorf("replies' HTML is escaped beyond JSON's needs:\n%s", first.String())
	}
}

// TestReadRefuses: what is not an export of this format is refused whole.
func TestReadRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"another format":    `{"format":"cohort-discussion/2","threads":[]}`,
		"no format":         `{"threads":[]}`,
		"an unknown field":  `{"format":"cohort-discussion/1","threads":[],"followers":[]}`,
		"a nameless thread": `{"format":"cohort-discussion/1","threads":[{"replies":[]}]}`,
		"two documents":     `{"format":"cohort-discussion/1"} {"format":"cohort-discussion/1"}`,
		"not JSON":          `title = "course"`,
	} {
		if _, err := archive.Read(strings.NewReader(doc)); err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
}
