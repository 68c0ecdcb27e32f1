package mastotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
	"github.com/rogpeppe/go-internal/txtar"
)

// Shapes a family's templates may hold, one file each in
// testdata/families/<family>.txtar. A family that never sends a shape has
// no file for it and names the reason in Family.Absent.
const (
	ShapeFollow          = "follow"
	ShapeUndoFollow      = "undo-follow"
	ShapeReply           = "reply" // a Create{Note}; Vars.Mention decides whether it mentions the course
	ShapeUpdate          = "update"
	ShapeDeleteTombstone = "delete-tombstone"
	ShapeDeleteIRI       = "delete-iri"
	ShapeDeleteObject    = "delete-object" // the whole Note as the object (WordPress)
	ShapeLike            = "like"
	ShapeAnnounce        = "announce"
)

// Audiences a family may be unable to address a post to, as keys of
// Family.Absent: a followers-only post, a direct one.
const (
	AudienceFollowers = ShapeReply + "/followers"
	AudienceDirect    = ShapeReply + "/direct"
)

// Sends reports whether the family sends shape (a Shape, or an Audience
// key); when it does not, it says why, from Family.Absent.
func (f Family) Sends(shape string) (bool, string) {
	why, absent := f.Absent[shape]
	return !absent, why
}

// Shapes lists every shape in the order a conformance table runs them.
var Shapes = []string{ShapeFollow, ShapeReply, ShapeUpdate, ShapeLike, ShapeAnnounce,
	ShapeDeleteTombstone, ShapeDeleteIRI, ShapeDeleteObject, ShapeUndoFollow}

// KeyDoc is what a GET of a family's key id returns.
type KeyDoc int

const (
	// KeyInActor: the key id is a fragment of the actor (#main-key), so the
	// key document is the actor itself.
	KeyInActor KeyDoc = iota
	// KeyMinimalPerson: the key id is its own path, whose document is a
	// Person with only id, preferredUsername and publicKey, and no inbox
	// (GoToSocial).
	KeyMinimalPerson
)

// Family describes how one fediverse server family sends and serves: the
// form of its ids and key ids, how it signs, what it answers to GETs.
type Family struct {
	Name string
	// ActorPath gives the path of user's actor; NotePath the path of
	// user's post id.
	ActorPath func(user string) string
	NotePath  func(user, id string) string
	// PostPath, when set, gives the path of a post of user's own (no
	// inReplyTo), which the family numbers apart from its replies
	// (WordPress: a blog post, where a reply is a comment).
	PostPath func(user, id string) string
	// KeySuffix is appended to the actor id to make the key id.
	KeySuffix string
	KeyDoc    KeyDoc
	// Algorithm is the algorithm= of the Signature header; Headers the
	// headers it signs on a POST, in its order.
	Algorithm string
	Headers   []string
	// ContentType is the Content-Type of its POSTs; UserAgent its
	// User-Agent.
	ContentType string
	UserAgent   string
	// AuthorizedFetch: the full actor and posts answer only signed GETs
	// (401 otherwise); the key document stays public.
	AuthorizedFetch bool
	// AuthorizedFetchMode names the setting, with its source, that puts
	// the family's server in authorized-fetch mode; empty when it has none
	// (or none was read). Tests turn it on to check the course's signed GETs.
	AuthorizedFetchMode string
	// MentionsParent: a reply always carries a Mention of the parent's
	// author, whatever its text says.
	MentionsParent bool
	// AddressesParent: a reply always names the parent's author in its
	// audience (to/cc), even when its text does not mention it; the
	// Mention tag follows the text.
	AddressesParent bool
	// Inbox is what the family's inbox demands of the deliveries it
	// receives from the course, and its signed-GET check of the course's
	// fetches; the peer enforces it in this mode.
	Inbox InboxRules
	// Absent names the shapes the family never sends, with the reason.
	Absent map[string]string
	// Hashtag is the tag the family writes for a hashtag in a post, tag
	// as typed, on its server at base; nil when it was not read from the
	// family's source (issue 14's journals need it).
	Hashtag func(base, tag string) map[string]any
	// NoHashtagPost, when Hashtag is nil, says with its source why a
	// participant on this family cannot send the course a public post of
	// their own tagged with the course hashtag.
	NoHashtagPost string
}

