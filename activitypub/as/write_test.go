package as_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const testPEM = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvXc4vkECU2/CeuSo1wtn\n-----END PUBLIC KEY-----\n"

var (
	released = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	changed  = time.Date(2026, 9, 3, 12, 30, 0, 0, time.UTC)
)

func courseActor() as.CourseActor {
	return as.CourseActor{
		ID: course, PreferredUsername: "course", Name: "Go in a week",
		Summary: "<p>A short cohort course on Go.</p>", URL: "https://course.example.org/",
		Inbox: course + "/inbox", SharedInbox: "https://course.example.org/inbox", Outbox: course + "/outbox",
		Followers: course + "/followers", Featured: course + "/featured", IconURL: "https://course.example.org/logo.png", IconMediaType: "image/png",
		Published: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), KeyID: course + "#main-key", PublicKeyPEM: testPEM,
		Fields:       []as.Field{{Name: "Site", Value: `<a href="https://course.example.org/" rel="me">course.example.org</a>`}, {Name: "Cohort", Value: "September 2026"}},
		Discoverable: true,
	}
}

func lessonNote() as.LessonNote {
	return as.LessonNote{
		ID: lesson, URL: "https://course.example.org/intro/go/", AttributedTo: course, Followers: course + "/followers",
		// A URL-like summary must come out exactly as given.
		Summary:  "https://course.example.org/intro/go/",
		Content:  `<p><strong>Intro to Go</strong></p><p>What did you build first & why?</p><p><a href="https://course.example.org/intro/go/">https://course.example.org/intro/go/</a></p>`,
		Language: "en", Published: released, Replies: lesson + "/replies", RepliesFirst: lesson + "/replies?page=1",
		RepliesItems: []string{alice + "/statuses/110186684417144088"}, RepliesNext: lesson + "/replies?page=2",
		Tags: []as.Tag{{Type: "Hashtag", Href: "https://course.example.org/tags/golang", Name: "#golang"}},
	}
}

// golden compares got (compact JSON) with testdata/golden/name, stored
// indented for reading; -update rewrites it.
func golden(t *testing.T, name string, got []byte, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(got) {
		t.Fatalf("%s: invalid JSON: %s", name, got)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("%s differs from golden:\n%s", name, lineDiff(string(want), pretty.String()))
	}
}

// lineDiff shows the lines that differ, for a readable failure.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  - %s\n  + %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

