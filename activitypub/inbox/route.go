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

// route handles a verified, parsed, new activity by its kind.
func (h *Handler) route(r *http.Request, act *as.Activity, owner activitypub.Actor) error {
	ctx := r.Context()
	switch act.Kind {
	case as.KindFollow:
		return h.follow(ctx, act, owner)
	case as.KindUndo:
		return h.undo(ctx, act)
	case as.KindCreate, as.KindUpdate:
		return h.post(ctx, act, owner)
	case as.KindDelete:
		return h.delete(ctx, act)
	case as.KindLike, as.KindAnnounce:
		return h.react(ctx, act)
	}
	h.log.Debug("activity dropped", "activity_id", act.ID, "type", act.Type)
	return nil
}

// follow records the follower and queues a signed Accept to its inbox. A
// course with a private cohort accepts at once only that cohort's
// participants (and the moderators); anyone else's Follow waits for a
// moderator in the pending follows.
func (h *Handler) follow(ctx context.Context, act *as.Activity, owner activitypub.Actor) error {
	if act.Object != h.o.URLs.Actor() {
		h.log.Info("follow of another actor dropped", "activity_id", act.ID, "object", act.Object)
		return nil
	}
	if !h.o.Moderation.AcceptsFollowAtOnce(owner.ID, owner.Handle()) {
		p := activitypub.PendingFollow{ActorID: owner.ID, Handle: owner.Handle(), Inbox: owner.DeliveryInbox(), FollowID: act.ID, Requested: h.now()}
		if err := h.o.Store.SavePendingFollow(ctx, p); err != nil {
			return fmt.Errorf("follow: pending: %w", err)
		}
		h.log.Info("follow waits for a moderator", "actor", owner.ID, "activity_id", act.ID)
		return nil
	}
	f := activitypub.Follower{ActorID: owner.ID, Inbox: owner.DeliveryInbox(), FollowID: act.ID, Since: h.now()}
	if err := h.o.Store.SaveFollower(ctx, f); err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	id := h.o.URLs.Activity("accept", hash(act.ID))
	body, err := as.Accept(id, h.o.URLs.Actor(), act.ID, owner.ID)
	if err != nil {
		return fmt.Errorf("follow: accept: %w", err)
	}
	_, err = h.o.Store.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: id, Inbox: owner.Inbox, Body: body})
	if err != nil && !errors.Is(err, activitypub.ErrDuplicate) {
		return fmt.Errorf("follow: queue accept: %w", err)
	}
	h.log.Info("follower accepted", "actor", owner.ID, "activity_id", act.ID)
	if h.o.Enqueued != nil {
		h.o.Enqueued()
	}
	return nil
}

// undo reverses a Follow, Like or Announce of the same actor.
func (h *Handler) undo(ctx context.Context, act *as.Activity) error {
	inner := act.Inner
	if inner == nil {
		// A bare id: it can only name a reaction we stored by its id.
		return h.unreact(ctx, activitypub.Reaction{ID: act.Object}, "")
	}
	if inner.Actor != act.Actor {
		return fail(http.StatusForbidden, "undo of another actor's activity",
			fmt.Errorf("undo: %s undoes %s by %s", act.Actor, inner.ID, inner.Actor))
	}
	switch inner.Kind {
	case as.KindFollow:
		err := h.o.Store.RemoveFollower(ctx, act.Actor)
		if err != nil && !errors.Is(err, activitypub.ErrNotFound) {
			return fmt.Errorf("undo follow: %w", err)
		}
		if _, err := h.o.Store.RemovePendingFollow(ctx, act.Actor); err != nil && !errors.Is(err, activitypub.ErrNotFound) {
			return fmt.Errorf("undo follow: pending: %w", err)
		}
		h.log.Info("follower removed", "actor", act.Actor)
		return nil
	case as.KindLike, as.KindAnnounce:
		kind := activitypub.Like
		if inner.Kind == as.KindAnnounce {
			kind = activitypub.Announce
		}
		return h.unreact(ctx, activitypub.Reaction{ID: inner.ID, Kind: kind, Actor: act.Actor, Object: inner.Object}, inner.Object)
	}
	return nil
}

// unreact removes a reaction by id, else by kind, actor and object.
func (h *Handler) unreact(ctx context.Context, r activitypub.Reaction, object string) error {
	err := h.o.Store.RemoveReaction(ctx, activitypub.Reaction{ID: r.ID})
	if errors.Is(err, activitypub.ErrNotFound) && r.Kind != "" {
		err = h.o.Store.RemoveReaction(ctx, activitypub.Reaction{Kind: r.Kind, Actor: r.Actor, Object: r.Object})
	}
	if errors.Is(err, activitypub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("undo reaction: %w", err)
	}
	if lesson, err := h.lessonOf(ctx, object); err == nil && lesson != "" {
		h.changed(lesson)
	} else if object == "" {
		h.changed("")
	}
	return nil
}

