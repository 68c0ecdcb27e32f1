package as_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/go-fed/activity/pub"
	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"github.com/cohort-course/cohort/activitypub/as"
)

// Our collection documents, as the discovery handlers write them: a Note
// whose replies embed their first page, the replies collection's front
// document with the same first page, its second page, the actor naming its
// featured collection, and that collection.
func collectionDocs(t *testing.T) (note, create, replies, page2, actor, featured []byte) {
	t.Helper()
	n := lessonNote()
	first := as.Page{ID: n.RepliesFirst, PartOf: n.Replies, Next: n.RepliesNext, Total: -1, Items: as.IRIItems(n.RepliesItems)}
	var err error
	for _, step := range []func() error{
		func() (err error) { note, err = as.Note(n); return },
		func() (err error) { create, err = as.Create(lesson+"#create", n); return },
		func() (err error) { replies, err = as.Collection(n.Replies, first); return },
		func() (err error) {
			page2, err = as.UnorderedCollectionPage(as.Page{ID: n.RepliesNext, PartOf: n.Replies, Prev: n.RepliesFirst, Total: -1,
				Items: as.IRIItems([]string{"https://other.example/users/bob/statuses/9"})})
			return
		},
		func() (err error) { actor, err = as.Actor(courseActor()); return },
		func() (err error) { featured, err = as.Featured(courseActor().Featured, []as.LessonNote{n}); return },
	} {
		if err = step(); err != nil {
			t.Fatal(err)
		}
	}
	return
}

// TestCollectionsReadBack: our own readers (the crawler's) find the same
// first page in the Note and at the collection's URL, follow next to the
// second page, and read the featured posts as embedded Notes.
func TestCollectionsReadBack(t *testing.T) {
	ctx := context.Background()
	note, _, replies, page2, actor, featured := collectionDocs(t)
	n := lessonNote()

	embedded, err := as.RepliesOf(note)
	if err != nil {
		t.Fatal(err)
	}
	served, err := as.ParseCollectionPage(replies)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]as.CollectionPage{"the Note's replies": embedded, "the replies collection": served} {
		if len(p.Items) != 1 || p.Items[0].ID != n.RepliesItems[0] || p.Next != n.RepliesNext {
			t.Errorf("%s read as %+v, want item %s and next %s", name, p, n.RepliesItems[0], n.RepliesNext)
		}
	}
	p2, err := as.ParseCollectionPage(page2)
	if err != nil || len(p2.Items) != 1 || p2.Next != "" {
		t.Errorf("second page read as %+v, %v; want one item and no next", p2, err)
	}

	if _, err := as.ParseActor(ctx, actor); err != nil {
		t.Errorf("actor with featured: %v", err)
	}
	f, err := as.ParseCollectionPage(featured)
	if err != nil || len(f.Items) != 1 || f.Items[0].ID != lesson || f.Items[0].Embedded == nil {
		t.Fatalf("featured read as %+v, %v; want the lesson embedded", f, err)
	}
	r, err := as.ParseNote(ctx, f.Items[0].Embedded)
	if err != nil || r.ID != lesson {
		t.Errorf("featured Note read as %+v, %v", r, err)
	}
}

// resolve reads a document into go-fed's vocabulary, as GoToSocial does
// with its fork of the same library (internal/ap/resolve.go).
func resolve(t *testing.T, data []byte) vocab.Type {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	v, err := streams.ToType(context.Background(), m)
	if err != nil {
		t.Fatalf("%v:\n%s", err, data)
	}
	return v
}

// gtsFirstPage finds a status's replies the way GoToSocial does before it
// walks a thread (superseriousbusiness/gotosocial
// internal/federation/dereferencing/collection.go,
// getAttachedStatusCollectionPage): an embedded Collection whose first is
// an embedded CollectionPage, or the Ordered pair; anything else gets
// "replies without collection page" in its log and no walk. It returns the
// kind of collection and the page's items and next.
func gtsFirstPage(t *testing.T, replies vocab.ActivityStreamsRepliesProperty) (kind string, items []string, next string) {
	t.Helper()
	if replies == nil {
		t.Fatal("no replies property")
	}
	if c := replies.GetActivityStreamsCollection(); c != nil && c.GetActivityStreamsFirst() != nil {
		if p := c.GetActivityStreamsFirst().GetActivityStreamsCollectionPage(); p != nil {
			for it := p.GetActivityStreamsItems().Begin(); it != nil; it = it.Next() {
				id, err := pub.ToId(it)
				if err != nil {
					t.Fatal(err)
				}
				items = append(items, id.String())
			}
			if p.GetActivityStreamsNext() != nil {
				next = p.GetActivityStreamsNext().GetIRI().String()
			}
			return "Collection", items, next
		}
	}
	if c := replies.GetActivityStreamsOrderedCollection(); c != nil && c.GetActivityStreamsFirst() != nil {
		if p := c.GetActivityStreamsFirst().GetActivityStreamsOrderedCollectionPage(); p != nil {
			return "OrderedCollection", nil, ""
		}
	}
	t.Fatal("replies without collection page: GoToSocial logs a warning and does not walk the thread")
	return "", nil, ""
}

