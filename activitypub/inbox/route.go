package inbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/sanitize"
)

// effect is an activity's writes, decided once the slow work is done: it
// runs inside Store.Apply with the activity's seen mark, reads and writes
// only through tx, and notes in out what to do once it is committed.
type effect func(tx activitypub.Tx, out *outcome) error

// noEffect marks an activity seen and changes nothing: one that is
// acknowledged and dropped.
func noEffect(activitypub.Tx, *outcome) error { return nil }

// outcome is what an applied activity changed, acted on after the commit.
type outcome struct {
	changed  []string // lessons whose thread changed; "" for any
	reacted  []string // objects whose likes or boosts changed
	enqueued bool     // a delivery was queued
	crawl    string   // the stored reply whose own replies to look at
	journal  bool     // a reflection journal changed (journal.go)
	msg      string   // the info line to log, with attrs
	attrs    []any
}

func (o *outcome) log(msg string, attrs ...any) { o.msg, o.attrs = msg, attrs }

// after tells the rest of the companion what an applied activity changed.
func (h *Handler) after(ctx context.Context, out outcome) {
	if out.msg != "" {
		h.log.Info(out.msg, out.attrs...)
	}
	for _, obj := range out.reacted {
		if lesson, err := h.lessonOf(ctx, obj); err == nil && lesson != "" {
			out.changed = append(out.changed, lesson)
		}
	}
	for _, lesson := range out.changed {
		h.changed(lesson)
	}
	if out.enqueued && h.o.Enqueued != nil {
		h.o.Enqueued()
	}
	if out.crawl != "" && h.o.Crawl != nil {
		h.o.Crawl(out.crawl)
	}
	if out.journal {
		h.journalChanged(ctx)
	}
}

// prepare does an activity's slow work (fetches) and returns its effect.
// An error refuses the activity: nothing is marked, so a retry is handled.
func (h *Handler) prepare(ctx context.Context, act *as.Activity, owner activitypub.Actor) (effect, error) {
	switch act.Kind {
	case as.KindFollow:
		return h.follow(ctx, act, owner)
	case as.KindUndo:
		return h.undo(act)
	case as.KindCreate, as.KindUpdate:
		post, err := h.post(ctx, act, owner)
		if err != nil {
			return nil, err
		}
		return withJournal(h.journalPost(act, owner), post), nil // journal.go
	case as.KindAccept, as.KindReject:
		return h.journalAnswer(act) // journal.go: answers to the course's Follow
	case as.KindDelete:
		return h.delete(act), nil
	case as.KindLike, as.KindAnnounce:
		return h.react(ctx, act)
	case as.KindFlag:
		return h.flag(ctx, act)
	}
	h.log.Debug("activity dropped", "activity_id", act.ID, "type", act.Type)
	return noEffect, nil
}

