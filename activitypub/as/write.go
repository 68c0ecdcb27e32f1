package as

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// The JSON-LD vocabularies our documents use.
const (
	ActivityStreamsContext = "https://www.w3.org/ns/activitystreams"
	SecurityContext        = "https://w3id.org/security/v1"
)

// actorTerms are the extension terms of the actor document, in the order
// they are written; Mastodon reads these names.
type actorTerms struct {
	ManuallyApprovesFollowers string `json:"manuallyApprovesFollowers"`
	Toot                      string `json:"toot"`
	Featured                  idTerm `json:"featured"`
	Discoverable              string `json:"discoverable"`
	Indexable                 string `json:"indexable"`
	Schema                    string `json:"schema"`
	PropertyValue             string `json:"PropertyValue"`
	Value                     string `json:"value"`
}

var actorContext = []any{ActivityStreamsContext, SecurityContext, actorTerms{
	ManuallyApprovesFollowers: "as:manuallyApprovesFollowers",
	Toot:                      "http://joinmastodon.org/ns#",
	Featured:                  idTerm{ID: "toot:featured", Type: "@id"},
	Discoverable:              "toot:discoverable",
	Indexable:                 "toot:indexable",
	Schema:                    "http://schema.org#",
	PropertyValue:             "schema:PropertyValue",
	Value:                     "schema:value",
}}

// idTerm defines a term whose value is an IRI, as Mastodon's context defines
// featured (app/helpers/context_helper.rb in mastodon/mastodon).
type idTerm struct {
	ID   string `json:"@id"`
	Type string `json:"@type"`
}

// noteTerms are the extension terms of a Note and the activities that carry
// one.
type noteTerms struct {
	Sensitive string `json:"sensitive"`
	Hashtag   string `json:"Hashtag"`
}

var noteContext = []any{ActivityStreamsContext, noteTerms{Sensitive: "as:sensitive", Hashtag: "as:Hashtag"}}

// Field is a profile metadata entry (a PropertyValue): a name and an HTML
// value, shown as a table on the profile.
type Field struct {
	Name  string
	Value string
}

// CourseActor describes the course's own account.
type CourseActor struct {
	ID                string    // the actor URI
	Type              string    // "Service" (a bot badge on Mastodon) or "Person"; empty means Service
	PreferredUsername string    // the handle's local part
	Name              string    // display name
	Summary           string    // bio, HTML
	URL               string    // the course site
	Inbox             string    // the actor's inbox
	SharedInbox       string    // the server's shared inbox; often the same URL
	Outbox            string    // the outbox collection
	Followers         string    // the followers collection
	Following         string    // the following collection; empty omits it
	Featured          string    // the featured collection (pinned posts); empty omits it
	IconURL           string    // avatar
	IconMediaType     string    // e.g. image/png
	Published         time.Time // when the course account was created; zero omits it
	KeyID             string    // publicKey.id, usually ID + "#main-key"
	PublicKeyPEM      string    // PKIX PEM
	Fields            []Field   // profile metadata
	Discoverable      bool      // may appear in directories and search
	ManuallyApproves  bool      // follows need approval
}

type publicKey struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

type propertyValue struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

type endpoints struct {
	SharedInbox string `json:"sharedInbox,omitempty"`
}

type image struct {
	Type      string `json:"type"`
	MediaType string `json:"mediaType,omitempty"`
	URL       string `json:"url"`
}

type actorDoc struct {
	Context                   []any           `json:"@context"`
	ID                        string          `json:"id"`
	Type                      string          `json:"type"`
	PreferredUsername         string          `json:"preferredUsername"`
	Name                      string          `json:"name,omitempty"`
	Summary                   string          `json:"summary,omitempty"`
	URL                       string          `json:"url,omitempty"`
	Inbox                     string          `json:"inbox"`
	Outbox                    string          `json:"outbox,omitempty"`
	Followers                 string          `json:"followers,omitempty"`
	Following                 string          `json:"following,omitempty"`
	Featured                  string          `json:"featured,omitempty"`
	ManuallyApprovesFollowers bool            `json:"manuallyApprovesFollowers"`
	Discoverable              bool            `json:"discoverable"`
	Indexable                 bool            `json:"indexable"`
	Published                 string          `json:"published,omitempty"`
	PublicKey                 publicKey       `json:"publicKey"`
	Attachment                []propertyValue `json:"attachment"`
	Endpoints                 *endpoints      `json:"endpoints,omitempty"`
	Icon                      *image          `json:"icon,omitempty"`
}