func TestGoldenDocuments(t *testing.T) {
	updated := lessonNote()
	updated.Updated = changed
	tests := []struct {
		name string
		doc  func() ([]byte, error)
	}{
		{"actor.json", func() ([]byte, error) { return as.Actor(courseActor()) }},
		{"actor-person-minimal.json", func() ([]byte, error) {
			return as.Actor(as.CourseActor{ID: course, Type: "Person", PreferredUsername: "course", Inbox: course + "/inbox", KeyID: course + "#main-key", PublicKeyPEM: testPEM})
		}},
		{"note.json", func() ([]byte, error) { return as.Note(lessonNote()) }},
		{"create.json", func() ([]byte, error) { return as.Create(lesson+"/activity", lessonNote()) }},
		{"update.json", func() ([]byte, error) { return as.Update(lesson+"#updates/1788438600", updated) }},
		{"delete.json", func() ([]byte, error) { return as.Delete(lesson+"#delete", course, lesson, course+"/followers") }},
		{"accept.json", func() ([]byte, error) {
			return as.Accept(course+"#accepts/follows/1", course, "https://mastodon.example/bd06bb61-01e0-447a-9dc8-95915db9aec8", alice)
		}},
		{"announce.json", func() ([]byte, error) {
			return as.Announce(course+"/boosts/1", course, alice+"/statuses/110186684417144088", alice, course+"/followers", changed)
		}},
		{"undo-announce.json", func() ([]byte, error) {
			return as.UndoAnnounce(course+"/boosts/1/undo", course, course+"/boosts/1", alice+"/statuses/110186684417144088", alice, course+"/followers", changed)
		}},
		{"outbox.json", func() ([]byte, error) {
			return as.OrderedCollection(course+"/outbox", 12, course+"/outbox?page=1", course+"/outbox?page=2")
		}},
		{"followers-page.json", func() ([]byte, error) {
			return as.OrderedCollectionPage(as.Page{ID: course + "/followers?page=1", PartOf: course + "/followers", Next: course + "/followers?page=2", Total: 3,
				Items: as.IRIItems([]string{alice, "https://other.example/users/bob"})})
		}},
		{"empty-page.json", func() ([]byte, error) {
			return as.OrderedCollectionPage(as.Page{ID: course + "/outbox?page=1", PartOf: course + "/outbox", Total: -1})
		}},
		{"replies.json", func() ([]byte, error) {
			return as.Collection(lesson+"/replies", as.Page{ID: lesson + "/replies?page=1", PartOf: lesson + "/replies",
				Next: lesson + "/replies?page=2", Total: -1, Items: as.IRIItems([]string{alice + "/statuses/110186684417144088"})})
		}},
		{"replies-page.json", func() ([]byte, error) {
			return as.UnorderedCollectionPage(as.Page{ID: lesson + "/replies?page=2", PartOf: lesson + "/replies",
				Prev: lesson + "/replies?page=1", Total: -1, Items: as.IRIItems([]string{"https://other.example/users/bob/statuses/9"})})
		}},
		{"featured.json", func() ([]byte, error) { return as.Featured(course+"/featured", []as.LessonNote{lessonNote()}) }},
		{"featured-empty.json", func() ([]byte, error) { return as.Featured(course+"/featured", nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.doc()
			golden(t, tt.name, b, err)
			again, _ := tt.doc()
			if !bytes.Equal(b, again) {
				t.Errorf("two encodings differ")
			}
		})
	}
}

// TestOutboundReadsBack reads what we emit with the same parser we use for
// Mastodon's payloads: what Mastodon would see.
func TestOutboundReadsBack(t *testing.T) {
	ctx := context.Background()
	b, _ := as.Actor(courseActor())
	a, err := as.ParseActor(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != "Service" || a.SharedInbox != "https://course.example.org/inbox" || a.PublicKeyPEM != testPEM || a.IconURL == "" || a.Handle() != "@course@course.example.org" {
		t.Errorf("actor reads back as %+v", a)
	}
	b, _ = as.Create(lesson+"/activity", lessonNote())
	act, err := as.Parse(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	r := act.Reply
	if act.Kind != as.KindCreate || r == nil || r.ID != lesson || r.Visibility != activitypub.Public || r.Summary != "https://course.example.org/intro/go/" {
		t.Errorf("Create reads back as %+v / %+v", act, r)
	}
	if !strings.Contains(string(b), `"contentMap":{"en":`) {
		t.Errorf("contentMap missing: %s", b)
	}
	if !strings.Contains(string(b), `& why?`) {
		t.Errorf("HTML escaped as \\u0026: %s", b)
	}
	b, _ = as.Accept(course+"#accepts/1", course, "https://mastodon.example/f/1", alice)
	act, err = as.Parse(ctx, b)
	if err != nil || act.Kind != as.KindAccept || act.Inner == nil || act.Inner.ID != "https://mastodon.example/f/1" || act.Inner.Actor != alice {
		t.Errorf("Accept reads back as %+v, %v", act, err)
	}
	b, _ = as.Delete(lesson+"#delete", course, lesson, "")
	act, err = as.Parse(ctx, b)
	if err != nil || act.Object != lesson || act.ObjectType != "Tombstone" {
		t.Errorf("Delete reads back as %+v, %v", act, err)
	}
}

// TestJournalFollowAndUndo: the course's Follow of a participant names
// them as its object, and its Undo embeds that Follow, as Mastodon's
// serializers write them, so their servers match the Undo to the Follow.
func TestJournalFollowAndUndo(t *testing.T) {
	const course, alice, follow = "https://course.example.org/actor", "https://mastodon.example/users/alice", "https://course.example.org/activities/follow/1"
	body, err := as.Follow(follow, course, alice)
	if err != nil {
		t.Fatal(err)
	}
	a, err := as.Parse(context.Background(), body)
	if err != nil || a.Kind != as.KindFollow || a.Actor != course || a.Object != alice || a.ID != follow {
		t.Fatalf("Follow parsed = %+v, %v", a, err)
	}
	body, err = as.UndoFollow(follow+"/undo", course, follow, alice)
	if err != nil {
		t.Fatal(err)
	}
	a, err = as.Parse(context.Background(), body)
	if err != nil || a.Kind != as.KindUndo || a.Inner == nil || a.Inner.Kind != as.KindFollow || a.Inner.ID != follow || a.Inner.Object != alice {
		t.Fatalf("Undo parsed = %+v (inner %+v), %v", a, a.Inner, err)
	}
}