// follow records the follower and queues a signed Accept to its inbox, in
// one transaction: a follower is never left without its Accept. A course
// with a private cohort accepts at once only that cohort's participants
// (and the moderators); anyone else's Follow waits for a moderator in the
// pending follows.
func (h *Handler) follow(ctx context.Context, act *as.Activity, owner activitypub.Actor) (effect, error) {
	if act.Object != h.o.URLs.Actor() {
		h.log.Info("follow of another actor dropped", "activity_id", act.ID, "object", act.Object)
		return noEffect, nil
	}
	hold, err := h.followLimits(ctx, owner) // followlimit.go
	if err != nil {
		return nil, err
	}
	if hold == followHeld || !h.o.Moderation.AcceptsFollowAtOnce(owner.ID, owner.Handle()) {
		p := activitypub.PendingFollow{ActorID: owner.ID, Handle: owner.Handle(), Inbox: owner.DeliveryInbox(), FollowID: act.ID, Requested: h.now()}
		return func(tx activitypub.Tx, out *outcome) error {
			if err := tx.SavePendingFollow(p); err != nil {
				return fmt.Errorf("follow: pending: %w", err)
			}
			out.log("follow waits for a moderator", "actor", owner.ID, "activity_id", act.ID)
			return nil
		}, nil
	}
	f := activitypub.Follower{ActorID: owner.ID, Inbox: owner.DeliveryInbox(), FollowID: act.ID, Since: h.now()}
	id := h.o.URLs.Activity("accept", hash(act.ID))
	body, err := as.Accept(id, h.o.URLs.Actor(), act.ID, owner.ID)
	if err != nil {
		return nil, fmt.Errorf("follow: accept: %w", err)
	}
	return func(tx activitypub.Tx, out *outcome) error {
		if err := tx.SaveFollower(f); err != nil {
			return fmt.Errorf("follow: %w", err)
		}
		_, err := tx.EnqueueDelivery(activitypub.Delivery{ActivityID: id, Inbox: owner.Inbox, Body: body})
		if err != nil && !errors.Is(err, activitypub.ErrDuplicate) {
			return fmt.Errorf("follow: queue accept: %w", err)
		}
		out.enqueued = true
		out.log("follower accepted", "actor", owner.ID, "activity_id", act.ID)
		return nil
	}, nil
}

// undo reverses a Follow, Like or Announce of the same actor.
func (h *Handler) undo(act *as.Activity) (effect, error) {
	inner := act.Inner
	if inner == nil {
		// A bare id: it can only name a reaction we stored by its id, and
		// only the actor's own.
		return unreact(activitypub.Reaction{ID: act.Object, Actor: act.Actor}), nil
	}
	if inner.Actor != act.Actor {
		return nil, fail(ReasonForbidden, http.StatusForbidden, "undo of another actor's activity",
			fmt.Errorf("undo: %s undoes %s by %s", act.Actor, inner.ID, inner.Actor))
	}
	switch inner.Kind {
	case as.KindFollow:
		return func(tx activitypub.Tx, out *outcome) error {
			if err := tx.RemoveFollower(act.Actor); err != nil && !errors.Is(err, activitypub.ErrNotFound) {
				return fmt.Errorf("undo follow: %w", err)
			}
			if _, err := tx.RemovePendingFollow(act.Actor); err != nil && !errors.Is(err, activitypub.ErrNotFound) {
				return fmt.Errorf("undo follow: pending: %w", err)
			}
			if err := h.leaveJournal(tx, out, act.Actor, true, false); err != nil { // journal.go: unfollowing ends it
				return err
			}
			out.log("follower removed", "actor", act.Actor)
			return nil
		}, nil
	case as.KindLike, as.KindAnnounce:
		kind := activitypub.Like
		if inner.Kind == as.KindAnnounce {
			kind = activitypub.Announce
		}
		return unreact(activitypub.Reaction{ID: inner.ID, Kind: kind, Actor: act.Actor, Object: inner.Object}), nil
	}
	return noEffect, nil
}

// unreact removes r.Actor's reaction by id, else by kind and object. A
// reaction of another actor, even one with that id, is left as it is.
func unreact(r activitypub.Reaction) effect {
	return func(tx activitypub.Tx, out *outcome) error {
		got, err := tx.RemoveReaction(activitypub.Reaction{ID: r.ID, Actor: r.Actor})
		if errors.Is(err, activitypub.ErrNotFound) && r.Kind != "" {
			got, err = tx.RemoveReaction(activitypub.Reaction{Kind: r.Kind, Actor: r.Actor, Object: r.Object})
		}
		if errors.Is(err, activitypub.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("undo reaction: %w", err)
		}
		out.reacted = append(out.reacted, got.Object)
		return nil
	}
}

