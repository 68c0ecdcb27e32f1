package as

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"github.com/cohort-course/cohort/activitypub"
)

// ErrInvalid is wrapped by every error Parse and ParseActor return for input
// that is not a usable ActivityStreams document.
var ErrInvalid = errors.New("invalid activity")

// Kind is the type of an inbound activity, as far as the companion cares.
type Kind string

// The activity kinds Parse routes. Any other type is KindUnknown: the inbox
// acknowledges it and drops it.
const (
	KindCreate   Kind = "Create"
	KindUpdate   Kind = "Update"
	KindDelete   Kind = "Delete"
	KindFollow   Kind = "Follow"
	KindUndo     Kind = "Undo"
	KindLike     Kind = "Like"
	KindAnnounce Kind = "Announce"
	KindAccept   Kind = "Accept"
	KindReject   Kind = "Reject"
	KindFlag     Kind = "Flag"
	KindUnknown  Kind = "Unknown"
)

// replyTypes are the object types whose Create or Update becomes a Reply.
// Note and Question are Mastodon's first-class types; Article and Page are
// shown "as best as possible" (fixtures README rule 8).
var replyTypes = []string{"Note", "Question", "Article", "Page"}

// Activity is an inbound activity reduced to what the companion uses.
type Activity struct {
	Kind       Kind      // the routed kind; KindUnknown for anything else
	Type       string    // the type as sent, e.g. "Create" or "EmojiReact"
	ID         string    // the activity's id
	Actor      string    // the actor's id
	To, CC     []string  // addressing of the activity
	Published  time.Time // zero if absent
	Object     string    // the object's id, whether sent as an IRI or embedded
	ObjectType string    // the embedded object's type; "" when the object is a bare IRI

	// Reply is set for a Create or Update whose object is a Note (or
	// Question, Article, Page). Its Content is the HTML as sent: sanitize it
	// before storing. LessonID is left empty for the caller to find.
	Reply *activitypub.Reply
	// Mentions lists the href of each Mention tag of the object.
	Mentions []string
	// Hashtags lists the name of each Hashtag tag of the object, as sent
	// (usually with its leading '#'); see hashtagsIn.
	Hashtags []string
	// DeletesActor is set on a Delete whose object is the actor itself: the
	// account was deleted.
	DeletesActor bool
	// Objects lists every object of a Flag (the reported account and
	// posts), and Content is its comment; unset for other kinds.
	Objects []string
	Content string
	// Inner is the embedded activity of an Undo, Accept or Reject (the Follow,
	// Like or Announce undone or answered), parsed the same way; nil when the
	// object is a bare IRI.
	Inner *Activity
}

// maxDepth bounds how deep Parse follows embedded activities (Undo of Like
// is depth 1); no server nests deeper, and the bound keeps hostile input
// from recursing without end.
const maxDepth = 2

// Parse reads one inbound activity. An unknown or unhandled type is not an
// error: it returns an Activity with Kind KindUnknown and Type set. Input
// that is not JSON, has no type or @context, or lacks an id or actor returns
// an error wrapping ErrInvalid. A returned Reply always has an ID.
func Parse(ctx context.Context, data []byte) (*Activity, error) {
	m, err := decode(data, ActivityLimits)
	if err != nil {
		return nil, err
	}
	return parseMap(ctx, m, 0)
}

// decode checks data against l, then decodes it into a map: the one
// decode of a document, which go-fed then reads.
func decode(data []byte, l Limits) (map[string]any, error) {
	if err := l.Check(data); err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: json: %w", ErrInvalid, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrInvalid)
	}
	return m, nil
}

// activityView is the part of every go-fed activity type Parse reads.
type activityView interface {
	vocab.Type
	GetActivityStreamsActor() vocab.ActivityStreamsActorProperty
	GetActivityStreamsObject() vocab.ActivityStreamsObjectProperty
	GetActivityStreamsTo() vocab.ActivityStreamsToProperty
	GetActivityStreamsCc() vocab.ActivityStreamsCcProperty
	GetActivityStreamsPublished() vocab.ActivityStreamsPublishedProperty
}