// Actor returns the course actor's document.
func Actor(a CourseActor) ([]byte, error) {
	typ := a.Type
	if typ == "" {
		typ = "Service"
	}
	d := actorDoc{
		Context:                   actorContext,
		ID:                        a.ID,
		Type:                      typ,
		PreferredUsername:         a.PreferredUsername,
		Name:                      a.Name,
		Summary:                   a.Summary,
		URL:                       a.URL,
		Inbox:                     a.Inbox,
		Outbox:                    a.Outbox,
		Followers:                 a.Followers,
		Following:                 a.Following,
		Featured:                  a.Featured,
		ManuallyApprovesFollowers: a.ManuallyApproves,
		Discoverable:              a.Discoverable,
		Indexable:                 a.Discoverable,
		Published:                 timestamp(a.Published),
		PublicKey:                 publicKey{ID: a.KeyID, Owner: a.ID, PublicKeyPem: a.PublicKeyPEM},
		Attachment:                []propertyValue{},
	}
	for _, f := range a.Fields {
		d.Attachment = append(d.Attachment, propertyValue{Type: "PropertyValue", Name: f.Name, Value: f.Value})
	}
	if a.SharedInbox != "" {
		d.Endpoints = &endpoints{SharedInbox: a.SharedInbox}
	}
	if a.IconURL != "" {
		d.Icon = &image{Type: "Image", MediaType: a.IconMediaType, URL: a.IconURL}
	}
	return marshal(d)
}

// Tag is a Hashtag or Mention on a Note.
type Tag struct {
	Type string `json:"type"` // "Hashtag" or "Mention"
	Href string `json:"href"`
	Name string `json:"name"` // "#golang" or "@alice@mastodon.example"
}

// LessonNote is a lesson as a post of the course actor.
type LessonNote struct {
	ID           string // the object URI, also where it is fetched
	URL          string // the lesson page
	AttributedTo string // the course actor
	Followers    string // the course actor's followers, put in cc
	// FollowersOnly addresses the Note to the followers alone (to: the
	// followers, no public collection anywhere): a private cohort's post.
	FollowersOnly bool
	Summary       string    // content warning / teaser; written exactly as given
	Content       string    // HTML: title, teaser, prompt, link
	Language      string    // BCP 47 tag for contentMap; empty omits contentMap
	Published     time.Time // release time
	Updated       time.Time // last change; zero omits it
	Replies       string    // the replies collection URI
	RepliesFirst  string    // its first page URI, embedded with the items below; empty omits first
	RepliesItems  []string  // the ids of the replies on the first page
	RepliesNext   string    // the second page; empty when the first holds them all
	Tags          []Tag     // hashtags and mentions
	Sensitive     bool      // Mastodon hides content behind the summary
	// Mentioned are the actor ids of the Mention tags, put in cc as
	// Mastodon addresses the accounts a post mentions.
	Mentioned []string
}

// repliesDoc is a Note's replies collection with its first page embedded,
// as Mastodon writes it (app/serializers/activitypub/note_serializer.rb,
// replies): GoToSocial reads only an embedded first page of the same kind
// (internal/federation/dereferencing/collection.go,
// getAttachedStatusCollectionPage) and logs a warning without one.
type repliesDoc struct {
	ID    string             `json:"id"`
	Type  string             `json:"type"`
	First *collectionPageDoc `json:"first,omitempty"`
}

type noteDoc struct {
	Context      []any             `json:"@context,omitempty"`
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	Summary      *string           `json:"summary"`
	InReplyTo    *string           `json:"inReplyTo"`
	Published    string            `json:"published"`
	Updated      string            `json:"updated,omitempty"`
	URL          string            `json:"url"`
	AttributedTo string            `json:"attributedTo"`
	To           []string          `json:"to"`
	CC           []string          `json:"cc"`
	Sensitive    bool              `json:"sensitive"`
	Content      string            `json:"content"`
	ContentMap   map[string]string `json:"contentMap,omitempty"`
	Attachment   []any             `json:"attachment"`
	Tag          []Tag             `json:"tag"`
	Replies      *repliesDoc       `json:"replies,omitempty"`
}