// post stores a Create or Update of a post whose thread starts at one of
// our lessons, with the ancestors fetched to find that thread; other posts
// are dropped. owner is the verified signer. A post whose id is another
// actor's stored reply is refused: an actor edits only its own posts.
func (h *Handler) post(ctx context.Context, act *as.Activity, owner activitypub.Actor) (effect, error) {
	rep := act.Reply
	if rep == nil {
		h.log.Debug("non-post object dropped", "activity_id", act.ID, "object_type", act.ObjectType)
		return noEffect, nil
	}
	if !activitypub.SameHost(rep.ID, act.Actor) || rep.Actor != act.Actor {
		// Not the actor's own post: believe only its origin.
		fetched, _, err := h.o.Fetch.Note(ctx, rep.ID)
		if err != nil {
			return nil, fail(ReasonOrigin, http.StatusAccepted, "object not verifiable at its origin", fmt.Errorf("origin: %w", err))
		}
		rep = fetched
	}
	th, ancestors, err := h.resolveLesson(ctx, rep.InReplyTo, 0)
	if err != nil {
		return nil, fmt.Errorf("thread of %s: %w", rep.ID, err)
	}
	if th.lesson == "" {
		h.log.Info("reply outside our threads dropped", "activity_id", act.ID, "in_reply_to", rep.InReplyTo)
		return noEffect, nil
	}
	r, err := h.ready(ctx, rep, th, owner)
	if err != nil {
		return nil, err
	}
	return func(tx activitypub.Tx, out *outcome) error {
		for _, a := range ancestors {
			// An ancestor is its origin's copy; one whose id another actor
			// already holds is simply not stored.
			if err := tx.SaveReply(a); err != nil && !errors.Is(err, activitypub.ErrNotOwner) {
				return fmt.Errorf("save parent: %w", err)
			}
		}
		err := tx.SaveReply(r)
		if errors.Is(err, activitypub.ErrNotOwner) {
			return fail(ReasonForbidden, http.StatusForbidden, "object of another actor", fmt.Errorf("%s by %s: %w", act.Kind, act.Actor, err))
		}
		if err != nil {
			return fmt.Errorf("save reply: %w", err)
		}
		if _, err := tx.Reply(r.ID); errors.Is(err, activitypub.ErrNotFound) {
			out.log("reply deleted before it arrived dropped", "reply_id", r.ID, "actor", r.Actor)
			return nil
		} else if err != nil {
			return fmt.Errorf("save reply: %w", err)
		}
		out.log("reply stored", "lesson_id", th.lesson, "cohort_id", th.cohort, "reply_id", r.ID, "actor", r.Actor, "visibility", r.Visibility)
		out.changed = append(out.changed, th.lesson)
		out.crawl = r.ID
		return nil
	}, nil
}

// ready returns a post ready to store in the thread th: sanitized, its
// visibility classified with its author's followers collection, and its
// moderation state set. known is an actor already at hand (the signer, a
// fetched author); when it is not the post's author, the author is looked
// up in the Store, and when not there the "/followers" suffix rule stands.
func (h *Handler) ready(ctx context.Context, rep *activitypub.Reply, th thread, known activitypub.Actor) (activitypub.Reply, error) {
	r := Clean(*rep)
	r.LessonID, r.CohortID = th.lesson, th.cohort
	author := known
	if author.ID != r.Actor {
		a, err := h.o.Store.Actor(ctx, r.Actor)
		if err != nil && !errors.Is(err, activitypub.ErrNotFound) {
			return r, fmt.Errorf("reply %s: author: %w", r.ID, err)
		}
		author = a
	}
	r.Visibility = r.VisibilityFor(author.Followers)
	r.State = h.o.Moderation.StateIn(th.cohort, r.Actor, author.Handle())
	return r, nil
}

