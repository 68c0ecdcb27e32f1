package moderation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
)

// ApproveFollow lets a pending follower in: it becomes a follower, its
// server gets the Accept, and the approval is logged. It returns an error
// wrapping activitypub.ErrNotFound when actorID has no pending Follow.
func (a *Actions) ApproveFollow(ctx context.Context, who, actorID, reason string) (activitypub.Follower, error) {
	p, err := a.pending(ctx, actorID)
	if err != nil {
		return activitypub.Follower{}, fmt.Errorf("approve follow: %w", err)
	}
	f := activitypub.Follower{ActorID: p.ActorID, Inbox: p.Inbox, FollowID: p.FollowID, Since: a.o.Now()}
	if err := a.o.Store.SaveFollower(ctx, f); err != nil {
		return f, fmt.Errorf("approve follow %s: %w", actorID, err)
	}
	if err := a.answerFollow(ctx, "accept", as.Accept, p); err != nil {
		return f, fmt.Errorf("approve follow %s: %w", actorID, err)
	}
	if err := a.closeFollow(ctx, who, activitypub.ActionApproveFollow, actorID, reason); err != nil {
		return f, fmt.Errorf("approve follow %s: %w", actorID, err)
	}
	a.log.Info("follow approved", "actor", actorID, "moderator", who)
	return f, nil
}

// RejectFollow turns a pending Follow down: its server gets a Reject and
// the refusal is logged. It returns an error wrapping
// activitypub.ErrNotFound when actorID has no pending Follow.
func (a *Actions) RejectFollow(ctx context.Context, who, actorID, reason string) error {
	p, err := a.pending(ctx, actorID)
	if err != nil {
		return fmt.Errorf("reject follow: %w", err)
	}
	if err := a.answerFollow(ctx, "reject", as.Reject, p); err != nil {
		return fmt.Errorf("reject follow %s: %w", actorID, err)
	}
	if err := a.closeFollow(ctx, who, activitypub.ActionRejectFollow, actorID, reason); err != nil {
		return fmt.Errorf("reject follow %s: %w", actorID, err)
	}
	a.log.Info("follow rejected", "actor", actorID, "moderator", who)
	return nil
}

// pending finds the pending Follow of actorID; it is removed only once it
// is answered, so a failure in between leaves it for another try.
func (a *Actions) pending(ctx context.Context, actorID string) (activitypub.PendingFollow, error) {
	ps, err := a.o.Store.PendingFollows(ctx)
	if err != nil {
		return activitypub.PendingFollow{}, err
	}
	i := slices.IndexFunc(ps, func(p activitypub.PendingFollow) bool { return p.ActorID == actorID })
	if i < 0 {
		return activitypub.PendingFollow{}, fmt.Errorf("%s has no pending follow: %w", actorID, activitypub.ErrNotFound)
	}
	return ps[i], nil
}

// answerFollow queues the course actor's Accept or Reject of p's Follow.
func (a *Actions) answerFollow(ctx context.Context, kind string, write func(id, actor, followID, follower string) ([]byte, error), p activitypub.PendingFollow) error {
	sum := sha256.Sum256([]byte(p.FollowID))
	id := a.o.URLs.Activity(kind, hex.EncodeToString(sum[:12]))
	body, err := write(id, a.o.URLs.Actor(), p.FollowID, p.ActorID)
	if err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	_, err = a.o.Store.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: id, Inbox: p.Inbox, Body: body})
	if err != nil && !errors.Is(err, activitypub.ErrDuplicate) {
		return fmt.Errorf("queue %s: %w", kind, err)
	}
	if a.o.Enqueued != nil {
		a.o.Enqueued()
	}
	return nil
}

// closeFollow removes the answered pending Follow and logs the decision.
func (a *Actions) closeFollow(ctx context.Context, who, action, actorID, reason string) error {
	if _, err := a.o.Store.RemovePendingFollow(ctx, actorID); err != nil && !errors.Is(err, activitypub.ErrNotFound) {
		return err
	}
	_, err := a.o.Store.AppendAudit(ctx, a.entry(who, action, actorID, reason))
	return err
}

type followsData struct {
	Follows []activitypub.PendingFollow
	Pages   pageLinks
}

// follows is the "Follow requests" page: the Follows waiting for a
// moderator, oldest first, a page at a time, each with approve and reject.
func (h *Handler) follows(w http.ResponseWriter, r *http.Request, s *session) error {
	q, err := pageQuery(r, followsPage)
	if err != nil {
		return err
	}
	ps, err := h.o.Store.PendingFollowsPage(r.Context(), q)
	if err != nil {
		return err
	}
	d := followsData{}
	d.Follows, d.Pages = paged(ps, q, followsPage, func(p activitypub.PendingFollow) activitypub.Cursor {
		return activitypub.Cursor{At: p.Requested, ID: p.ActorID}
	}, false)
	return h.render(w, "follows", http.StatusOK, page{Heading: "Follow requests", Moderator: s.moderator, CSRF: s.csrf,
		Current: "follows", Notice: r.URL.Query().Get("notice"), Data: d})
}

// followAction approves or rejects one pending Follow.
func (h *Handler) followAction(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	actor, reason, action := r.PostFormValue("actor"), r.PostFormValue("reason"), r.PostFormValue("action")
	if actor == "" {
		return fail(http.StatusBadRequest, "no account given", nil)
	}
	var err error
	switch action {
	case activitypub.ActionApproveFollow:
		_, err = h.o.Actions.ApproveFollow(ctx, s.moderator, actor, reason)
	case activitypub.ActionRejectFollow:
		err = h.o.Actions.RejectFollow(ctx, s.moderator, actor, reason)
	default:
		return fail(http.StatusBadRequest, "unknown action", fmt.Errorf("action %q", action))
	}
	if err := userError(err); err != nil {
		return err
	}
	redirect(w, r, Prefix+"follows", actionNotice(action))
	return nil
}
