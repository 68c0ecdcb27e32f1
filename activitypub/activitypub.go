// Package activitypub holds the words of cohort's ActivityPub companion: the
// remote actors who follow a course, the replies they send to lessons, their
// likes and boosts, the outbound deliveries waiting to go out, and the Store
// that keeps them.
//
// It is the root of the companion's rooms. Sub-packages wrap one dependency
// each: as (ActivityStreams JSON, the only importer of go-fed/activity), sig
// (HTTP Signatures), sanitize (reply HTML), store/sqlite (the embedded
// database) and store/storetest (the suite every Store passes). This package
// imports none of them and does no I/O itself; it is not the place for HTTP
// handlers, JSON-LD or SQL.
package activitypub

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// ErrNotFound is returned by a Store when the item asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned by a Store when an item that must be unique is
// already there. The stored item is left as it was.
var ErrDuplicate = errors.New("already exists")

// PublicCollection is the special ActivityStreams address meaning "everyone".
// Servers also write it in the compact forms "as:Public" and "Public".
const PublicCollection = "https://www.w3.org/ns/activitystreams#Public"

// IsPublic reports whether addr is the public collection in any of the forms
// servers use for it.
func IsPublic(addr string) bool {
	return addr == PublicCollection || addr == "as:Public" || addr == "Public"
}

// Actor is a remote account (a participant, usually on Mastodon) as its
// server describes it. It is cached so that replies can show a name and
// avatar and so that signatures can be checked without a fetch each time.
type Actor struct {
	ID                string    // the actor's URI, e.g. https://mastodon.example/users/alice
	Type              string    // Person, Service, Application, Group or Organization
	Inbox             string    // the actor's own inbox
	SharedInbox       string    // endpoints.sharedInbox, empty when the server has none
	Followers         string    // the actor's followers collection, used to compute Visibility
	PreferredUsername string    // the local part of the handle, e.g. alice
	Name              string    // display name, may be empty
	IconURL           string    // avatar image
	URL               string    // profile page for people (the url property)
	PublicKeyID       string    // publicKey.id, e.g. <id>#main-key or a plain path
	PublicKeyPEM      string    // publicKey.publicKeyPem
	Fetched           time.Time // when this copy was fetched, for cache freshness
	// Keys lists every key the actor's own document names as its own, on
	// its own host: publicKey entries and FEP-521a assertionMethod
	// Multikeys, each as PKIX PEM. Set by the parser on a fresh fetch; the
	// Store does not keep it (it keeps verified ActorKeys instead), so an
	// actor read back from the Store has none.
	Keys []ActorKey
}

// ActorKey binds a public key to the actor that owns it. The Store keeps one
// only after both sides agreed: the document at the key's id named the
// owner, the owner's own document lists the key, and both are on one host.
type ActorKey struct {
	ID    string // the keyId, e.g. <actor>#main-key or <actor>/main-key
	Owner string // the actor's id
	PEM   string // the public key as PKIX PEM
}

// Key returns the key with that id among a.Keys.
func (a Actor) Key(id string) (ActorKey, bool) {
	for _, k := range a.Keys {
		if k.ID == id {
			return k, true
		}
	}
	return ActorKey{}, false
}

// Handle returns the actor's fediverse handle, "@alice@mastodon.example", or
// the empty string when the preferred username or the host is unknown.
func (a Actor) Handle() string {
	u, err := url.Parse(a.ID)
	if err != nil || a.PreferredUsername == "" || u.Host == "" {
		return ""
	}
	return "@" + a.PreferredUsername + "@" + u.Host
}

// DeliveryInbox returns the inbox to deliver to: the shared inbox when the
// actor's server has one, else the actor's own inbox.
func (a Actor) DeliveryInbox() string {
	if a.SharedInbox != "" {
		return a.SharedInbox
	}
	return a.Inbox
}

// Follower is a remote actor that follows the course actor.
type Follower struct {
	ActorID  string    // the follower's actor URI
	Inbox    string    // where to deliver: the shared inbox when there is one
	FollowID string    // the id of the Follow activity, echoed in our Accept and matched by Undo
	Since    time.Time // when the follow was accepted
}

// PendingFollow is a Follow waiting for a moderator: a course with a private
// cohort approves its followers, and only a private cohort's participants are
// accepted at once.
type PendingFollow struct {
	ActorID   string    // who asked to follow
	Handle    string    // their handle, @user@host, "" when unknown
	Inbox     string    // where the Accept or Reject goes
	FollowID  string    // the Follow activity's id
	Requested time.Time // when the Follow arrived
}

// Visibility says who a reply was addressed to, as Mastodon computes it
// from the to and cc fields.
type Visibility string

// The visibilities a reply can have. Only Public and Unlisted replies may
// ever appear on a public page.
const (
	Public        Visibility = "public"    // Public collection in to
	Unlisted      Visibility = "unlisted"  // Public collection in cc only
	FollowersOnly Visibility = "followers" // the author's followers, not the public
	Direct        Visibility = "direct"    // only the actors named
)

// Listable reports whether a reply with this visibility may be shown on a
// public lesson page: only public and unlisted replies may.
func (v Visibility) Listable() bool {
	return v == Public || v == Unlisted
}