// Clean returns r ready to store: content sanitized to the allow-list, and
// only http(s) URLs kept for the post's page and its attachments.
func Clean(r activitypub.Reply) activitypub.Reply {
	r.Content = sanitize.HTML(r.Content)
	if !isWebURL(r.URL) {
		r.URL = ""
	}
	atts := r.Attachments[:0:0]
	for _, a := range r.Attachments {
		if isWebURL(a.URL) {
			atts = append(atts, a)
		}
	}
	r.Attachments = atts
	return r
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// thread names a thread: a lesson's post in a cohort ("" for a course
// without cohorts). A zero thread is none of ours.
type thread struct{ lesson, cohort string }

// resolveLesson walks inReplyTo up to the thread's root: one of our lesson
// objects (each cohort's post of a lesson roots its own thread), or a stored
// reply (whose thread is known). An unknown remote parent is fetched from
// its origin, up to maxAncestors deep; when its thread turns out to be
// ours, it is returned among the ancestors to store with the reply. It
// returns a zero thread when the thread is not one of ours.
func (h *Handler) resolveLesson(ctx context.Context, parent string, depth int) (thread, []activitypub.Reply, error) {
	if parent == "" {
		return thread{}, nil, nil
	}
	th, err := h.threadOf(ctx, parent)
	if err != nil || th.lesson != "" || h.o.URLs.IsLocal(parent) || depth >= maxAncestors {
		return th, nil, err
	}
	note, _, err := h.o.Fetch.Note(ctx, parent)
	if err != nil {
		h.log.Debug("parent not fetched", "parent", parent, "error", err)
		return thread{}, nil, nil
	}
	th, ancestors, err := h.resolveLesson(ctx, note.InReplyTo, depth+1)
	if err != nil || th.lesson == "" {
		return th, nil, err
	}
	author, err := h.o.Fetch.Actor(ctx, note.Actor, false)
	if err != nil {
		h.log.Debug("author of parent not fetched", "actor", note.Actor, "error", err)
	}
	r, err := h.ready(ctx, note, th, author)
	if err != nil {
		return thread{}, nil, fmt.Errorf("parent: %w", err)
	}
	return th, append(ancestors, r), nil
}

// threadOf returns the thread that holds id: a lesson object's, or a stored
// reply's. It returns a zero thread and nil when id is neither.
func (h *Handler) threadOf(ctx context.Context, id string) (thread, error) {
	if id == "" {
		return thread{}, nil
	}
	lo, err := h.o.Store.LessonObjectByID(ctx, id)
	if err == nil {
		return thread{lo.LessonID, lo.CohortID}, nil
	}
	if !errors.Is(err, activitypub.ErrNotFound) {
		return thread{}, err
	}
	rep, err := h.o.Store.Reply(ctx, id)
	if err == nil {
		return thread{rep.LessonID, rep.CohortID}, nil
	}
	if !errors.Is(err, activitypub.ErrNotFound) {
		return thread{}, err
	}
	return thread{}, nil
}

// lessonOf returns the lesson whose thread holds id, or "" and nil.
func (h *Handler) lessonOf(ctx context.Context, id string) (string, error) {
	th, err := h.threadOf(ctx, id)
	return th.lesson, err
}

// delete handles a Delete: of the actor's account (all its content goes),
// or of one of its posts (a bare id or a Tombstone). A Delete of a post we
// never stored leaves a tombstone, when the post is on the actor's host,
// so the post cannot arrive later (a late or retried Create, a parent
// fetch, a crawl). A Delete of another actor's post is refused.
func (h *Handler) delete(act *as.Activity) effect {
	if act.DeletesActor {
		return func(tx activitypub.Tx, out *outcome) error {
			if err := tx.DeleteActorContent(act.Actor); err != nil {
				return fmt.Errorf("delete account: %w", err)
			}
			if err := h.leaveJournal(tx, out, act.Actor, false, true); err != nil { // journal.go: erased
				return err
			}
			out.log("account content deleted", "actor", act.Actor)
			out.changed = append(out.changed, "")
			return nil
		}
	}
	return func(tx activitypub.Tx, out *outcome) error {
		if err := tx.DeleteJournalEntry(act.Object, act.Actor); err == nil { // journal.go: only the author's
			out.journal = true
		} else if !errors.Is(err, activitypub.ErrNotFound) {
			return fmt.Errorf("delete: %w", err)
		}
		rep, err := tx.Reply(act.Object)
		if errors.Is(err, activitypub.ErrNotFound) {
			if !activitypub.SameHost(act.Object, act.Actor) {
				return nil
			}
			if err := tx.SaveTombstone(activitypub.Tombstone{ID: act.Object, Actor: act.Actor, Deleted: h.now()}); err != nil {
				return fmt.Errorf("delete: %w", err)
			}
			out.log("tombstone left for a post never stored", "object", act.Object, "actor", act.Actor)
			return nil
		}
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		if rep.Actor != act.Actor {
			return fail(ReasonForbidden, http.StatusForbidden, "delete of another actor's post",
				fmt.Errorf("delete: %s deletes %s by %s", act.Actor, rep.ID, rep.Actor))
		}
		if err := tx.DeleteReply(rep.ID); err != nil && !errors.Is(err, activitypub.ErrNotFound) {
			return fmt.Errorf("delete: %w", err)
		}
		out.log("reply deleted", "lesson_id", rep.LessonID, "reply_id", rep.ID)
		out.changed = append(out.changed, rep.LessonID)
		return nil
	}
}

// react stores a Like or Announce of one of our lesson objects or of a
// reply in one of our threads; others are dropped.
func (h *Handler) react(ctx context.Context, act *as.Activity) (effect, error) {
	lesson, err := h.lessonOf(ctx, act.Object)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", act.Kind, err)
	}
	if lesson == "" {
		return noEffect, nil
	}
	kind := activitypub.Like
	if act.Kind == as.KindAnnounce {
		kind = activitypub.Announce
	}
	return func(tx activitypub.Tx, out *outcome) error {
		err := tx.SaveReaction(activitypub.Reaction{ID: act.ID, Kind: kind, Actor: act.Actor, Object: act.Object})
		if errors.Is(err, activitypub.ErrDuplicate) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", act.Kind, err)
		}
		out.changed = append(out.changed, lesson)
		return nil
	}, nil
}