func parseMap(ctx context.Context, m map[string]any, depth int) (a *Activity, err error) {
	// go-fed's generated deserializers assume well-typed JSON in places;
	// hostile input must give an error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			a, err = nil, fmt.Errorf("%w: deserialize: %v", ErrInvalid, r)
		}
	}()
	if _, ok := m["@context"]; !ok && depth > 0 {
		// Embedded objects inherit the outer context; go-fed wants one.
		m["@context"] = "https://www.w3.org/ns/activitystreams"
	}
	var (
		kind Kind
		view activityView
	)
	route := func(k Kind) func(context.Context, activityView) error {
		return func(_ context.Context, v activityView) error { kind, view = k, v; return nil }
	}
	res, err := streams.NewJSONResolver(
		func(c context.Context, v vocab.ActivityStreamsCreate) error { return route(KindCreate)(c, v) },
		func(c context.Context, v vocab.ActivityStreamsUpdate) error { return route(KindUpdate)(c, v) },
		func(c context.Context, v vocab.ActivityStreamsDelete) error { return route(KindDelete)(c, v) },
		func(c context.Context, v vocab.ActivityStreamsFollow) error { return route(KindFollow)(c, v) },
		func(c context.Context, v vocab.ActivityStreamsUndo) error { return route(KindUndo)(c, v) },
		func(c context.Context, v vocab.ActivityStreamsLike) error { return route(KindLike)(c, v) },
		func(c context.Context, v vocab.ActivityStreamsAnnounce) error { return route(KindAnnounce)(c, v) },
		func(c context.Context, v vocab.ActivityStreamsAccept) error { return route(KindAccept)(c, v) },
		func(c context.Context, v vocab.ActivityStreamsReject) error { return route(KindReject)(c, v) },
		func(c context.Context, v vocab.ActivityStreamsFlag) error { return route(KindFlag)(c, v) },
	)
	if err != nil {
		return nil, fmt.Errorf("as: resolver: %w", err) // a programming error
	}
	typeName := typeOf(m)
	if typeName == "" {
		return nil, fmt.Errorf("%w: no type", ErrInvalid)
	}
	if _, ok := m["@context"]; !ok {
		return nil, fmt.Errorf("%w: no @context", ErrInvalid)
	}
	var (
		mentions, hashtags []string
		post               vocab.Type
	)
	if typeName == string(KindCreate) || typeName == string(KindUpdate) {
		if obj, ok := m["object"].(map[string]any); ok {
			hashtags = hashtagsIn(obj["tag"])
		}
		m, mentions, post = setAside(ctx, m)
	}
	err = res.Resolve(ctx, m)
	switch {
	case errors.Is(err, streams.ErrNoCallbackMatch) || errors.Is(err, streams.ErrUnhandledType):
		id, _ := m["id"].(string)
		actor, _ := m["actor"].(string)
		return &Activity{Kind: KindUnknown, Type: typeName, ID: id, Actor: actor}, nil
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, typeName, err)
	}
	a = &Activity{
		Kind:      kind,
		Type:      string(kind),
		ID:        idOf(view),
		To:        iris(view.GetActivityStreamsTo()),
		CC:        iris(view.GetActivityStreamsCc()),
		Published: published(view.GetActivityStreamsPublished()),
	}
	if actors := iris(view.GetActivityStreamsActor()); len(actors) > 0 {
		a.Actor = actors[0]
	}
	if a.ID == "" {
		return nil, fmt.Errorf("%w: %s has no id", ErrInvalid, kind)
	}
	if a.Actor == "" {
		return nil, fmt.Errorf("%w: %s %s has no actor", ErrInvalid, kind, a.ID)
	}
	if err := checkDate("published", a.Published); err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, a.ID, err)
	}
	if err := a.readObject(ctx, view, m, post, depth); err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, a.ID, err)
	}
	if a.Reply != nil {
		a.Mentions, a.Hashtags = mentions, hashtags
	}
	return a, nil
}