// TestGoToSocialReadsOurCollections reads our documents as GoToSocial
// does: the Note, alone and in the Create it receives, has a replies
// collection with an embedded first page; the /replies documents are of the
// same kinds (a Collection, then CollectionPages: its ResolveCollection and
// ResolveCollectionPage in internal/ap/resolve.go take either kind, but
// only ever the one the Note started with); the actor's featured is an IRI
// (internal/ap/properties.go, GetFeatured) to a collection whose items are
// on its host and by the actor (internal/federation/dereferencing/
// account.go, dereferenceAccountFeatured).
func TestGoToSocialReadsOurCollections(t *testing.T) {
	note, create, replies, page2, actor, featured := collectionDocs(t)
	n := lessonNote()

	noteV, ok := resolve(t, note).(vocab.ActivityStreamsNote)
	if !ok {
		t.Fatal("the lesson is not a Note")
	}
	kind, items, next := gtsFirstPage(t, noteV.GetActivityStreamsReplies())
	if !slices.Equal(items, n.RepliesItems) || next != n.RepliesNext {
		t.Errorf("GoToSocial reads the Note's first page as %v next %q, want %v next %q", items, next, n.RepliesItems, n.RepliesNext)
	}
	createV, ok := resolve(t, create).(vocab.ActivityStreamsCreate)
	if !ok || createV.GetActivityStreamsObject().Len() != 1 {
		t.Fatal("the Create does not carry one object")
	}
	inner := createV.GetActivityStreamsObject().At(0).GetActivityStreamsNote()
	if inner == nil {
		t.Fatal("the Create's object is not a Note")
	}
	if k, _, _ := gtsFirstPage(t, inner.GetActivityStreamsReplies()); k != kind {
		t.Errorf("the delivered Note's replies are a %s, the served Note's a %s", k, kind)
	}

	front := resolve(t, replies)
	if front.GetTypeName() != kind {
		t.Errorf("/replies is a %s, the Note's replies a %s", front.GetTypeName(), kind)
	}
	if c, ok := front.(vocab.ActivityStreamsCollection); !ok || c.GetActivityStreamsFirst().GetActivityStreamsCollectionPage() == nil {
		t.Errorf("/replies does not embed a CollectionPage as its first")
	}
	if p := resolve(t, page2); p.GetTypeName() != kind+"Page" {
		t.Errorf("/replies?page=2 is a %s, want %sPage", p.GetTypeName(), kind)
	}

	actorV, ok := resolve(t, actor).(vocab.ActivityStreamsService)
	if !ok {
		t.Fatal("the course actor is not a Service")
	}
	fp := actorV.GetTootFeatured()
	if fp == nil || !fp.IsIRI() || fp.GetIRI().String() != courseActor().Featured {
		t.Fatalf("GoToSocial finds no featured IRI on the actor")
	}
	fv := resolve(t, featured)
	col, ok := fv.(vocab.ActivityStreamsOrderedCollection)
	if !ok {
		t.Fatalf("featured is a %s, want an OrderedCollection", fv.GetTypeName())
	}
	featuredURL, _ := url.Parse(courseActor().Featured)
	count := 0
	for it := col.GetActivityStreamsOrderedItems().Begin(); it != nil; it = it.Next() {
		id, err := pub.ToId(it)
		if err != nil {
			t.Fatal(err)
		}
		if id.Host != featuredURL.Host {
			t.Errorf("featured item %s is not on the collection's host: GoToSocial skips it", id)
		}
		n := it.GetActivityStreamsNote()
		if n == nil || n.GetActivityStreamsAttributedTo().Len() != 1 || n.GetActivityStreamsAttributedTo().At(0).GetIRI().String() != course {
			t.Errorf("featured item %s is not a Note by the course actor: GoToSocial does not pin it", id)
		}
		count++
	}
	if count != 1 {
		t.Errorf("featured has %d items, want 1", count)
	}
}
