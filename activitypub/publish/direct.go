package publish

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/url"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/delivery"
)

// DirectRecipientsLimit bounds the recipients of one direct message: the
// course account writes to a participant or two (reviewers, moderators),
// never to a crowd; a list longer than this is a bug, not a message.
const DirectRecipientsLimit = 20

// ErrNoInbox is returned by Direct for a recipient whose actor names no
// inbox of its own.
var ErrNoInbox = errors.New("recipient has no inbox")

// Actors resolves a recipient's actor IRI to its actor, fetching it when
// the Store has no fresh copy; fetch.Client is one.
type Actors interface {
	Actor(ctx context.Context, id string, refresh bool) (activitypub.Actor, error)
}

// DirectMessage is what Direct sends: HTML content from the course account
// to a few actors, each mentioned.
type DirectMessage struct {
	// To are the recipients' actor IRIs, at most DirectRecipientsLimit.
	To []string
	// Content is the message as HTML; Direct puts a mention of each
	// recipient before it. The caller escapes what it quotes.
	Content string
	// InReplyTo, when set, is the post the message answers.
	InReplyTo string
	// Key, when set, names the message for good (its id is
	// URLs.Direct(Key)): sending the same Key again sends nothing and
	// returns the same id, so a caller that retries after a crash does not
	// message anyone twice. Empty picks a random key.
	Key string
}

// Direct sends m as a direct message of the course account: a Note
// addressed to the recipients alone (to = their actor IRIs; no public
// collection, no followers), a Mention tag per recipient, wrapped in a
// Create queued for each recipient's own inbox. The Note is stored first,
// so a recipient's server that fetches its id gets it (see
// discovery's direct endpoint: it answers only a signed request from a
// recipient). It returns the Note's id.
//
// Delivery goes to each personal inbox, never a shared one. Mastodon
// itself delivers a direct status to the mentioned accounts' shared
// inboxes when they have one (app/lib/status_reach_finder.rb,
// reached_account_inboxes, through Account.inboxes in
// app/models/account.rb, which prefers shared_inbox_url) and relies on the
// receiving server to route it by its to; a personal inbox also tells the
// receiving server whom it is for (Mastodon's delivered_to_account_id in
// app/lib/activitypub/activity/create.rb), so the message does not depend
// on that routing. For one to three recipients the extra deliveries cost
// nothing worth saving.
func (p *Publisher) Direct(ctx context.Context, m DirectMessage) (string, error) {
	if len(m.To) == 0 {
		return "", errors.New("direct: no recipients")
	}
	if len(m.To) > DirectRecipientsLimit {
		return "", fmt.Errorf("direct: %d recipients, more than %d", len(m.To), DirectRecipientsLimit)
	}
	key := m.Key
	if key == "" {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("direct: key: %w", err)
		}
		key = hex.EncodeToString(b[:])
	}
	id := p.o.URLs.Direct(key)
	if _, err := p.o.Store.DirectNote(ctx, id); err == nil {
		return id, nil // sent before: nothing more to do
	} else if !errors.Is(err, activitypub.ErrNotFound) {
		return "", fmt.Errorf("direct %s: %w", id, err)
	}

	var (
		to       []string
		inboxes  []string
		mentions []as.Tag
		lead     string
		seen     = map[string]bool{}
	)
	for _, actorID := range m.To {
		if seen[actorID] {
			continue
		}
		seen[actorID] = true
		a, err := p.actor(ctx, actorID)
		if err != nil {
			return "", fmt.Errorf("direct %s: recipient %s: %w", id, actorID, err)
		}
		if a.Inbox == "" {
			return "", fmt.Errorf("direct %s: recipient %s: %w", id, actorID, ErrNoInbox)
		}
		handle := Handle(a)
		to = append(to, a.ID)
		inboxes = append(inboxes, a.Inbox)
		mentions = append(mentions, as.Tag{Type: "Mention", Href: a.ID, Name: handle})
		lead += mentionLink(a) + " "
	}
	lang := ""
	if man := p.Manifest(); man != nil {
		lang = man.Language
	}
	msg := as.Message{ID: id, AttributedTo: p.o.URLs.Actor(), To: to, InReplyTo: m.InReplyTo,
		Content: "<p>" + lead + "</p>" + m.Content, Language: lang,
		Published: p.o.Now().UTC().Truncate(time.Second), Mentions: mentions}
	note, err := as.MessageNote(msg)
	if err != nil {
		return "", fmt.Errorf("direct %s: %w", id, err)
	}
	create, err := as.CreateMessage(id+"#create", msg)
	if err != nil {
		return "", fmt.Errorf("direct %s: %w", id, err)
	}
	// Stored before it is queued: a recipient's server may fetch the id as
	// soon as the Create arrives.
	err = p.o.Store.SaveDirectNote(ctx, activitypub.DirectNote{ID: id, Recipients: to, Body: note, Created: msg.Published})
	if errors.Is(err, activitypub.ErrDuplicate) {
		return id, nil // another process sent it meanwhile
	}
	if err != nil {
		return "", fmt.Errorf("direct %s: %w", id, err)
	}
	n, err := delivery.Enqueue(ctx, p.o.Store, id+"#create", create, inboxes)
	if err != nil {
		return "", fmt.Errorf("direct %s: %w", id, err)
	}
	p.log.Info("direct message queued", "object_id", id, "recipients", len(to), "deliveries", n)
	if n > 0 && p.o.Enqueued != nil {
		p.o.Enqueued()
	}
	return id, nil
}

// actor resolves a recipient: through Options.Actors when set, else the
// Store's copy.
func (p *Publisher) actor(ctx context.Context, id string) (activitypub.Actor, error) {
	if p.o.Actors != nil {
		return p.o.Actors.Actor(ctx, id, false)
	}
	return p.o.Store.Actor(ctx, id)
}

// Handle returns an actor's handle, @user@host, from its preferred
// username and the host of its id: what a Mention's name holds.
func Handle(a activitypub.Actor) string {
	host := ""
	if u, err := url.Parse(a.ID); err == nil {
		host = u.Host
	}
	return "@" + a.PreferredUsername + "@" + host
}

// mentionLink is the HTML of a mention, as Mastodon writes one in content
// (a span with class h-card around a link with class u-url mention), so
// the recipient's server renders it as a mention.
func mentionLink(a activitypub.Actor) string {
	href := a.URL
	if href == "" {
		href = a.ID
	}
	return `<span class="h-card"><a href="` + html.EscapeString(href) + `" class="u-url mention">@<span>` +
		html.EscapeString(a.PreferredUsername) + `</span></a></span>`
}