// VisibilityOf computes a post's visibility from its to and cc addresses,
// following Mastodon (fixtures README rule 10): the public collection in to
// makes it public, in cc unlisted; the author's followers collection without
// the public makes it followers-only; anything else is direct. followers is
// the author's followers collection URI; when it is empty, an address ending
// in "/followers" counts as one.
func VisibilityOf(to, cc []string, followers string) Visibility {
	for _, a := range to {
		if IsPublic(a) {
			return Public
		}
	}
	for _, a := range cc {
		if IsPublic(a) {
			return Unlisted
		}
	}
	isFollowers := func(a string) bool {
		if followers != "" {
			return a == followers
		}
		return strings.HasSuffix(a, "/followers")
	}
	for _, list := range [][]string{to, cc} {
		for _, a := range list {
			if isFollowers(a) {
				return FollowersOnly
			}
		}
	}
	return Direct
}

// Attachment is a media file attached to a reply. Replies keep only a link to
// it with its description; the file itself stays on the author's server.
type Attachment struct {
	URL       string // where the file is
	MediaType string // e.g. image/png
	Alt       string // the description (the attachment's name)
}

// Reply is a participant's post in a lesson's thread: a reply to the lesson
// object or to another reply in the same thread.
type Reply struct {
	ID          string       // the Note's URI
	LessonID    string       // the lesson whose thread this is in
	CohortID    string       // the cohort whose post of the lesson the thread starts at, "" for none
	InReplyTo   string       // the lesson object or the reply this answers
	Actor       string       // the author's actor URI (attributedTo)
	URL         string       // the post's page on the author's server
	Published   time.Time    // when it was posted
	Updated     time.Time    // when it was last edited; zero if never
	Content     string       // HTML, sanitized before it is stored
	Summary     string       // the content warning, plain text
	Sensitive   bool         // whether the author marked it sensitive
	Attachments []Attachment // media, in the author's order
	Visibility  Visibility   // who it was addressed to
	Deleted     bool         // the author deleted it; Content and Attachments are gone
	// State is the moderation state. SaveReply gives a new reply this
	// state (Shown when empty) and keeps the stored state on an edit.
	State ReplyState

	// To and Cc are the addresses the post was sent to, as parsed. They are
	// not stored: they let VisibilityFor classify the post again once its
	// author's followers collection is known.
	To, Cc []string
}

// VisibilityFor returns the reply's visibility computed with its author's
// actual followers collection: a post to an address that merely ends in
// "/followers" is not followers-only unless that address is the author's,
// and a post to the author's followers collection is followers-only
// whatever its URL looks like. With followers empty (the author is not
// known), or no addresses at hand (a stored reply), it returns Visibility
// as parsed, by the "/followers" suffix rule.
func (r Reply) VisibilityFor(followers string) Visibility {
	if followers == "" || (r.To == nil && r.Cc == nil) {
		return r.Visibility
	}
	return VisibilityOf(r.To, r.Cc, followers)
}

// Version returns the time that orders edits of the reply: Updated when set,
// else Published.
func (r Reply) Version() time.Time {
	if !r.Updated.IsZero() {
		return r.Updated
	}
	return r.Published
}

// ReactionKind is the kind of a Reaction.
type ReactionKind string

// The reactions the companion counts.
const (
	Like     ReactionKind = "like"     // a favourite
	Announce ReactionKind = "announce" // a boost
)

// Reaction is a like or a boost of a lesson object or of a reply.
type Reaction struct {
	ID     string       // the Like or Announce activity's id
	Kind   ReactionKind // Like or Announce
	Actor  string       // who reacted
	Object string       // what they reacted to
}

// Counts is how many likes and boosts an object has.
type Counts struct {
	Likes     int
	Announces int
}

// DeliveryLease is how long a claimed delivery stays invisible to other
// claims. A worker that crashes mid-delivery loses its claim after this, so
// the delivery is tried again, unless the claims are given back first
// (Store.ReleaseClaims: when the companion restarts, and on a shared
// PostgreSQL store as soon as another process sees the crashed one gone);
// it is longer than any single POST may take.
const DeliveryLease = 10 * time.Minute

// Delivery is one outbound activity queued for one inbox.
type Delivery struct {
	ID          int64     // assigned by the Store
	ActivityID  string    // the activity's id, stable across retries
	Inbox       string    // the (shared) inbox to POST to
	Body        []byte    // the JSON to POST, exactly as it will be signed
	Attempts    int       // how many times it has been claimed
	NextAttempt time.Time // not to be tried before this
	LastError   string    // why the last attempt failed, empty if none
	Created     time.Time // when it was queued
}

// LessonObject is the ActivityPub object that stands for one lesson in one
// cohort: the post participants reply to.
type LessonObject struct {
	LessonID    string    // the lesson's stable id from the site
	CohortID    string    // the cohort, empty for a course without cohorts
	ObjectID    string    // the Note's URI
	Published   time.Time // when the lesson was released
	Updated     time.Time // when its text last changed; zero if never
	ContentHash string    // hash of the text we published, to detect changes
}

// Key is the course actor's RSA key pair in PEM form, generated once and kept
// by the Store. Its LogValue never shows the private key.
type Key struct {
	Owner      string // the actor that owns the key
	ID         string // the key id published in the actor, e.g. <actor>#main-key
	PublicPEM  string // PKIX "PUBLIC KEY"
	PrivatePEM string // the private key; never logged
}

// LogValue implements slog.LogValuer: the owner and key id, never the
// private key.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("owner", k.Owner), slog.String("id", k.ID))
}

// String returns the key id, so that printing a Key shows no secret.
func (k Key) String() string { return "key " + k.ID }

// GoString returns the same as String, so that %#v shows no secret either.
func (k Key) GoString() string { return k.String() }