func (n LessonNote) doc() noteDoc {
	d := noteDoc{
		ID:           n.ID,
		Type:         "Note",
		Published:    timestamp(n.Published),
		Updated:      timestamp(n.Updated),
		URL:          n.URL,
		AttributedTo: n.AttributedTo,
		To:           []string{activitypub.PublicCollection},
		CC:           []string{},
		Sensitive:    n.Sensitive,
		Content:      n.Content,
		Attachment:   []any{},
		Tag:          n.Tags,
	}
	if n.Summary != "" {
		s := n.Summary
		d.Summary = &s
	}
	switch {
	case n.FollowersOnly:
		d.To = []string{n.Followers}
	case n.Followers != "":
		d.CC = append(d.CC, n.Followers)
	}
	d.CC = append(d.CC, n.Mentioned...)
	if n.Language != "" {
		d.ContentMap = map[string]string{n.Language: n.Content}
	}
	if d.Tag == nil {
		d.Tag = []Tag{}
	}
	if n.Replies != "" {
		d.Replies = &repliesDoc{ID: n.Replies, Type: "Collection"}
		if n.RepliesFirst != "" {
			d.Replies.First = Page{ID: n.RepliesFirst, PartOf: n.Replies, Next: n.RepliesNext, Total: -1,
				Items: IRIItems(n.RepliesItems)}.unordered()
		}
	}
	return d
}

// Note returns the lesson's Note document, as served at its id.
func Note(n LessonNote) ([]byte, error) {
	d := n.doc()
	d.Context = noteContext
	return marshal(d)
}

type activityDoc struct {
	Context   []any    `json:"@context"`
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	Actor     string   `json:"actor"`
	Published string   `json:"published,omitempty"`
	To        []string `json:"to,omitempty"`
	CC        []string `json:"cc,omitempty"`
	Object    any      `json:"object"`
}

// Create returns the Create activity that publishes a lesson's Note; id is
// the activity's own id, stable across retries.
func Create(id string, n LessonNote) ([]byte, error) {
	d := n.doc()
	return marshal(activityDoc{Context: noteContext, ID: id, Type: "Create", Actor: n.AttributedTo,
		Published: d.Published, To: d.To, CC: d.CC, Object: d})
}

// Update returns the Update activity for a changed lesson; n.Updated should
// be set, since Mastodon recognises edits by it.
func Update(id string, n LessonNote) ([]byte, error) {
	d := n.doc()
	return marshal(activityDoc{Context: noteContext, ID: id, Type: "Update", Actor: n.AttributedTo,
		Published: d.Updated, To: d.To, CC: d.CC, Object: d})
}

type tombstone struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Delete returns the Delete activity for a removed lesson object, with a
// Tombstone as its object, addressed to the public and the followers.
func Delete(id, actor, objectID, followers string) ([]byte, error) {
	cc := []string{}
	if followers != "" {
		cc = append(cc, followers)
	}
	return marshal(activityDoc{Context: []any{ActivityStreamsContext}, ID: id, Type: "Delete", Actor: actor,
		To: []string{activitypub.PublicCollection}, CC: cc, Object: tombstone{ID: objectID, Type: "Tombstone"}})
}

// DeleteFollowersOnly returns the Delete of a removed lesson object that
// was addressed to the followers only (a private cohort's post): to the
// followers, nothing public.
func DeleteFollowersOnly(id, actor, objectID, followers string) ([]byte, error) {
	return marshal(activityDoc{Context: []any{ActivityStreamsContext}, ID: id, Type: "Delete", Actor: actor,
		To: []string{followers}, CC: []string{}, Object: tombstone{ID: objectID, Type: "Tombstone"}})
}

// Reject returns the Reject of a Follow a moderator refused, embedding the
// Follow as Accept does.
func Reject(id, actor, followID, follower string) ([]byte, error) {
	return marshal(activityDoc{Context: []any{ActivityStreamsContext}, ID: id, Type: "Reject", Actor: actor,
		To: []string{follower}, Object: followDoc{ID: followID, Type: "Follow", Actor: follower, Object: actor}})
}

type followDoc struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Actor  string `json:"actor"`
	Object string `json:"object"`
}