// Hashtag shapes, read from the families' sources.
var (
	// mastodon/mastodon app/serializers/activitypub/hashtag_serializer.rb:
	// type Hashtag, href tag_url (/tags/NAME), name "#" + the tag's
	// display name.
	mastodonHashtag = func(base, tag string) map[string]any {
		return map[string]any{"type": "Hashtag", "href": base + "/tags/" + strings.ToLower(tag), "name": "#" + tag}
	}
	// superseriousbusiness/gotosocial internal/typeutils/internaltoas.go
	// TagToAS: the name lower-cased, "#" + it, href uris.URIForTag
	// (/tags/NAME).
	gotosocialHashtag = func(base, tag string) map[string]any {
		return map[string]any{"type": "Hashtag", "href": base + "/tags/" + strings.ToLower(tag), "name": "#" + strings.ToLower(tag)}
	}
	// misskey-dev/misskey packages/backend/src/core/activitypub/ApRendererService.ts
	// renderHashtag: href /tags/ + the tag URL-encoded, name "#" + the tag
	// as typed (case kept).
	misskeyHashtag = func(base, tag string) map[string]any {
		return map[string]any{"type": "Hashtag", "href": base + "/tags/" + url.PathEscape(tag), "name": "#" + tag}
	}
	// pleroma-social/pleroma lib/pleroma/formatter.ex hashtag_handler keeps
	// the tag lower-cased; lib/pleroma/web/activity_pub/transmogrifier.ex
	// add_hashtags expands it to type Hashtag, href Endpoint.url() +
	// "/tags/" + tag, name "#" + tag (Akkoma the same).
	pleromaHashtag = func(base, tag string) map[string]any {
		lower := strings.ToLower(tag)
		return map[string]any{"href": base + "/tags/" + lower, "name": "#" + lower, "type": "Hashtag"}
	}
	// pixelfed/pixelfed app/Transformer/ActivityPub/Verb/CreateNote.php:
	// href Hashtag::url() (config/routes.php hashtag.base,
	// /discover/tags/, plus the slug app/Jobs/StatusPipeline/StatusEntityLexer.php
	// makes with str_slug, lower-cased), name "#" + the tag as typed.
	pixelfedHashtag = func(base, tag string) map[string]any {
		return map[string]any{"type": "Hashtag", "href": base + "/discover/tags/" + strings.ToLower(tag), "name": "#" + tag}
	}
	// friendica/friendica src/Protocol/ActivityPub/Transmitter.php
	// createTagList: href baseUrl + "/search?tag=" + the name URL-encoded,
	// name "#" + the name as typed.
	// Automattic/wordpress-activitypub includes/transformer/class-post.php
	// get_tag: a blog post's WordPress tags, href get_tag_link (/tag/SLUG/
	// with pretty permalinks, the slug lower-cased), name esc_hashtag
	// (includes/functions.php: "#" + the name, letters and digits kept).
	// Comments carry no hashtags (class-comment.php get_tag: Mentions).
	wordpressHashtag = func(base, tag string) map[string]any {
		return map[string]any{"type": "Hashtag", "href": base + "/tag/" + strings.ToLower(tag) + "/", "name": "#" + tag}
	}
	friendicaHashtag = func(base, tag string) map[string]any {
		return map[string]any{"type": "Hashtag", "href": base + "/search?tag=" + url.QueryEscape(tag), "name": "#" + tag}
	}
)

// InboxRules is what a family's server checks, before anything else, on
// a request signed by the course: a POST to an inbox, or (authorized
// fetch) a GET of an actor or post. Each Family cites the files they are
// read from. A zero field checks nothing.
type InboxRules struct {
	// SignedPost and SignedGet are headers that must be among the signed
	// ones; a list inside one entry separated by "|" means any of them
	// (Mastodon accepts "date|(created)").
	SignedPost, SignedGet []string
	// Algorithms are the algorithm= labels accepted; nil accepts any.
	Algorithms []string
	// MaxAge and MaxAhead bound the Date header against the clock.
	MaxAge, MaxAhead time.Duration
	// ContentTypes are the media types an inbox POST may carry (without
	// parameters but profile); nil accepts any.
	ContentTypes []string
	// KeyIDFragment: the key id must be <actor>#<fragment>, and the actor
	// is what is fetched for the key.
	KeyIDFragment bool
	// HostMatches: the Host header must be this server's own host.
	HostMatches bool
	// IDOnKeyHost: a POSTed activity's id, and its object's attributedTo
	// when the object is embedded, must be on the key id's host.
	IDOnKeyHost bool
}