// maxHashtags bounds the hashtags read from one post: Mastodon's composer
// lets a post carry as many as its 500 characters hold, so a hundred is
// past any real post, and a hostile one cannot make a long list.
const maxHashtags = 100

// hashtagsIn returns the name of each Hashtag in a tag value (one tag or an
// array). Every family read writes a hashtag the same way, a tag of type
// Hashtag whose name is "#" and the tag and whose href is the tag's page on
// the author's server:
//   - mastodon/mastodon app/serializers/activitypub/hashtag_serializer.rb
//     (name "#"+display_name, href tag_url), read back by
//     app/lib/activitypub/activity/create.rb process_tags (type Hashtag,
//     the name without its '#', lower-cased);
//   - superseriousbusiness/gotosocial internal/typeutils/internaltoas.go
//     TagToAS (name "#"+lower-cased name, href uris.URIForTag, /tags/NAME),
//     read back by internal/ap/extract.go ExtractHashtags;
//   - misskey-dev/misskey packages/backend/src/core/activitypub/ApRendererService.ts
//     renderHashtag (name "#"+tag as typed, href /tags/ + the tag
//     URL-encoded).
//
// Only the name is read: the href points at the author's own server.
func hashtagsIn(tags any) []string {
	var out []string
	for _, t := range asList(tags) {
		tag, ok := t.(map[string]any)
		if !ok || !hasType(tag, "Hashtag") {
			continue
		}
		if name, _ := tag["name"].(string); name != "" && len(out) < maxHashtags {
			out = append(out, name)
		}
	}
	return out
}

// HasHashtag reports whether the post carries the hashtag tag (with or
// without its '#', in any case).
func (a *Activity) HasHashtag(tag string) bool {
	want := activitypub.NormalizeHashtag(tag)
	if want == "" {
		return false
	}
	for _, h := range a.Hashtags {
		if activitypub.NormalizeHashtag(h) == want {
			return true
		}
	}
	return false
}

// setAside prepares a Create or Update for go-fed. It takes the embedded
// object's tag and replies out and returns the href of each Mention among
// the tags: go-fed reads every value of tag by trying each of its
// eighty-odd types in turn, building an error for each miss, and reads an
// embedded replies collection with its first page, for values read here
// from the map (mentions) or not at all (replies; the crawler reads them
// from the document). And when the object is a post with an id, it reads
// the post by its type and leaves its id in the activity instead: go-fed
// reads an embedded object by trying each type in turn, thirty misses
// before Note. In a profile of the inbox these two were most of go-fed's
// time on a Mastodon reply. m itself is not changed; post is nil when the
// object is left to go-fed.
func setAside(ctx context.Context, m map[string]any) (_ map[string]any, mentions []string, post vocab.Type) {
	obj, ok := m["object"].(map[string]any)
	if !ok {
		return m, nil, nil
	}
	lean := maps.Clone(obj)
	delete(lean, "tag")
	delete(lean, "replies")
	out := maps.Clone(m)
	out["object"] = lean
	mentions = mentionsIn(obj["tag"])
	id, _ := lean["id"].(string)
	if u, err := url.Parse(id); err != nil || u.Scheme == "" || !slices.Contains(replyTypes, typeOf(lean)) {
		return out, mentions, nil // go-fed takes only an absolute URL for an IRI
	}
	if _, ok := lean["@context"]; !ok {
		lean["@context"] = m["@context"] // inherited, and go-fed wants one
	}
	post, err := streams.ToType(ctx, lean)
	if err != nil {
		return out, mentions, nil // go-fed reports it when reading the activity
	}
	out["object"] = id
	return out, mentions, post
}

