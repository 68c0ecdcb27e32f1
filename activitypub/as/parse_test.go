package as_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t *testing.T, name string) *as.Activity {
	t.Helper()
	a, err := as.Parse(context.Background(), fixture(t, name))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return a
}

const (
	alice  = "https://mastodon.example/users/alice"
	lesson = "https://course.example.org/lessons/intro-to-go"
	course = "https://course.example.org/actor"
)

func TestParseCreateReply(t *testing.T) {
	a := parse(t, "mastodon-create-reply.json")
	if a.Kind != as.KindCreate || a.ID != alice+"/statuses/110186684417144088/activity" || a.Actor != alice {
		t.Fatalf("activity = %+v", a)
	}
	if a.ObjectType != "Note" || a.Object != alice+"/statuses/110186684417144088" {
		t.Errorf("object = %q %q", a.ObjectType, a.Object)
	}
	r := a.Reply
	if r == nil {
		t.Fatal("no Reply")
	}
	want := activitypub.Reply{
		ID:         alice + "/statuses/110186684417144088",
		InReplyTo:  lesson,
		Actor:      alice,
		URL:        "https://mastodon.example/@alice/110186684417144088",
		Published:  time.Date(2023, 4, 12, 16, 2, 55, 0, time.UTC),
		Visibility: activitypub.Public,
		To:         []string{activitypub.PublicCollection},
		Cc:         []string{alice + "/followers", course, "https://other.example/users/bob"},
	}
	got := *r
	got.Content = ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Reply =\n%+v\nwant\n%+v", got, want)
	}
	if !strings.HasPrefix(r.Content, `<p><span class="h-card">`) || !strings.Contains(r.Content, "Fastly.</p>") {
		t.Errorf("Content = %q", r.Content)
	}
	if !reflect.DeepEqual(a.Mentions, []string{course, "https://other.example/users/bob"}) {
		t.Errorf("Mentions = %q", a.Mentions)
	}
	if len(a.CC) != 3 || a.To[0] != activitypub.PublicCollection {
		t.Errorf("To, CC = %q, %q", a.To, a.CC)
	}
}

func TestParseCreateWithAttachment(t *testing.T) {
	a := parse(t, "mastodon-create-with-attachment.json")
	r := a.Reply
	if r == nil || r.InReplyTo != "" {
		t.Fatalf("Reply = %+v", r)
	}
	want := []activitypub.Attachment{{
		URL:       "https://files.mastodon.example/media_attachments/files/111/000/969/389/195/221/original/f264dc16c1ce2a45.png",
		MediaType: "image/png",
		Alt:       "Screenshot from Capture One (edit RAW photos software) with a lot of different kind of photos.",
	}}
	if !reflect.DeepEqual(r.Attachments, want) {
		t.Errorf("Attachments = %+v", r.Attachments)
	}
	if r.Summary != "" || r.Sensitive {
		t.Errorf("null summary / false sensitive read as %q / %v", r.Summary, r.Sensitive)
	}
}

func TestParseUpdateNote(t *testing.T) {
	a := parse(t, "mastodon-update-note.json")
	if a.Kind != as.KindUpdate || a.Reply == nil {
		t.Fatalf("activity = %+v", a)
	}
	if want := time.Date(2023, 4, 12, 16, 10, 31, 0, time.UTC); !a.Reply.Updated.Equal(want) {
		t.Errorf("Updated = %v, want %v", a.Reply.Updated, want)
	}
	if !strings.Contains(a.Reply.Content, "(edited)") {
		t.Errorf("Content = %q", a.Reply.Content)
	}
}

func TestParseDeletes(t *testing.T) {
	tests := []struct {
		file, object, objectType string
		deletesActor             bool
	}{
		{"mastodon-delete-note.json", alice + "/statuses/110186684417144088", "Tombstone", false},
		{"mastodon-delete-actor.json", alice, "", true},
	}
	for _, tt := range tests {
		a := parse(t, tt.file)
		if a.Kind != as.KindDelete || a.Object != tt.object || a.ObjectType != tt.objectType || a.DeletesActor != tt.deletesActor {
			t.Errorf("%s: %+v", tt.file, a)
		}
	}
}