// post stores a Create or Update of a post whose thread starts at one of
// our lessons; other posts are dropped. owner is the verified signer.
func (h *Handler) post(ctx context.Context, act *as.Activity, owner activitypub.Actor) error {
	rep := act.Reply
	if rep == nil {
		h.log.Debug("non-post object dropped", "activity_id", act.ID, "object_type", act.ObjectType)
		return nil
	}
	if !activitypub.SameHost(rep.ID, act.Actor) || rep.Actor != act.Actor {
		// Not the actor's own post: believe only its origin.
		fetched, _, err := h.o.Fetch.Note(ctx, rep.ID)
		if err != nil {
			return fail(http.StatusAccepted, "object not verifiable at its origin", fmt.Errorf("origin: %w", err))
		}
		rep = fetched
	}
	th, err := h.resolveLesson(ctx, rep.InReplyTo, 0)
	if err != nil {
		return fmt.Errorf("thread of %s: %w", rep.ID, err)
	}
	if th.lesson == "" {
		h.log.Info("reply outside our threads dropped", "activity_id", act.ID, "in_reply_to", rep.InReplyTo)
		return nil
	}
	if err := h.save(ctx, rep, th, owner); err != nil {
		return err
	}
	h.log.Info("reply stored", "lesson_id", th.lesson, "cohort_id", th.cohort, "reply_id", rep.ID, "actor", rep.Actor, "visibility", rep.Visibility)
	h.changed(th.lesson)
	if h.o.Crawl != nil {
		h.o.Crawl(rep.ID)
	}
	return nil
}

// save sanitizes a post, classifies its visibility with its author's
// followers collection, and stores it in the thread th. known is an actor
// already at hand (the signer, a fetched author); when it is not the
// post's author, the author is looked up in the Store, and when not there
// the "/followers" suffix rule stands.
func (h *Handler) save(ctx context.Context, rep *activitypub.Reply, th thread, known activitypub.Actor) error {
	r := Clean(*rep)
	r.LessonID, r.CohortID = th.lesson, th.cohort
	author := known
	if author.ID != r.Actor {
		a, err := h.o.Store.Actor(ctx, r.Actor)
		if err != nil && !errors.Is(err, activitypub.ErrNotFound) {
			return fmt.Errorf("save reply: author: %w", err)
		}
		author = a
	}
	r.Visibility = r.VisibilityFor(author.Followers)
	r.State = h.o.Moderation.StateIn(th.cohort, r.Actor, author.Handle())
	if err := h.o.Store.SaveReply(ctx, r); err != nil {
		return fmt.Errorf("save reply: %w", err)
	}
	return nil
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
// its origin, up to maxAncestors deep, and stored when its thread turns out
// to be ours. It returns a zero thread when the thread is not one of ours.
func (h *Handler) resolveLesson(ctx context.Context, parent string, depth int) (thread, error) {
	if parent == "" {
		return thread{}, nil
	}
	th, err := h.threadOf(ctx, parent)
	if err != nil || th.lesson != "" || h.o.URLs.IsLocal(parent) || depth >= maxAncestors {
		return th, err
	}
	note, _, err := h.o.Fetch.Note(ctx, parent)
	if err != nil {
		h.log.Debug("parent not fetched", "parent", parent, "error", err)
		return thread{}, nil
	}
	th, err = h.resolveLesson(ctx, note.InReplyTo, depth+1)
	if err != nil || th.lesson == "" {
		return th, err
	}
	author, err := h.o.Fetch.Actor(ctx, note.Actor, false)
	if err != nil {
		h.log.Debug("author of parent not fetched", "actor", note.Actor, "error", err)
	}
	if err := h.save(ctx, note, th, author); err != nil {
		return thread{}, fmt.Errorf("parent: %w", err)
	}
	return th, nil
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
// never stored changes nothing.
func (h *Handler) delete(ctx context.Context, act *as.Activity) error {
	if act.DeletesActor {
		if err := h.o.Store.DeleteActorContent(ctx, act.Actor); err != nil {
			return fmt.Errorf("delete account: %w", err)
		}
		h.log.Info("account content deleted", "actor", act.Actor)
		h.changed("")
		return nil
	}
	rep, err := h.o.Store.Reply(ctx, act.Object)
	if errors.Is(err, activitypub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if rep.Actor != act.Actor {
		return fail(http.StatusForbidden, "delete of another actor's post",
			fmt.Errorf("delete: %s deletes %s by %s", act.Actor, rep.ID, rep.Actor))
	}
	if err := h.o.Store.DeleteReply(ctx, rep.ID); err != nil && !errors.Is(err, activitypub.ErrNotFound) {
		return fmt.Errorf("delete: %w", err)
	}
	h.log.Info("reply deleted", "lesson_id", rep.LessonID, "reply_id", rep.ID)
	h.changed(rep.LessonID)
	return nil
}

// react stores a Like or Announce of one of our lesson objects or of a
// reply in one of our threads; others are dropped.
func (h *Handler) react(ctx context.Context, act *as.Activity) error {
	lesson, err := h.lessonOf(ctx, act.Object)
	if err != nil {
		return fmt.Errorf("%s: %w", act.Kind, err)
	}
	if lesson == "" {
		return nil
	}
	kind := activitypub.Like
	if act.Kind == as.KindAnnounce {
		kind = activitypub.Announce
	}
	err = h.o.Store.SaveReaction(ctx, activitypub.Reaction{ID: act.ID, Kind: kind, Actor: act.Actor, Object: act.Object})
	if errors.Is(err, activitypub.ErrDuplicate) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", act.Kind, err)
	}
	h.changed(lesson)
	return nil
}

func (h *Handler) changed(lesson string) {
	if h.o.Changed != nil {
		h.o.Changed(lesson)
	}
}