// mentionsIn returns the href of each Mention in a tag value (one tag or an
// array), as a parsed and printed URL, the way go-fed gives it.
func mentionsIn(tags any) []string {
	var out []string
	for _, t := range asList(tags) {
		tag, ok := t.(map[string]any)
		if !ok || !hasType(tag, "Mention") {
			continue
		}
		href, _ := tag["href"].(string)
		if u, err := url.Parse(href); err == nil && href != "" {
			out = append(out, u.String())
		}
	}
	return out
}

// hasType reports whether an object's type is typ, or an array holding it.
func hasType(m map[string]any, typ string) bool {
	for _, t := range asList(m["type"]) {
		if t == typ {
			return true
		}
	}
	return false
}

// readObject fills Object, ObjectType and what the kind needs from the
// activity's first object, or from post when setAside read it.
func (a *Activity) readObject(ctx context.Context, view activityView, m map[string]any, post vocab.Type, depth int) error {
	objs := view.GetActivityStreamsObject()
	if objs == nil || objs.Len() == 0 {
		return fmt.Errorf("%w: no object", ErrInvalid)
	}
	it := objs.At(0)
	var obj vocab.Type
	if post != nil { // read by setAside
		obj = post
		a.Object = idOf(obj)
		a.ObjectType = obj.GetTypeName()
	} else if it.IsIRI() {
		a.Object = it.GetIRI().String()
	} else if obj = it.GetType(); obj != nil {
		a.Object = idOf(obj)
		a.ObjectType = obj.GetTypeName()
	} else if raw, ok := firstObject(m); ok {
		// A type go-fed does not know, embedded: keep its id and type.
		a.Object, _ = raw["id"].(string)
		a.ObjectType = typeOf(raw)
	}
	if a.Object == "" {
		return fmt.Errorf("%w: object has no id", ErrInvalid)
	}
	switch a.Kind {
	case KindCreate, KindUpdate:
		if obj == nil || !slices.Contains(replyTypes, a.ObjectType) {
			return nil
		}
		r, err := reply(obj)
		if err != nil {
			return err
		}
		if r.Actor == "" {
			r.Actor = a.Actor
		}
		a.Reply = r
	case KindDelete:
		a.DeletesActor = a.Object == a.Actor
	case KindFlag:
		// Mastodon's Flag: object is the reported account followed by the
		// reported statuses, content the comment (mastodon/mastodon
		// app/serializers/activitypub/flag_serializer.rb).
		a.Objects = iris(objs)
		a.Content, _ = m["content"].(string)
	case KindUndo, KindAccept, KindReject:
		raw, ok := firstObject(m)
		if !ok || depth >= maxDepth {
			return nil
		}
		inner, err := parseMap(ctx, raw, depth+1)
		if err != nil {
			return fmt.Errorf("embedded object: %w", err)
		}
		a.Inner = inner
	}
	return nil
}

// firstObject returns the activity's object when it is an embedded JSON
// object (the first, if it is an array).
func firstObject(m map[string]any) (map[string]any, bool) {
	o := m["object"]
	if arr, ok := o.([]any); ok && len(arr) > 0 {
		o = arr[0]
	}
	raw, ok := o.(map[string]any)
	if !ok {
		return nil, false
	}
	cp := make(map[string]any, len(raw)+1)
	for k, v := range raw {
		cp[k] = v
	}
	if c, ok := m["@context"]; ok {
		if _, has := cp["@context"]; !has {
			cp["@context"] = c
		}
	}
	return cp, true
}

func typeOf(m map[string]any) string {
	switch t := m["type"].(type) {
	case string:
		return t
	case []any:
		if len(t) > 0 {
			s, _ := t[0].(string)
			return s
		}
	}
	return ""
}