// Accept returns the Accept of a Follow, embedding the Follow (its id, its
// actor and what it followed) as Mastodon expects.
func Accept(id, actor, followID, follower string) ([]byte, error) {
	return marshal(activityDoc{Context: []any{ActivityStreamsContext}, ID: id, Type: "Accept", Actor: actor,
		To: []string{follower}, Object: followDoc{ID: followID, Type: "Follow", Actor: follower, Object: actor}})
}

// Follow returns the course's Follow of a participant (a journal, issue
// 14), to the participant, as Mastodon writes one
// (app/serializers/activitypub/follow_serializer.rb: id, type, actor,
// object).
func Follow(id, actor, object string) ([]byte, error) {
	return marshal(activityDoc{Context: []any{ActivityStreamsContext}, ID: id, Type: "Follow", Actor: actor,
		To: []string{object}, Object: object})
}

// UndoFollow returns the Undo of the course's Follow followID of a
// participant, embedding the Follow as Mastodon's
// app/serializers/activitypub/undo_follow_serializer.rb does.
func UndoFollow(id, actor, followID, object string) ([]byte, error) {
	return marshal(activityDoc{Context: []any{ActivityStreamsContext}, ID: id, Type: "Undo", Actor: actor,
		To: []string{object}, Object: followDoc{ID: followID, Type: "Follow", Actor: actor, Object: object}})
}

// Announce returns a boost by the course actor of a participant's reply
// (objectID by author), public, to the followers and the author.
func Announce(id, actor, objectID, author, followers string, published time.Time) ([]byte, error) {
	cc := []string{}
	for _, a := range []string{author, followers} {
		if a != "" {
			cc = append(cc, a)
		}
	}
	return marshal(activityDoc{Context: []any{ActivityStreamsContext}, ID: id, Type: "Announce", Actor: actor,
		Published: timestamp(published), To: []string{activitypub.PublicCollection}, CC: cc, Object: objectID})
}

// announceDoc is an Announce embedded in an Undo, without its own context.
type announceDoc struct {
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	Actor     string   `json:"actor"`
	Published string   `json:"published,omitempty"`
	To        []string `json:"to,omitempty"`
	CC        []string `json:"cc,omitempty"`
	Object    string   `json:"object"`
}

// UndoAnnounce returns the Undo of a boost Announce wrote with the same
// announceID, objectID, author, followers and published: the whole
// Announce is embedded, as Mastodon sends it, so a receiver can match it
// without a fetch. It is addressed like the Announce.
func UndoAnnounce(id, actor, announceID, objectID, author, followers string, published time.Time) ([]byte, error) {
	cc := []string{}
	for _, a := range []string{author, followers} {
		if a != "" {
			cc = append(cc, a)
		}
	}
	inner := announceDoc{ID: announceID, Type: "Announce", Actor: actor, Published: timestamp(published),
		To: []string{activitypub.PublicCollection}, CC: cc, Object: objectID}
	return marshal(activityDoc{Context: []any{ActivityStreamsContext}, ID: id, Type: "Undo", Actor: actor,
		To: []string{activitypub.PublicCollection}, CC: cc, Object: inner})
}

type orderedCollection struct {
	Context    []any  `json:"@context"`
	ID         string `json:"id"`
	Type       string `json:"type"`
	TotalItems int    `json:"totalItems"`
	First      string `json:"first,omitempty"`
	Last       string `json:"last,omitempty"`
}

// OrderedCollection returns a collection's front document (outbox,
// followers, replies) pointing at its first and last pages.
func OrderedCollection(id string, total int, first, last string) ([]byte, error) {
	return marshal(orderedCollection{Context: []any{ActivityStreamsContext}, ID: id, Type: "OrderedCollection",
		TotalItems: total, First: first, Last: last})
}

type orderedCollectionPage struct {
	Context      []any             `json:"@context"`
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	TotalItems   *int              `json:"totalItems,omitempty"`
	PartOf       string            `json:"partOf"`
	Prev         string            `json:"prev,omitempty"`
	Next         string            `json:"next,omitempty"`
	OrderedItems []json.RawMessage `json:"orderedItems"`
}

// Page is one page of a collection, ordered or not.
type Page struct {
	ID     string            // this page's URI
	PartOf string            // the collection's URI
	Prev   string            // the previous page; empty on the first
	Next   string            // the next page; empty on the last
	Total  int               // items in the whole collection; -1 omits it
	Items  []json.RawMessage // each an IRI as a JSON string, or an embedded document without @context
}