// maxFlagObjects bounds the ids of one report that are looked up and
// kept: Mastodon's report form lets a user pick a handful of posts; a
// longer list only costs lookups.
const maxFlagObjects = 50

// flag stores a report (Flag) that names something of ours (the course
// account, a lesson, a reply in one of our threads or an account with
// replies there) for the moderators,
// with the reporter's comment; a report about nothing of ours is dropped.
func (h *Handler) flag(ctx context.Context, act *as.Activity) (effect, error) {
	objects := act.Objects
	if len(objects) > maxFlagObjects {
		objects = objects[:maxFlagObjects]
	}
	ours := false
	for _, id := range objects {
		th, err := h.threadOf(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("flag: %w", err)
		}
		if th.lesson != "" || id == h.o.URLs.Actor() {
			ours = true
			break
		}
		// An account: ours to judge when it has replies in our threads.
		rs, err := h.o.Store.Replies(ctx, activitypub.ReplyFilter{Actor: id, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("flag: %w", err)
		}
		if len(rs) > 0 {
			ours = true
			break
		}
	}
	if !ours {
		h.log.Info("report about nothing of ours dropped", "activity_id", act.ID, "actor", act.Actor)
		return noEffect, nil
	}
	f := activitypub.Flag{ID: act.ID, Actor: act.Actor, Content: act.Content, Objects: objects, Received: h.now()}
	return func(tx activitypub.Tx, out *outcome) error {
		err := tx.SaveFlag(f)
		if errors.Is(err, activitypub.ErrDuplicate) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("flag: %w", err)
		}
		out.log("report received", "activity_id", act.ID, "actor", act.Actor, "objects", len(objects))
		return nil
	}, nil
}

func (h *Handler) changed(lesson string) {
	if h.o.Changed != nil {
		h.o.Changed(lesson)
	}
}
