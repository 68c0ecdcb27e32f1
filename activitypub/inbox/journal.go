package inbox

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
)

// The reflection journals (issue 14): which posts become journal entries,
// and how a participant opts in and out. The rules, in the order they
// apply to a Create or Update of the actor's own post:
//
//   - "!journal off" addressed to the course ends the journal: the course
//     undoes its Follow and every entry goes at once.
//   - "!journal on" addressed to the course, or a new public post with the
//     course hashtag, opts in: the course follows the participant back.
//     Someone who left comes back only by "!journal on": leaving holds.
//   - A public post with the hashtag by a participant is stored as an
//     entry (an Update replaces it).
//   - Anything else of a participant's is not stored; an Update that drops
//     the hashtag or the public address removes the entry.
//
// "Public" is the Public collection in to: an unlisted post stays out of
// hashtag listings on the author's own server (Mastodon shows only public
// posts under a tag), so it stays out of the journal's week pages too.

// journalCommand is a command addressed to the course: "!journal on" or
// "!journal off", anywhere in the post's text, in any case.
var journalCommand = regexp.MustCompile(`(?i)(?:^|\s)!journal\s+(on|off)\b`)

// htmlTag matches one tag of a post's (sanitized) HTML, to read its text.
var htmlTag = regexp.MustCompile(`<[^>]*>`)

// commandIn returns "on", "off" or "" for a post's HTML content.
func commandIn(content string) string {
	text := html.UnescapeString(htmlTag.ReplaceAllString(content, " "))
	m := journalCommand.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return strings.ToLower(m[1])
}