func TestParseFollowLikeAnnounce(t *testing.T) {
	tests := []struct {
		file   string
		kind   as.Kind
		id     string
		object string
	}{
		{"mastodon-follow.json", as.KindFollow, "https://mastodon.example/bd06bb61-01e0-447a-9dc8-95915db9aec8", course},
		{"mastodon-like.json", as.KindLike, alice + "#likes/527686956", lesson},
		{"mastodon-announce.json", as.KindAnnounce, alice + "/statuses/111330332088404363/activity", lesson},
	}
	for _, tt := range tests {
		a := parse(t, tt.file)
		if a.Kind != tt.kind || a.ID != tt.id || a.Object != tt.object || a.Actor != alice || a.ObjectType != "" {
			t.Errorf("%s: %+v", tt.file, a)
		}
	}
}

func TestParseUndoFollow(t *testing.T) {
	a := parse(t, "mastodon-undo-follow.json")
	if a.Kind != as.KindUndo || a.ObjectType != "Follow" || a.Object != "https://mastodon.example/bd06bb61-01e0-447a-9dc8-95915db9aec8" {
		t.Fatalf("%+v", a)
	}
	if a.Inner == nil || a.Inner.Kind != as.KindFollow || a.Inner.Object != course || a.Inner.Actor != alice {
		t.Errorf("Inner = %+v", a.Inner)
	}
}

func TestParseWebFinger(t *testing.T) {
	got, err := as.WebFingerActor(fixture(t, "mastodon-webfinger.json"))
	if err != nil || !strings.HasPrefix(got, "https://") {
		t.Fatalf("WebFingerActor = %q, %v", got, err)
	}
	if _, err := as.Parse(context.Background(), fixture(t, "mastodon-webfinger.json")); !errors.Is(err, as.ErrInvalid) {
		t.Errorf("Parse(webfinger) err = %v, want ErrInvalid", err)
	}
}