// noteView is the part of Note, Question, Article and Page a Reply needs.
type noteView interface {
	vocab.Type
	GetActivityStreamsInReplyTo() vocab.ActivityStreamsInReplyToProperty
	GetActivityStreamsAttributedTo() vocab.ActivityStreamsAttributedToProperty
	GetActivityStreamsTo() vocab.ActivityStreamsToProperty
	GetActivityStreamsCc() vocab.ActivityStreamsCcProperty
	GetActivityStreamsUrl() vocab.ActivityStreamsUrlProperty
	GetActivityStreamsPublished() vocab.ActivityStreamsPublishedProperty
	GetActivityStreamsUpdated() vocab.ActivityStreamsUpdatedProperty
	GetActivityStreamsContent() vocab.ActivityStreamsContentProperty
	GetActivityStreamsSummary() vocab.ActivityStreamsSummaryProperty
	GetActivityStreamsName() vocab.ActivityStreamsNameProperty
	GetActivityStreamsAttachment() vocab.ActivityStreamsAttachmentProperty
	GetUnknownProperties() map[string]interface{}
}

func reply(obj vocab.Type) (*activitypub.Reply, error) {
	n, ok := obj.(noteView)
	if !ok {
		return nil, fmt.Errorf("%w: %s cannot be read as a post", ErrInvalid, obj.GetTypeName())
	}
	r := &activitypub.Reply{ID: idOf(n)}
	if r.ID == "" {
		return nil, fmt.Errorf("%w: %s has no id", ErrInvalid, n.GetTypeName())
	}
	if v := iris(n.GetActivityStreamsInReplyTo()); len(v) > 0 {
		r.InReplyTo = v[0]
	}
	if v := iris(n.GetActivityStreamsAttributedTo()); len(v) > 0 {
		r.Actor = v[0]
	}
	if v := urls(n.GetActivityStreamsUrl()); len(v) > 0 {
		r.URL = v[0]
	}
	r.Published = published(n.GetActivityStreamsPublished())
	if u := n.GetActivityStreamsUpdated(); u != nil && u.IsXMLSchemaDateTime() {
		r.Updated = u.Get()
	}
	if err := checkDate("published", r.Published); err != nil {
		return nil, fmt.Errorf("%s: %w", r.ID, err)
	}
	if err := checkDate("updated", r.Updated); err != nil {
		return nil, fmt.Errorf("%s: %w", r.ID, err)
	}
	r.Content = text(n.GetActivityStreamsContent())
	if r.Content == "" {
		r.Content = text(n.GetActivityStreamsName())
	}
	r.Summary = text(n.GetActivityStreamsSummary())
	if s, ok := n.GetUnknownProperties()["sensitive"].(bool); ok {
		r.Sensitive = s
	}
	r.To, r.Cc = iris(n.GetActivityStreamsTo()), iris(n.GetActivityStreamsCc())
	r.Visibility = activitypub.VisibilityOf(r.To, r.Cc, "") // the author's followers are not known here
	r.Attachments = attachments(n.GetActivityStreamsAttachment())
	return r, nil
}

// mediaView is the part of Document, Image, Video and Audio an Attachment
// needs.
type mediaView interface {
	GetActivityStreamsUrl() vocab.ActivityStreamsUrlProperty
	GetActivityStreamsMediaType() vocab.ActivityStreamsMediaTypeProperty
	GetActivityStreamsName() vocab.ActivityStreamsNameProperty
}

func attachments(p vocab.ActivityStreamsAttachmentProperty) []activitypub.Attachment {
	if p == nil {
		return nil
	}
	var out []activitypub.Attachment
	for it := p.Begin(); it != p.End(); it = it.Next() {
		t := it.GetType()
		m, ok := t.(mediaView)
		if !ok {
			continue // a bare IRI or an unknown type: nothing to show
		}
		a := activitypub.Attachment{Alt: text(m.GetActivityStreamsName())}
		if v := urls(m.GetActivityStreamsUrl()); len(v) > 0 {
			a.URL = v[0]
		}
		if mt := m.GetActivityStreamsMediaType(); mt != nil && mt.IsRFCRfc2045() {
			a.MediaType = mt.Get()
		}
		if a.URL != "" {
			out = append(out, a)
		}
	}
	return out
}