// journalPost decides what a Create or Update does to the journals, or
// returns nil when it does nothing to them (journals off, or not the
// actor's own post). Its effect runs before the reply's, in the same
// transaction.
func (h *Handler) journalPost(act *as.Activity, owner activitypub.Actor) effect {
	rep := act.Reply
	if h.o.Journal == "" || rep == nil || rep.Actor != act.Actor || !activitypub.SameHost(rep.ID, act.Actor) {
		return nil
	}
	course := h.o.URLs.Actor()
	addressed := slices.Contains(act.Mentions, course) || slices.Contains(rep.To, course) || slices.Contains(rep.Cc, course)
	cmd := ""
	if addressed && act.Kind == as.KindCreate {
		cmd = commandIn(rep.Content)
	}
	public := rep.VisibilityFor(owner.Followers) == activitypub.Public
	tagged := public && act.HasHashtag(h.o.Journal)
	if cmd == "" && !tagged && act.Kind == as.KindCreate {
		return nil // most posts: nothing to do, nothing read
	}
	r := Clean(*rep)
	entry := activitypub.JournalEntry{ID: r.ID, Actor: r.Actor, URL: r.URL, Published: r.Published, Updated: r.Updated,
		Content: r.Content, Summary: r.Summary, Sensitive: r.Sensitive, Attachments: r.Attachments}
	return func(tx activitypub.Tx, out *outcome) error {
		p, err := tx.JournalParticipant(act.Actor)
		known := err == nil
		if err != nil && !errors.Is(err, activitypub.ErrNotFound) {
			return fmt.Errorf("journal: %w", err)
		}
		in := known && p.Left.IsZero()
		if cmd == "off" {
			if !in {
				return nil
			}
			return h.leaveJournal(tx, out, act.Actor, true, false)
		}
		if !in && (cmd == "on" || (!known && tagged && act.Kind == as.KindCreate)) {
			if p, err = h.joinJournal(tx, out, act, owner); err != nil {
				return err
			}
			in = true
		}
		if !in {
			return nil
		}
		if tagged {
			if err := tx.SaveJournalEntry(entry); err != nil {
				return fmt.Errorf("journal entry: %w", err)
			}
			out.journal = true
			h.log.Info("journal entry stored", "actor", p.ActorID, "entry_id", entry.ID)
			return nil
		}
		// An edit that took the hashtag or the public address away.
		err = tx.DeleteJournalEntry(entry.ID, act.Actor)
		if err == nil {
			out.journal = true
			return nil
		}
		if errors.Is(err, activitypub.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("journal: %w", err)
	}
}

// joinJournal records the participant and queues the course's signed
// Follow of them, whose id is derived from the activity that opted them
// in, so a retried activity queues it once and a return after leaving
// sends a new one.
func (h *Handler) joinJournal(tx activitypub.Tx, out *outcome, act *as.Activity, owner activitypub.Actor) (activitypub.JournalParticipant, error) {
	inbox := owner.Inbox
	if inbox == "" {
		inbox = owner.DeliveryInbox()
	}
	p := activitypub.JournalParticipant{ActorID: owner.ID, Handle: owner.Handle(), Inbox: inbox,
		FollowID: h.o.URLs.Activity("follow", hash(act.ID)), Joined: h.now()}
	body, err := as.Follow(p.FollowID, h.o.URLs.Actor(), owner.ID)
	if err != nil {
		return p, fmt.Errorf("journal: follow: %w", err)
	}
	if err := tx.SaveJournalParticipant(p); err != nil {
		return p, fmt.Errorf("journal: %w", err)
	}
	if _, err := tx.EnqueueDelivery(activitypub.Delivery{ActivityID: p.FollowID, Inbox: inbox, Body: body}); err != nil && !errors.Is(err, activitypub.ErrDuplicate) {
		return p, fmt.Errorf("journal: queue follow: %w", err)
	}
	out.enqueued = true
	h.log.Info("journal started", "actor", owner.ID, "activity_id", act.ID)
	return p, nil
}

// leaveJournal removes a participant's entries and marks them left, so
// that only "!journal on" brings them back; with gone (their account was
// deleted) nothing of theirs is kept, not even the mark. When undo is set
// (they are still there to tell), it queues the Undo of the course's
// Follow. Someone who is not a participant changes nothing.
func (h *Handler) leaveJournal(tx activitypub.Tx, out *outcome, actorID string, undo, gone bool) error {
	p, err := tx.RemoveJournalParticipant(actorID)
	if errors.Is(err, activitypub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal: leave: %w", err)
	}
	out.journal = true
	h.log.Info("journal ended", "actor", actorID)
	if gone || !p.Left.IsZero() {
		return nil // erased, or had left already
	}
	left := p
	left.Accepted, left.Left = false, h.now()
	if err := tx.SaveJournalParticipant(left); err != nil {
		return fmt.Errorf("journal: leave: %w", err)
	}
	if !undo {
		return nil
	}
	id := h.o.URLs.Activity("undo-follow", hash(p.FollowID))
	body, err := as.UndoFollow(id, h.o.URLs.Actor(), p.FollowID, p.ActorID)
	if err != nil {
		return fmt.Errorf("journal: undo follow: %w", err)
	}
	if _, err := tx.EnqueueDelivery(activitypub.Delivery{ActivityID: id, Inbox: p.Inbox, Body: body}); err != nil && !errors.Is(err, activitypub.ErrDuplicate) {
		return fmt.Errorf("journal: queue undo follow: %w", err)
	}
	out.enqueued = true
	return nil
}

// journalAnswer handles a participant's Accept or Reject of the course's
// Follow: an Accept marks it accepted; a Reject (the follow refused, or
// the course removed from their followers) ends their journal. Only the
// followed actor answers: an answer naming another's Follow is refused.
func (h *Handler) journalAnswer(act *as.Activity) (effect, error) {
	followID := act.Object
	if act.Inner != nil {
		if act.Inner.Kind != as.KindFollow || act.Inner.Actor != h.o.URLs.Actor() {
			return noEffect, nil
		}
		followID = act.Inner.ID
	}
	return func(tx activitypub.Tx, out *outcome) error {
		p, err := tx.JournalParticipant(act.Actor)
		if errors.Is(err, activitypub.ErrNotFound) || (err == nil && (p.FollowID != followID || !p.Left.IsZero())) {
			return nil // an answer to a Follow we no longer hold, or none of ours
		}
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		if act.Kind == as.KindReject {
			return h.leaveJournal(tx, out, act.Actor, false, false)
		}
		got, err := tx.AcceptJournalFollow(followID)
		if err != nil {
			return fmt.Errorf("journal: accept: %w", err)
		}
		if got.ActorID != act.Actor {
			return fail(ReasonForbidden, http.StatusForbidden, "accept of another actor's follow",
				fmt.Errorf("journal: %s accepts the follow of %s", act.Actor, got.ActorID))
		}
		out.log("journal follow accepted", "actor", act.Actor)
		return nil
	}, nil
}

// withJournal runs the journal's effect, when there is one, before the
// post's own.
func withJournal(j, post effect) effect {
	if j == nil {
		return post
	}
	return func(tx activitypub.Tx, out *outcome) error {
		if err := j(tx, out); err != nil {
			return err
		}
		return post(tx, out)
	}
}

// journalChanged tells the rest of the companion that the journals
// changed.
func (h *Handler) journalChanged(_ context.Context) {
	h.changed(activitypub.JournalChanged)
}