func TestParseActorFixture(t *testing.T) {
	a, err := as.ParseActor(context.Background(), fixture(t, "mastodon-actor.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := activitypub.Actor{
		ID: alice, Type: "Person", Inbox: alice + "/inbox", SharedInbox: "https://mastodon.example/inbox",
		Followers: alice + "/followers", PreferredUsername: "alice", Name: "Alice",
		IconURL:     "https://files.mastodon.example/accounts/avatars/115/871/897/412/638/518/original/82ac2397bf2dcde1.png",
		URL:         "https://mastodon.example/@alice",
		PublicKeyID: alice + "#main-key",
	}
	pem := a.PublicKeyPEM
	if len(a.Keys) != 1 || a.Keys[0] != (activitypub.ActorKey{ID: alice + "#main-key", Owner: alice, PEM: pem}) {
		t.Errorf("Keys = %+v", a.Keys)
	}
	a.PublicKeyPEM, a.Keys = "", nil
	if !reflect.DeepEqual(a, want) {
		t.Errorf("ParseActor =\n%+v\nwant\n%+v", a, want)
	}
	if !strings.HasPrefix(pem, "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("PEM = %.40q", pem)
	}
	k, err := as.ParseKey(context.Background(), fixture(t, "mastodon-actor.json"), alice+"#main-key")
	if err != nil || k.Owner != alice || k.PEM != pem {
		t.Errorf("ParseKey = %+v, %v", k, err)
	}
}

// TestEveryFixtureParses makes sure no fixture is left untested: each is read
// by Parse, ParseActor or WebFingerActor without error.
func TestEveryFixtureParses(t *testing.T) {
	files, _ := filepath.Glob("testdata/mastodon-*.json")
	if len(files) < 11 { // every JSON fixture of ../shared/fixtures
		t.Fatalf("only %d fixtures in testdata", len(files))
	}
	for _, f := range files {
		b := fixture(t, filepath.Base(f))
		var err error
		switch filepath.Base(f) {
		case "mastodon-actor.json":
			_, err = as.ParseActor(context.Background(), b)
		case "mastodon-webfinger.json":
			_, err = as.WebFingerActor(b)
		default:
			var a *as.Activity
			a, err = as.Parse(context.Background(), b)
			if err == nil && a.Kind == as.KindUnknown {
				t.Errorf("%s: routed as unknown", f)
			}
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestParseQuirks(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		check func(t *testing.T, a *as.Activity)
	}{
		{
			name: "single to and cc strings, single tag and attachment objects",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/c/1","type":"Create","actor":"https://a.example/u/a",
				"object":{"id":"https://a.example/n/1","type":"Note","attributedTo":"https://a.example/u/a","inReplyTo":"https://course.example.org/l/1",
				"to":"https://www.w3.org/ns/activitystreams#Public","cc":"https://a.example/u/a/followers","content":"<p>hi</p>",
				"tag":{"type":"Mention","href":"https://course.example.org/actor","name":"@course"},
				"attachment":{"type":"Image","url":"https://a.example/i.png","mediaType":"image/png","name":"a cat"}}}`,
			check: func(t *testing.T, a *as.Activity) {
				r := a.Reply
				if r.Visibility != activitypub.Public || len(r.Attachments) != 1 || r.Attachments[0].Alt != "a cat" || len(a.Mentions) != 1 {
					t.Errorf("%+v mentions %q", r, a.Mentions)
				}
			},
		},
		{
			name: "contentMap only, summary as content warning, sensitive",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/c/2","type":"Create","actor":"https://a.example/u/a",
				"object":{"id":"https://a.example/n/2","type":"Note","contentMap":{"nl":"<p>hallo</p>","en":"<p>hello</p>"},"summary":"spoilers","sensitive":true,
				"cc":["as:Public"]}}`,
			check: func(t *testing.T, a *as.Activity) {
				r := a.Reply
				if r.Content != "<p>hello</p>" || r.Summary != "spoilers" || !r.Sensitive || r.Visibility != activitypub.Unlisted {
					t.Errorf("%+v", r)
				}
				if r.Actor != "https://a.example/u/a" {
					t.Errorf("Actor without attributedTo = %q, want the activity's actor", r.Actor)
				}
			},
		},
		{
			name: "followers-only reply",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/c/3","type":"Create","actor":"https://a.example/u/a",
				"object":{"id":"https://a.example/n/3","type":"Note","to":["https://a.example/u/a/followers"],"content":"x"}}`,
			check: func(t *testing.T, a *as.Activity) {
				if a.Reply.Visibility != activitypub.FollowersOnly {
					t.Errorf("Visibility = %q", a.Reply.Visibility)
				}
			},
		},
		{
			name: "direct reply",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/c/4","type":"Create","actor":"https://a.example/u/a",
				"object":{"id":"https://a.example/n/4","type":"Note","to":["https://course.example.org/actor"],"content":"x"}}`,
			check: func(t *testing.T, a *as.Activity) {
				if a.Reply.Visibility != activitypub.Direct {
					t.Errorf("Visibility = %q", a.Reply.Visibility)
				}
			},
		},
		{
			name: "Delete with a bare object id of a reply we never had",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/d/1","type":"Delete","actor":"https://a.example/u/a","object":"https://a.example/n/999"}`,
			check: func(t *testing.T, a *as.Activity) {
				if a.Object != "https://a.example/n/999" || a.DeletesActor {
					t.Errorf("%+v", a)
				}
			},
		},
		{
			name: "Undo of an embedded Like",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/u/a#likes/1/undo","type":"Undo","actor":"https://a.example/u/a",
				"object":{"id":"https://a.example/u/a#likes/1","type":"Like","actor":"https://a.example/u/a","object":"https://course.example.org/l/1"}}`,
			check: func(t *testing.T, a *as.Activity) {
				if a.ObjectType != "Like" || a.Inner == nil || a.Inner.Object != "https://course.example.org/l/1" {
					t.Errorf("%+v inner %+v", a, a.Inner)
				}
			},
		},
		{
			name: "Undo by reference",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/x","type":"Undo","actor":"https://a.example/u/a","object":"https://a.example/u/a#likes/1"}`,
			check: func(t *testing.T, a *as.Activity) {
				if a.Object != "https://a.example/u/a#likes/1" || a.ObjectType != "" || a.Inner != nil {
					t.Errorf("%+v", a)
				}
			},
		},
		{
			name: "Accept of our Follow, embedded",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/acc/1","type":"Accept","actor":"https://a.example/u/a",
				"object":{"id":"https://course.example.org/follows/1","type":"Follow","actor":"https://course.example.org/actor","object":"https://a.example/u/a"}}`,
			check: func(t *testing.T, a *as.Activity) {
				if a.Kind != as.KindAccept || a.Object != "https://course.example.org/follows/1" || a.Inner.Kind != as.KindFollow {
					t.Errorf("%+v", a)
				}
			},
		},
		{
			name: "Reject by reference",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/rej/1","type":"Reject","actor":"https://a.example/u/a","object":"https://course.example.org/follows/1"}`,
			check: func(t *testing.T, a *as.Activity) {
				if a.Kind != as.KindReject || a.Object != "https://course.example.org/follows/1" {
					t.Errorf("%+v", a)
				}
			},
		},
		{
			name: "unknown type known to go-fed",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/m/1","type":"Move","actor":"https://a.example/u/a","object":"https://a.example/u/a"}`,
			check: func(t *testing.T, a *as.Activity) {
				if a.Kind != as.KindUnknown || a.Type != "Move" || a.ID != "https://a.example/m/1" {
					t.Errorf("%+v", a)
				}
			},
		},
		{
			name: "extension type go-fed does not know",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/r/1","type":"EmojiReact","actor":"https://a.example/u/a","object":"https://course.example.org/l/1","content":"🔥"}`,
			check: func(t *testing.T, a *as.Activity) {
				if a.Kind != as.KindUnknown || a.Type != "EmojiReact" {
					t.Errorf("%+v", a)
				}
			},
		},
		{
			name: "Create of an Article uses name when there is no content",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/c/5","type":"Create","actor":"https://a.example/u/a",
				"object":{"id":"https://a.example/a/5","type":"Article","name":"Title","url":{"type":"Link","href":"https://a.example/a/5.html"}}}`,
			check: func(t *testing.T, a *as.Activity) {
				if a.Reply == nil || a.Reply.Content != "Title" || a.Reply.URL != "https://a.example/a/5.html" {
					t.Errorf("%+v", a.Reply)
				}
			},
		},
		{
			name: "Create of an Image is not a reply",
			json: `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/c/6","type":"Create","actor":"https://a.example/u/a",
				"object":{"id":"https://a.example/i/6","type":"Image","url":"https://a.example/i.png"}}`,
			check: func(t *testing.T, a *as.Activity) {
				if a.Reply != nil || a.ObjectType != "Image" {
					t.Errorf("%+v", a)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := as.Parse(context.Background(), []byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, a)
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := map[string]string{
		"not JSON":         `{"type":`,
		"an array":         `[1,2]`,
		"null":             `null`,
		"no type":          `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1"}`,
		"no context":       `{"type":"Follow","id":"https://a.example/1","actor":"https://a.example/u","object":"https://b.example/u"}`,
		"no id":            `{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow","actor":"https://a.example/u","object":"https://b.example/u"}`,
		"no actor":         `{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow","id":"https://a.example/1","object":"https://b.example/u"}`,
		"no object":        `{"@context":"https://www.w3.org/ns/activitystreams","type":"Like","id":"https://a.example/1","actor":"https://a.example/u"}`,
		"Note without id":  `{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"https://a.example/1","actor":"https://a.example/u","object":{"type":"Note","content":"x"}}`,
		"type is a number": `{"@context":"https://www.w3.org/ns/activitystreams","type":5,"id":"https://a.example/1"}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			a, err := as.Parse(context.Background(), []byte(in))
			if !errors.Is(err, as.ErrInvalid) {
				t.Fatalf("Parse = %+v, %v; want ErrInvalid", a, err)
			}
		})
	}
}

func TestParseActorInvalid(t *testing.T) {
	tests := map[string]string{
		"a Note":          `{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","id":"https://a.example/n"}`,
		"no inbox":        `{"@context":"https://www.w3.org/ns/activitystreams","type":"Person","id":"https://a.example/u"}`,
		"someone's key":   `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],"type":"Person","id":"https://a.example/u","inbox":"https://a.example/u/inbox","publicKey":{"id":"https://b.example/v#main-key","owner":"https://b.example/v","publicKeyPem":"x"}}`,
		"not json at all": `<html>`,
	}
	for name, in := range tests {
		if _, err := as.ParseActor(context.Background(), []byte(in)); !errors.Is(err, as.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestParseKeyDocument(t *testing.T) {
	doc := `{"@context":"https://w3id.org/security/v1","id":"https://gts.example/users/bob/main-key","owner":"https://gts.example/users/bob","publicKeyPem":"-----BEGIN PUBLIC KEY-----\n..."}`
	k, err := as.ParseKey(context.Background(), []byte(doc), "https://gts.example/users/bob/main-key")
	if err != nil || k.Owner != "https://gts.example/users/bob" {
		t.Fatalf("ParseKey = %+v, %v", k, err)
	}
	if _, err := as.ParseKey(context.Background(), []byte(doc), "https://gts.example/users/eve/main-key"); !errors.Is(err, as.ErrInvalid) {
		t.Errorf("key under another id: err = %v", err)
	}
}

func TestIsActivityJSON(t *testing.T) {
	for mt, want := range map[string]bool{
		"application/activity+json":                                            true,
		"application/activity+json; charset=utf-8":                             true,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`: true,
		"application/ld+json":                                                  false,
		"application/json":                                                     false,
		"text/html":                                                            false,
	} {
		if got := as.IsActivityJSON(mt); got != want {
			t.Errorf("IsActivityJSON(%q) = %v", mt, got)
		}
	}
}

// FuzzParse: Parse never panics, and never returns a Reply without an id.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/mastodon-*.json")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"x","type":"Create","actor":"a","object":{"type":"Note"}}`))
	f.Add([]byte(`{"@context":[],"type":["Undo"],"id":"x","actor":["a"],"object":[{"type":"Undo","object":{"type":"Undo"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := as.Parse(context.Background(), data)
		if err != nil {
			return
		}
		if a == nil {
			t.Fatal("nil activity without an error")
		}
		if a.Reply != nil && a.Reply.ID == "" {
			t.Fatalf("reply without id from %s", data)
		}
		if a.Kind != as.KindUnknown && (a.ID == "" || a.Actor == "" || a.Object == "") {
			t.Fatalf("routed activity missing id, actor or object: %+v", a)
		}
	})
}

// TestParseHashtags: a post's Hashtag tags, as each family writes them,
// are read by name; HasHashtag matches the course tag with or without its
// '#' and in any case; a Mention, a tag without a name, or the tag only in
// the text are not hashtags.
func TestParseHashtags(t *testing.T) {
	post := func(tag string) []byte {
		return []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://social.example/notes/1/activity","type":"Create",
"actor":"https://social.example/users/a","to":["https://www.w3.org/ns/activitystreams#Public"],
"object":{"id":"https://social.example/notes/1","type":"Note","attributedTo":"https://social.example/users/a",
"to":["https://www.w3.org/ns/activitystreams#Public"],"content":"<p>#SocialCourse in the text</p>","tag":` + tag + `}}`)
	}
	tests := []struct {
		name, tag string
		want      bool
	}{
		{"Mastodon: an array, #name", `[{"type":"Mention","href":"https://course.example.org/actor","name":"@course"},{"type":"Hashtag","href":"https://social.example/tags/socialcourse","name":"#socialcourse"}]`, true},
		{"GoToSocial: one tag, not an array", `{"type":"Hashtag","href":"https://social.example/tags/socialcourse","name":"#socialcourse"}`, true},
		{"Misskey: the case as typed", `[{"type":"Hashtag","href":"https://social.example/tags/SocialCourse","name":"#SocialCourse"}]`, true},
		{"a name without its #", `[{"type":"Hashtag","name":"socialcourse"}]`, true},
		{"another tag", `[{"type":"Hashtag","name":"#socialcourses"}]`, false},
		{"a Mention named like the tag", `[{"type":"Mention","href":"https://social.example/users/socialcourse","name":"#socialcourse"}]`, false},
		{"a Hashtag without a name", `[{"type":"Hashtag","href":"https://social.example/tags/socialcourse"}]`, false},
		{"no tags: the text alone is no tag", `[]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := as.Parse(context.Background(), post(tt.tag))
			if err != nil {
				t.Fatal(err)
			}
			for _, course := range []string{"socialcourse", "#socialcourse", "#SOCIALCOURSE"} {
				if got := a.HasHashtag(course); got != tt.want {
					t.Errorf("HasHashtag(%q) = %v, want %v (hashtags %q)", course, got, tt.want, a.Hashtags)
				}
			}
		})
	}
}