// iterator is what every go-fed property iterator that can hold an IRI or
// an object offers.
type iterator interface {
	IsIRI() bool
	GetIRI() *url.URL
	GetType() vocab.Type
}

// property is a go-fed property holding iterators of type I.
type property[I any] interface {
	Len() int
	At(int) I
}

// iris returns the ids of a property's values, IRIs or embedded objects, in
// order. A single value where an array is expected gives one id.
func iris[I iterator, P property[I]](p P) []string {
	if any(p) == nil {
		return nil
	}
	var out []string
	for i := 0; i < p.Len(); i++ {
		it := p.At(i)
		switch {
		case it.IsIRI():
			out = append(out, it.GetIRI().String())
		case it.GetType() != nil:
			if id := idOf(it.GetType()); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

// urls returns the url property's values: plain IRIs and the href of Links.
func urls(p vocab.ActivityStreamsUrlProperty) []string {
	if p == nil {
		return nil
	}
	var out []string
	for it := p.Begin(); it != p.End(); it = it.Next() {
		switch {
		case it.IsXMLSchemaAnyURI():
			out = append(out, it.GetXMLSchemaAnyURI().String())
		case it.IsIRI():
			out = append(out, it.GetIRI().String())
		case it.IsActivityStreamsLink():
			if h := it.GetActivityStreamsLink().GetActivityStreamsHref(); h != nil && h.Get() != nil {
				out = append(out, h.Get().String())
			}
		}
	}
	return out
}

// langText is what content, summary and name iterators share.
type langText interface {
	IsIRI() bool
	GetIRI() *url.URL
	IsXMLSchemaString() bool
	GetXMLSchemaString() string
	IsRDFLangString() bool
	GetRDFLangString() map[string]string
}

// text returns a natural-language property's value: the plain string when
// there is one (even one go-fed took for an IRI), else the contentMap entry of the first language in sorted
// order, so the choice is the same every time.
func text[I langText, P property[I]](p P) string {
	if any(p) == nil {
		return ""
	}
	var fromMap string
	for i := 0; i < p.Len(); i++ {
		it := p.At(i)
		if it.IsXMLSchemaString() {
			return it.GetXMLSchemaString()
		}
		if it.IsIRI() {
			// go-fed reads a string that parses as a URL as an IRI: a
			// summary of "https://..." is still text.
			return it.GetIRI().String()
		}
		if it.IsRDFLangString() && fromMap == "" {
			m := it.GetRDFLangString()
			langs := make([]string, 0, len(m))
			for l := range m {
				langs = append(langs, l)
			}
			sort.Strings(langs)
			if len(langs) > 0 {
				fromMap = m[langs[0]]
			}
		}
	}
	return fromMap
}

func idOf(t vocab.Type) string {
	if t == nil {
		return ""
	}
	id := t.GetJSONLDId()
	if id == nil || id.Get() == nil {
		return ""
	}
	return id.Get().String()
}

// checkDate refuses a date outside activitypub.DateInRange: a post dated
// before 1970 or after 2200 is a mistake or a trick, and clamping it would
// pin it at one end of a thread (or make a bogus edit win every later one).
// An absent date, or one that is not a date, is zero and passes.
func checkDate(field string, t time.Time) error {
	if activitypub.DateInRange(t) {
		return nil
	}
	return fmt.Errorf("%w: %s %s is outside %d-%d", ErrInvalid, field, t.Format(time.RFC3339),
		activitypub.EarliestDate.Year(), activitypub.LatestDate.Year()-1)
}

func published(p vocab.ActivityStreamsPublishedProperty) time.Time {
	if p == nil || !p.IsXMLSchemaDateTime() {
		return time.Time{}
	}
	return p.Get()
}