// OrderedCollectionPage returns a page document.
func OrderedCollectionPage(p Page) ([]byte, error) {
	d := orderedCollectionPage{Context: []any{ActivityStreamsContext}, ID: p.ID, Type: "OrderedCollectionPage",
		PartOf: p.PartOf, Prev: p.Prev, Next: p.Next, OrderedItems: p.Items}
	if p.Total >= 0 {
		t := p.Total
		d.TotalItems = &t
	}
	if d.OrderedItems == nil {
		d.OrderedItems = []json.RawMessage{}
	}
	return marshal(d)
}

// The replies of a post are an unordered Collection of CollectionPages with
// items, as Mastodon serves them (app/serializers/activitypub/
// collection_serializer.rb, type; app/controllers/activitypub/
// replies_controller.rb): the Note's embedded replies, the /replies front
// document and its pages all use these two types, so a reader that follows
// first and next never meets a kind it did not start with. The outbox and
// the followers are ordered, as Mastodon's are.

// collectionPageDoc is a CollectionPage; embedded as a collection's first
// page it has no @context.
type collectionPageDoc struct {
	Context    []any             `json:"@context,omitempty"`
	ID         string            `json:"id,omitempty"`
	Type       string            `json:"type"`
	TotalItems *int              `json:"totalItems,omitempty"`
	PartOf     string            `json:"partOf"`
	Prev       string            `json:"prev,omitempty"`
	Next       string            `json:"next,omitempty"`
	Items      []json.RawMessage `json:"items"`
}

func (p Page) unordered() *collectionPageDoc {
	d := &collectionPageDoc{ID: p.ID, Type: "CollectionPage", PartOf: p.PartOf, Prev: p.Prev, Next: p.Next, Items: p.Items}
	if p.Total >= 0 {
		t := p.Total
		d.TotalItems = &t
	}
	if d.Items == nil {
		d.Items = []json.RawMessage{}
	}
	return d
}

type collectionDoc struct {
	Context []any              `json:"@context"`
	ID      string             `json:"id"`
	Type    string             `json:"type"`
	First   *collectionPageDoc `json:"first"`
}

// Collection returns an unordered collection's front document (a lesson's
// replies) with its first page embedded, so a reader needs one request for
// what most threads hold. Like Mastodon's, it has no totalItems: counting
// would read the whole thread on every fetch.
func Collection(id string, first Page) ([]byte, error) {
	return marshal(collectionDoc{Context: []any{ActivityStreamsContext}, ID: id, Type: "Collection",
		First: first.unordered()})
}

// UnorderedCollectionPage returns a page of an unordered collection (type
// CollectionPage, with items), as Collection's first page is.
func UnorderedCollectionPage(p Page) ([]byte, error) {
	d := p.unordered()
	d.Context = []any{ActivityStreamsContext}
	return marshal(d)
}

type featuredDoc struct {
	Context      []any     `json:"@context"`
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	TotalItems   int       `json:"totalItems"`
	OrderedItems []noteDoc `json:"orderedItems"`
}

// Featured returns the course actor's featured collection: its pinned
// posts, embedded, in the order given. Mastodon serves its pinned posts the
// same way, an OrderedCollection holding every item with no pages
// (app/controllers/activitypub/collections_controller.rb), and GoToSocial
// reads the items of either kind of collection
// (internal/federation/dereferencing/account.go, dereferenceAccountFeatured).
func Featured(id string, notes []LessonNote) ([]byte, error) {
	d := featuredDoc{Context: noteContext, ID: id, Type: "OrderedCollection", TotalItems: len(notes),
		OrderedItems: make([]noteDoc, 0, len(notes))}
	for _, n := range notes {
		d.OrderedItems = append(d.OrderedItems, n.doc())
	}
	return marshal(d)
}

// IRIItems turns ids into page items.
func IRIItems(ids []string) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(ids))
	for _, id := range ids {
		b, _ := json.Marshal(id) // a string always marshals
		out = append(out, b)
	}
	return out
}

// timestamp formats t as ActivityPub servers write it (RFC 3339, UTC,
// seconds); the zero time gives "" so the field is omitted.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// marshal encodes v without escaping <, > and & (content is HTML), without
// a trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