// Rules of the families, read from their sources.
var (
	// mastodon/mastodon app/controllers/concerns/signature_verification.rb
	// (newest version in the index): algorithm rsa-sha256 or hs2019;
	// verify_signature_strength! wants date (or (created)), (request-target)
	// (or digest), host, and digest on a POST; matches_time_window? takes
	// a Date no more than CLOCK_SKEW_MARGIN (1 h) ahead and expires it 5
	// minutes after it was made, plus the same margin.
	mastodonRules = InboxRules{
		SignedPost: []string{"date|(created)", "(request-target)|digest", "host", "digest"},
		SignedGet:  []string{"date|(created)", "(request-target)|digest", "host"},
		Algorithms: []string{"rsa-sha256", "hs2019"},
		MaxAge:     time.Hour + 5*time.Minute, MaxAhead: time.Hour,
	}
	// superseriousbusiness/gotosocial internal/federation/federatingactor.go
	// PostInboxScheme refuses a Content-Type that internal/api/util/mime.go
	// ASContentType does not accept (activity+json, or ld+json with the
	// ActivityStreams profile); internal/federation/authenticate.go
	// verifyAuth tries RSA-SHA256, RSA-SHA512 and Ed25519 whatever the label
	// and requires no header set of its own.
	gotosocialRules = InboxRules{
		ContentTypes: []string{"application/activity+json", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`},
	}
	// misskey-dev/misskey packages/backend/src/server/ActivityPubServerService.ts
	// inbox: host must be signed and the Host header be the server's own;
	// digest must be signed, SHA-256 and match the body; the body parsers
	// are registered for application/activity+json and application/ld+json.
	misskeyRules = InboxRules{
		SignedPost:   []string{"host", "digest"},
		ContentTypes: []string{"application/activity+json", "application/ld+json"},
		HostMatches:  true,
	}
	// pleroma-social/pleroma lib/pleroma/web/plugs/http_signature_plug.ex
	// (and BDX-town/Akkoma's): no header set, algorithm or Date window is
	// required; the digest header is replaced by the body's own, so a
	// signed digest must match. lib/pleroma/signature.ex key_id_to_actor_id
	// drops the key id's fragment and fetches the actor.
	pleromaRules = InboxRules{KeyIDFragment: true}
	// Chocobozzz/PeerTube server/core/helpers/peertube-crypto.ts
	// parseHTTPSignature: (request-target) host digest on a POST,
	// (request-target) host on a GET, and date or (created) either way;
	// server/core/initializers/constants.ts HTTP_SIGNATURE.CLOCK_SKEW_SECONDS
	// 1800.
	peertubeRules = InboxRules{
		SignedPost: []string{"(request-target)", "host", "digest", "date|(created)"},
		SignedGet:  []string{"(request-target)", "host", "date|(created)"},
		MaxAge:     30 * time.Minute, MaxAhead: 30 * time.Minute,
	}
	// LemmyNet/activitypub-federation-rust src/http_signatures.rs:
	// signing_actor takes the actor id from keyId="<actor>#<fragment>" and
	// dereferences the actor; verify_signature_inner requires the digest
	// (require_digest) and expires a signature after EXPIRES_AFTER (1 h).
	// friendica/friendica src/Util/HTTPSignature.php getSigner: algorithm
	// hs2019, rsa-sha256 or rsa-sha512; a signature counts only when a
	// digest or a date is signed; created (the Date) may be 60 s ahead
	// and expires 300 s after it.
	friendicaRules = InboxRules{
		SignedPost: []string{"digest|date|(created)"},
		SignedGet:  []string{"date|(created)"},
		Algorithms: []string{"hs2019", "rsa-sha256", "rsa-sha512"},
		MaxAge:     5 * time.Minute, MaxAhead: time.Minute,
	}
	// pixelfed/pixelfed app/Jobs/InboxPipeline/InboxValidator.php
	// verifySignature: a Date within a day either way; the activity's id and
	// its embedded object's attributedTo on the key id's host.
	pixelfedRules = InboxRules{
		MaxAge: 24 * time.Hour, MaxAhead: 24 * time.Hour,
		IDOnKeyHost: true,
	}
	// Automattic/wordpress-activitypub includes/class-signature.php
	// verify_http_signature: a signed Date within 3 hours either way
	// (get_signed_data); any algorithm label is read as SHA-256 but
	// rsa-sha-512; a signed digest must match the body.
	wordpressRules = InboxRules{MaxAge: 3 * time.Hour, MaxAhead: 3 * time.Hour}
	lemmyRules     = InboxRules{
		SignedPost:    []string{"digest"},
		MaxAge:        time.Hour,
		KeyIDFragment: true,
	}
)

func prefixPath(prefix string) func(string) string {
	return func(user string) string { return prefix + user }
}

// userNumber gives a stable small number per user, for families whose
// actor ids are database numbers.
func userNumber(user string) string {
	n := 0
	for _, c := range user {
		n = n*31 + int(c)
	}
	return strconv.Itoa(n%9000 + 1000)
}

// Families returns every server family the peer can play. Each field
// cites where its behaviour is written in that project's source.
func Families() []Family {
	return []Family{
		{
			Name:      "mastodon",
			ActorPath: prefixPath("/users/"),
			NotePath:  func(u, id string) string { return "/users/" + u + "/statuses/" + id },
			// mastodon/mastodon app/serializers/activitypub/public_key_serializer.rb: #main-key.
			KeySuffix: "#main-key",
			// mastodon/mastodon app/lib/request.rb (signed_headers = @headers.keys,
			// algorithm rsa-sha256) and app/workers/activitypub/delivery_worker.rb (HEADERS).
			Algorithm:           "rsa-sha256",
			Headers:             []string{"(request-target)", "host", "date", "digest", "content-type"},
			ContentType:         "application/activity+json",
			UserAgent:           "http.rb/5.1.1 (Mastodon/4.3.0; +%s/)",
			Absent:              map[string]string{ShapeDeleteIRI: "mastodon/mastodon app/serializers/activitypub/delete_serializer.rb always embeds a Tombstone", ShapeDeleteObject: "Mastodon embeds a Tombstone"},
			Inbox:               mastodonRules,
			AuthorizedFetchMode: "AUTHORIZED_FETCH (app/controllers/concerns/signature_verification.rb require_signature!)",
			Hashtag:             mastodonHashtag,
		},
		{
			Name:      "gotosocial",
			ActorPath: prefixPath("/users/"),
			NotePath:  func(u, id string) string { return "/users/" + u + "/statuses/" + id },
			// superseriousbusiness/gotosocial internal/typeutils/internaltoas.go
			// (AccountToASMinimal) and the captures in ../shared/fixtures/gotosocial.
			KeySuffix: "/main-key",
			KeyDoc:    KeyMinimalPerson,
			// superseriousbusiness/gotosocial internal/transport/signing.go and
			// docs/federation/federating_with_gotosocial/http_signatures.md:
			// POSTs sign (request-target) host date digest; go-fed/httpsig names it hs2019.
			Algorithm:       "hs2019",
			Headers:         []string{"(request-target)", "host", "date", "digest"},
			ContentType:     `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`,
			UserAgent:       "gotosocial/main-57cb4fe74 (+%s)",
			AuthorizedFetch: true,
			Absent: map[string]string{ShapeDeleteTombstone: "internal/typeutils/internaltoas.go StatusToASDelete puts the bare IRI (capture delete.json)",
				ShapeDeleteObject: "GoToSocial sends the bare IRI"},
			Inbox:               gotosocialRules,
			AuthorizedFetchMode: "always on (internal/federation/authenticate.go)",
			Hashtag:             gotosocialHashtag,
		},
		{
			Name: "misskey",
			// misskey-dev/misskey packages/backend/src/core/activitypub/ApRendererService.ts:
			// actors are /users/<id>, notes /notes/<id>; the id is not the username.
			ActorPath: func(u string) string { return "/users/9" + userNumber(u) + "abcd" },
			NotePath:  func(_, id string) string { return "/notes/" + id },
			KeySuffix: "#main-key", // renderPerson: renderKey(user, keypair, '#main-key')
			// ApRequestService.ts createSignedPost: (request-target) date host digest,
			// Content-Type application/activity+json; node-http-message-signatures
			// names an RSA key's draft signature rsa-sha256.
			Algorithm:   "rsa-sha256",
			Headers:     []string{"(request-target)", "date", "host", "digest"},
			ContentType: "application/activity+json",
			UserAgent:   "Misskey/2024.11.0 (%s)",
			Absent:      map[string]string{ShapeDeleteIRI: "ApRendererService.ts renderDelete is given renderTombstone(uri)", ShapeDeleteObject: "Misskey sends a Tombstone"},
			Inbox:       misskeyRules,
			Hashtag:     misskeyHashtag,
		},
		{
			Name:      "pleroma",
			ActorPath: prefixPath("/users/"),
			NotePath:  func(_, id string) string { return "/objects/" + id },
			// pleroma-social/pleroma lib/pleroma/web/activity_pub/views/user_view.ex:
			// publicKey id "#{ap_id}#main-key".
			KeySuffix: "#main-key",
			// pleroma-social/pleroma lib/pleroma/web/activity_pub/publisher.ex
			// publish_one (same in BDX-town/Akkoma) signs (request-target), host,
			// content-length, digest and date through lib/pleroma/signature.ex sign;
			// the http_signatures library's sign (its text in the index) sorts the
			// headers by name and labels the signature rsa-sha256. Content-Type
			// application/activity+json; Date from signature.ex signed_date, the
			// RFC 1123 form with GMT.
			Algorithm:           "rsa-sha256",
			Headers:             []string{"(request-target)", "content-length", "date", "digest", "host"},
			ContentType:         "application/activity+json",
			UserAgent:           "Pleroma 2.7.0; %s <admin@example.org>",
			AddressesParent:     true, // lib/pleroma/web/common_api/utils.ex get_to_and_cc
			Absent:              map[string]string{ShapeDeleteTombstone: "builder.ex delete names the object by IRI (capture lemmy assets pleroma/activities/delete.json)", ShapeDeleteObject: "Pleroma sends the IRI"},
			Inbox:               pleromaRules,
			Hashtag:             pleromaHashtag,
			AuthorizedFetchMode: ":activitypub, :authorized_fetch_mode (lib/pleroma/web/plugs/http_signature_plug.ex maybe_require_signature)",
		},
		{
			Name:      "peertube",
			ActorPath: prefixPath("/accounts/"),
			NotePath: func(_, id string) string {
				return "/videos/watch/4294a720-f263-4ea4-9392-cf9cea4d5277/comments/" + id
			},
			KeySuffix: "#main-key", // LemmyNet/lemmy assets peertube/objects/person.json
			// Chocobozzz/PeerTube server/core/initializers/constants.ts HTTP_SIGNATURE and
			// server/core/lib/activitypub/send/http.ts (content-type application/activity+json).
			Algorithm:   "rsa-sha256",
			Headers:     []string{"(request-target)", "host", "date", "digest"},
			ContentType: "application/activity+json",
			UserAgent:   "PeerTube/6.3.0 (+%s)",
			// Everything a PeerTube account sends is about a video; the course's
			// lessons are Notes (see the header of testdata/families/peertube.txtar).
			Absent: map[string]string{
				ShapeFollow:                "my-subscriptions.ts addUserSubscription sets assertIsChannel and activitypub-follow.ts refuses a non-channel target",
				ShapeUndoFollow:            "no Follow",
				ShapeReply:                 "send-create.ts sendCreateVideoCommentIfNeeded sends only comments on a PeerTube video",
				ShapeReply + "/mention":    "send-create.ts sends only comments on a video",
				ShapeReply + "/no-mention": "send-create.ts sends only comments on a video",
				ShapeUpdate:                "comments are not edited in PeerTube",
				ShapeLike:                  "send-like.ts sendLike likes only a video",
				ShapeAnnounce:              "PeerTube announces only videos",
				ShapeDeleteTombstone:       "no comment reaches the course to be deleted (send-delete.ts names a comment by bare IRI)",
				ShapeDeleteIRI:             "no comment reaches the course to be deleted",
				ShapeDeleteObject:          "no comment reaches the course to be deleted",
			},
			Inbox: peertubeRules,
			NoHashtagPost: "an account sends only videos and comments on videos (server/core/lib/activitypub/send/send-create.ts); " +
				"a video's tags are Hashtags, but a video names no one, so it never reaches the course's inbox unless the course follows the channel, " +
				"and the course follows back only a participant who opted in by a post",
		},
		{
			Name:      "pixelfed",
			ActorPath: prefixPath("/users/"),
			// pixelfed/pixelfed app/Status.php url(): /p/<username>/<id>.
			NotePath:  func(u, id string) string { return "/p/" + u + "/" + id },
			KeySuffix: "#main-key", // app/Profile.php keyId()
			// app/Util/ActivityPub/HttpSignature.php: (request-target) host date digest
			// plus the added Content-Type and User-Agent (app/Jobs/SharePipeline/SharePipeline.php).
			Algorithm:      "rsa-sha256",
			Headers:        []string{"(request-target)", "host", "date", "digest", "content-type", "user-agent"},
			ContentType:    `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`,
			UserAgent:      "(Pixelfed/0.12.4; +%s)",
			MentionsParent: true, // app/Transformer/ActivityPub/Verb/CreateNote.php adds the parent's author
			Absent:         map[string]string{ShapeDeleteIRI: "app/Transformer/ActivityPub/Verb/DeleteNote.php embeds a Tombstone", ShapeDeleteObject: "Pixelfed sends a Tombstone"},
			Inbox:          pixelfedRules,
			Hashtag:        pixelfedHashtag,
		},
		{
			Name:      "friendica",
			ActorPath: prefixPath("/profile/"),
			NotePath:  func(_, id string) string { return "/objects/" + id },
			KeySuffix: "#main-key",
			// friendica/friendica src/Util/HTTPSignature.php createSig for POSTs:
			// (request-target) date content-length digest host, rsa-sha256,
			// Content-Type application/activity+json.
			Algorithm:   "rsa-sha256",
			Headers:     []string{"(request-target)", "date", "content-length", "digest", "host"},
			ContentType: "application/activity+json",
			UserAgent:   "Friendica 'Yellow Archangel' 2024.12; %s",
			Absent:      map[string]string{ShapeDeleteIRI: "src/Protocol/ActivityPub/Transmitter.php sends a Tombstone", ShapeDeleteObject: "Friendica sends a Tombstone"},
			Inbox:       friendicaRules,
			Hashtag:     friendicaHashtag,
		},
		{
			Name:      "lemmy",
			ActorPath: prefixPath("/u/"),
			NotePath:  func(_, id string) string { return "/comment/" + id },
			// LemmyNet/activitypub-federation-rust src/http_signatures.rs: keyId
			// <actor>#main-key, hs2019, (request-target) content-type date digest host.
			KeySuffix:   "#main-key",
			Algorithm:   "hs2019",
			Headers:     []string{"(request-target)", "content-type", "date", "digest", "host"},
			ContentType: "application/activity+json",
			UserAgent:   "Lemmy/0.19.9; +%s",
			Absent: map[string]string{ShapeDeleteTombstone: "crates/apub/activities/src/protocol/deletion/delete.rs names the object by IRI", ShapeDeleteObject: "Lemmy sends the IRI",
				ShapeAnnounce: "only a Lemmy community announces (crates/apub/activities/src/community/announce.rs); a person does not boost"},
			Inbox: lemmyRules,
			NoHashtagPost: "a comment's tag holds only Mentions (crates/apub/objects/src/objects/comment.rs into_json), and a post's only Hashtag " +
				"is its community's name with the post's own id as href (crates/apub/objects/src/objects/post.rs into_json): a participant cannot tag a post #<course>",
		},
		{
			Name: "wordpress",
			// Automattic/wordpress-activitypub includes/model/class-user.php get_id():
			// home_url/?author=<number>.
			ActorPath: func(u string) string { return "/?author=" + userNumber(u) },
			// includes/class-comment.php generate_id(): home_url/?c=<number>.
			NotePath:  func(_, id string) string { return "/?c=" + id },
			KeySuffix: "#main-key", // class-user.php get_public_key()
			// includes/class-signature.php: rsa-sha256 over (request-target) host date digest;
			// includes/class-http.php: Content-Type application/activity+json.
			Algorithm:   "rsa-sha256",
			Headers:     []string{"(request-target)", "host", "date", "digest"},
			ContentType: "application/activity+json",
			UserAgent:   "WordPress/6.6; %s",
			Absent: map[string]string{ShapeFollow: "the plugin is followed; it sends no Follow (includes/ has no outgoing Follow)", ShapeUndoFollow: "no Follow",
				ShapeLike: "the plugin sends no Like", ShapeAnnounce: "includes/class-activity-dispatcher.php announces only the blog's own posts",
				ShapeDeleteTombstone: "includes/transformer/class-base.php to_activity embeds the whole object", ShapeDeleteIRI: "the whole object is embedded",
				AudienceFollowers: "includes/transformer/class-post.php get_to addresses every post to the public",
				AudienceDirect:    "the plugin sends no direct post: get_to addresses every post to the public"},
			Inbox: wordpressRules,
			// A journal entry is a blog post (includes/transformer/class-post.php):
			// id home_url/?p=<n> (get_id), to Public (get_to), cc the followers and
			// the mentioned (get_cc), a Note by default (activitypub.php
			// ACTIVITYPUB_DEFAULT_OBJECT_TYPE); trashed, it is Deleted whole
			// (includes/class-scheduler.php schedule_post_activity).
			PostPath: func(_, id string) string { return "/?p=" + id },
			Hashtag:  wordpressHashtag,
		},
	}
}

// FamilyByName returns the named family; it panics on an unknown name, a
// mistake in the test itself.
func FamilyByName(name string) Family {
	for _, f := range Families() {
		if f.Name == name {
			return f
		}
	}
	panic("mastotest: no family " + name)
}

// templates reads a family's txtar file into name → template.
func templates(family string) (map[string]string, error) {
	data, err := fixtures.ReadFile("testdata/families/" + family + ".txtar")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range txtar.Parse(data).Files {
		out[f.Name] = string(f.Data)
	}
	return out, nil
}

// NewFamily starts a peer that plays family f on loopback.
func NewFamily(t testing.TB, f Family) *Server {
	t.Helper()
	tmpl, err := templates(f.Name)
	if err != nil {
		t.Fatal(err)
	}
	s := New(t)
	s.mu.Lock()
	s.fam, s.tmpl, s.users, s.posts = &f, tmpl, map[string]string{}, map[string]bool{}
	s.authorized = f.AuthorizedFetch
	s.mu.Unlock()
	s.ContentType = f.ContentType
	return s
}

// Family returns the family the server plays; nil for the plain Mastodon
// peer of New.
func (s *Server) Family() *Family { return s.fam }

// Vars are the values filled into a family's templates.
type Vars struct {
	User      string
	ID        string // the post's (or activity's) own number
	InReplyTo string // for a reply: the parent
	Object    string // for a Like or Announce: what is liked or boosted
	Content   string // HTML of the post, without the mention
	Mention   bool   // the reply mentions the course
	// Hashtag, for a reply or update, adds the family's Hashtag tag and a
	// link to it at the end of the content (issue 14).
	Hashtag string
	// Audience, for a reply or update, readdresses the post: "" keeps it
	// public, "followers" makes it followers-only, "direct" addresses only
	// the course. A reply with no InReplyTo is a post of its own.
	Audience string
}

// Has reports whether the family sends shape.
func (s *Server) Has(shape string) bool {
	_, ok := s.tmpl[shape+".json"]
	return ok
}

// NoteID returns the id of user's post id on this server.
func (s *Server) NoteID(user, id string) string {
	if s.fam == nil {
		return s.ActorID(user) + "/statuses/" + id
	}
	s.mu.Lock()
	post := s.posts[user+"/"+id]
	s.mu.Unlock()
	if post {
		return s.Base + s.fam.PostPath(user, id)
	}
	return s.Base + s.fam.NotePath(user, id)
}

// Doc fills the family's template name (e.g. "actor.json", "reply.json")
// with v. A post it builds (a reply or its update) is served at its id, so
// the companion can fetch it.
func (s *Server) Doc(t testing.TB, name string, v Vars) []byte {
	t.Helper()
	tmpl, ok := s.tmpl[name]
	if !ok {
		t.Fatalf("family %s has no %s", s.fam.Name, name)
	}
	if (name == ShapeReply+".json" || name == ShapeUpdate+".json") && v.InReplyTo == "" && s.fam.PostPath != nil {
		s.mu.Lock()
		s.posts[v.User+"/"+v.ID] = true // from now on its id is the post's
		s.mu.Unlock()
	}
	course := s.Course
	mention := ""
	if v.Mention {
		mention = `<span class=\"h-card\"><a href=\"` + course + `\" class=\"u-url mention\">@<span>course</span></a></span> `
	}
	s.mu.Lock()
	pem, rotated := s.keyPEM[v.User]
	s.mu.Unlock()
	if !rotated {
		pem = s.Key.PublicKeyPEM()
	}
	pemJS, _ := json.Marshal(pem)
	contentJS, _ := json.Marshal(v.Content)
	vals := map[string]string{
		"BASE": s.Base, "HOST": s.Host(), "USER": v.User, "ACTOR": s.ActorID(v.User), "KEY_ID": s.KeyID(v.User),
		"PEM": string(pemJS[1 : len(pemJS)-1]), "COURSE": course, "COURSE_HANDLE": "@course@" + hostOf(course),
		"NOTE": s.NoteID(v.User, v.ID), "ID": v.ID, "IN_REPLY_TO": v.InReplyTo, "OBJECT": v.Object,
		"CONTENT": string(contentJS[1 : len(contentJS)-1]), "MENTION_HTML": mention,
		"PUBLISHED": "2026-11-22T15:22:53Z", "UPDATED": "2026-11-22T16:01:10Z",
	}
	out := tmpl
	for k, val := range vals {
		out = strings.ReplaceAll(out, "{{"+k+"}}", val)
	}
	if strings.Contains(out, "{{") {
		t.Fatalf("family %s %s: unfilled placeholder in %s", s.fam.Name, name, out)
	}
	doc := []byte(out)
	if name == ShapeReply+".json" && !v.Mention {
		doc = s.withoutMention(t, doc)
	}
	if name == ShapeReply+".json" || name == ShapeUpdate+".json" {
		if v.Hashtag != "" || v.Audience != "" || v.InReplyTo == "" {
			doc = s.reshape(t, doc, v)
		}
		s.serveObject(t, doc)
	}
	return doc
}

// reshape makes a reply template into a post of the journals' kinds: its
// own post (no inReplyTo), with the family's hashtag, to another audience.
func (s *Server) reshape(t testing.TB, doc []byte, v Vars) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("family %s post: %v", s.fam.Name, err)
	}
	obj, _ := m["object"].(map[string]any)
	if obj == nil {
		t.Fatalf("family %s post has no object", s.fam.Name)
	}
	if v.InReplyTo == "" {
		obj["inReplyTo"] = nil
		delete(obj, "inReplyToAtomUri")
	}
	if v.Hashtag != "" {
		if s.fam.Hashtag == nil {
			t.Fatalf("family %s: no hashtag shape read from its source", s.fam.Name)
		}
		tag := s.fam.Hashtag(s.Base, v.Hashtag)
		tags := []any{}
		switch x := obj["tag"].(type) {
		case map[string]any:
			tags = append(tags, x)
		case []any:
			tags = x
		}
		obj["tag"] = append(tags, tag)
		link := ` <a href="` + tag["href"].(string) + `" class="mention hashtag" rel="tag">#<span>` + v.Hashtag + `</span></a>`
		for _, k := range []string{"content"} {
			if c, ok := obj[k].(string); ok {
				obj[k] = strings.TrimSuffix(c, "</p>") + link + "</p>"
			}
		}
		if cm, ok := obj["contentMap"].(map[string]any); ok {
			for lang := range cm {
				cm[lang] = obj["content"]
			}
		}
	}
	actor := s.ActorID(v.User)
	var to, cc []any
	switch v.Audience {
	case "":
		to, cc = []any{"https://www.w3.org/ns/activitystreams#Public"}, []any{actor + "/followers"}
		if v.Mention {
			cc = append(cc, s.Course)
		}
	case "followers":
		to, cc = []any{actor + "/followers"}, []any{}
		if v.Mention {
			cc = append(cc, s.Course)
		}
	case "direct":
		to, cc = []any{s.Course}, []any{}
	default:
		t.Fatalf("audience %q", v.Audience)
	}
	for _, o := range []map[string]any{m, obj} {
		o["to"], o["cc"] = to, cc
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Activity builds shape (one of the Shape constants) for v.
func (s *Server) Activity(t testing.TB, shape string, v Vars) []byte {
	t.Helper()
	return s.Doc(t, shape+".json", v)
}

// withoutMention removes the course from a reply's tags and audience, as
// the family's serializer does for a reply that does not name the course;
// a family that always mentions the parent's author keeps its tag.
func (s *Server) withoutMention(t testing.TB, doc []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("family %s reply: %v", s.fam.Name, err)
	}
	strip := func(o map[string]any) {
		if s.fam.MentionsParent {
			return
		}
		if !s.fam.AddressesParent {
			for _, k := range []string{"to", "cc"} {
				o[k] = dropValue(o[k], s.Course)
			}
		}
		switch tag := o["tag"].(type) {
		case map[string]any:
			if tag["href"] == s.Course {
				o["tag"] = []any{}
			}
		case []any:
			kept := []any{}
			for _, x := range tag {
				if tm, ok := x.(map[string]any); ok && tm["href"] == s.Course {
					continue
				}
				kept = append(kept, x)
			}
			o["tag"] = kept
		}
	}
	strip(m)
	if obj, ok := m["object"].(map[string]any); ok {
		strip(obj)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func dropValue(v any, drop string) any {
	switch x := v.(type) {
	case string:
		if x == drop {
			return []any{}
		}
	case []any:
		kept := []any{}
		for _, e := range x {
			if e != drop {
				kept = append(kept, e)
			}
		}
		return kept
	}
	return v
}

// serveObject serves the Note inside a Create or Update at its id.
func (s *Server) serveObject(t testing.TB, doc []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	obj, ok := m["object"].(map[string]any)
	if !ok {
		return
	}
	id, _ := obj["id"].(string)
	if !strings.HasPrefix(id, s.Base) {
		return
	}
	if _, ok := obj["@context"]; !ok {
		obj["@context"] = m["@context"]
	}
	note, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	s.AddNote(id, note)
}

func hostOf(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	host, _, _ := strings.Cut(u, "/")
	return host
}

// signFamily signs req as the family does: its headers, in its order, and
// its algorithm name. go-fed/httpsig computes RSA-SHA256 whatever the name;
// only the label differs between families.
func (s *Server) signFamily(req *http.Request, keyID string, body []byte) error {
	f := s.fam
	req.Header.Set("Date", timeNow().UTC().Format(http.TimeFormat))
	if req.Host == "" {
		req.Host = req.URL.Host
	}
	req.Header.Set("Host", req.Host)
	defer req.Header.Del("Host")
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, f.Headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("sign as %s: %w", f.Name, err)
	}
	if err := signer.SignRequest(s.Key.PrivateKey(), keyID, req, body); err != nil {
		return fmt.Errorf("sign as %s: %w", f.Name, err)
	}
	if f.Algorithm != "hs2019" {
		req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="`+f.Algorithm+`"`, 1))
	}
	return nil
}

// serveFamily answers GETs as the family's server does: WebFinger, actors,
// key documents and posts.
func (s *Server) serveFamily(w http.ResponseWriter, r *http.Request) {
	f := s.fam
	uri := r.URL.RequestURI()
	s.mu.Lock()
	if r.Method == http.MethodGet {
		s.gets[r.URL.Path]++
	}
	gone := s.gone[r.URL.Path]
	note, isNote := s.notes[uri]
	user, isActor := s.users[uri]
	keyUser, isKey := s.users[strings.TrimSuffix(uri, f.KeySuffix)]
	s.mu.Unlock()
	isKey = isKey && f.KeyDoc == KeyMinimalPerson && strings.HasSuffix(uri, f.KeySuffix)
	if r.Method == http.MethodPost {
		s.inbox(w, r)
		return
	}
	if s.authorized && (isNote || isActor) && !s.signedGet(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/activity+json; charset=utf-8")
	switch {
	case gone:
		http.Error(w, "gone", http.StatusGone)
	case r.URL.Path == "/.well-known/webfinger":
		acct := strings.TrimPrefix(r.URL.Query().Get("resource"), "acct:")
		name, _, _ := strings.Cut(acct, "@")
		s.ActorID(name)
		w.Header().Set("Content-Type", "application/jrd+json; charset=utf-8")
		w.Write(s.Doc(nopT{}, "webfinger.json", Vars{User: name}))
	case isKey:
		w.Write(s.Doc(nopT{}, "key.json", Vars{User: keyUser}))
	case isNote:
		w.Write(note)
	case isActor:
		w.Write(s.Doc(nopT{}, "actor.json", Vars{User: user}))
	default:
		http.NotFound(w, r)
	}
}

// PostFamily signs body as user the way the family's delivery does and
// POSTs it to inbox, returning the status.
func (s *Server) PostFamily(ctx context.Context, user, inbox string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", s.fam.ContentType)
	req.Header.Set("User-Agent", fmt.Sprintf(s.fam.UserAgent, s.Base))
	if err := s.signFamily(req, s.KeyID(user), body); err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// sigParam matches one key="value" of a Signature header.
var sigParam = regexp.MustCompile(`([a-zA-Z]+)="([^"]*)"`)

// check applies the family's rules to a request signed by the course,
// before its signature is verified, as the family's server does.
func (rules InboxRules) check(r *http.Request, body []byte, ownHost string, now time.Time) error {
	params := map[string]string{}
	for _, m := range sigParam.FindAllStringSubmatch(r.Header.Get("Signature"), -1) {
		params[m[1]] = m[2]
	}
	if params["keyId"] == "" {
		return errors.New("no keyId")
	}
	signed := map[string]bool{}
	for _, h := range strings.Fields(strings.ToLower(params["headers"])) {
		signed[h] = true
	}
	need := rules.SignedGet
	if r.Method == http.MethodPost {
		need = rules.SignedPost
	}
	for _, alternatives := range need {
		ok := false
		for _, h := range strings.Split(alternatives, "|") {
			ok = ok || signed[h]
		}
		if !ok {
			return fmt.Errorf("%s not signed (signed: %s)", alternatives, params["headers"])
		}
	}
	if rules.Algorithms != nil && !slices.Contains(rules.Algorithms, params["algorithm"]) {
		return fmt.Errorf("algorithm %q not accepted", params["algorithm"])
	}
	if rules.MaxAge > 0 || rules.MaxAhead > 0 {
		date, err := http.ParseTime(r.Header.Get("Date"))
		if err != nil {
			return fmt.Errorf("date: %w", err)
		}
		if rules.MaxAge > 0 && now.Sub(date) > rules.MaxAge {
			return fmt.Errorf("date %s too old", r.Header.Get("Date"))
		}
		if rules.MaxAhead > 0 && date.Sub(now) > rules.MaxAhead {
			return fmt.Errorf("date %s in the future", r.Header.Get("Date"))
		}
	}
	if r.Method == http.MethodPost && rules.ContentTypes != nil {
		ct := r.Header.Get("Content-Type")
		base, _, _ := strings.Cut(ct, ";")
		ok := false
		for _, want := range rules.ContentTypes {
			wantBase, wantProfile, hasProfile := strings.Cut(want, ";")
			if !strings.EqualFold(strings.TrimSpace(base), wantBase) {
				continue
			}
			ok = !hasProfile || strings.Contains(strings.ReplaceAll(ct, " ", ""), strings.TrimSpace(wantProfile))
			if ok {
				break
			}
		}
		if !ok {
			return fmt.Errorf("content type %q not accepted", ct)
		}
	}
	if rules.KeyIDFragment {
		if _, frag, ok := strings.Cut(params["keyId"], "#"); !ok || frag == "" {
			return fmt.Errorf("key id %s has no #fragment", params["keyId"])
		}
	}
	if rules.HostMatches && r.Host != ownHost {
		return fmt.Errorf("host %s is not %s", r.Host, ownHost)
	}
	if rules.IDOnKeyHost && r.Method == http.MethodPost {
		var a struct {
			ID     string `json:"id"`
			Object any    `json:"object"`
		}
		if err := json.Unmarshal(body, &a); err != nil {
			return fmt.Errorf("body: %w", err)
		}
		keyHost := hostOf(params["keyId"])
		if hostOf(a.ID) != keyHost {
			return fmt.Errorf("activity id %q is not on the key's host %s", a.ID, keyHost)
		}
		if obj, ok := a.Object.(map[string]any); ok {
			if attr, ok := obj["attributedTo"].(string); ok && hostOf(attr) != keyHost {
				return fmt.Errorf("object attributedTo %s is not on the key's host %s", attr, keyHost)
			}
		}
	}
	return nil
}

// RuleFailures returns why the family's rules refused requests from the
// course, in order; a test expects none.
func (s *Server) RuleFailures() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

// refuse records a request the family's rules turned away.
func (s *Server) refuse(r *http.Request, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = append(s.refused, r.Method+" "+r.URL.Path+": "+err.Error())
}
