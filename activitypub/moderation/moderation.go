// Package moderation is what the course's moderators do: approve a held
// reply, hide and show replies, feature a reply (pinned on top of its
// thread, highlighted, and boosted by the course account) and unfeature
// it, block and unblock an actor or a whole domain, and approve or reject
// the Follows waiting in a course with a private cohort. Actions does each of
// them on the Store, writing the audit log in the same transaction, and
// queues the boosts; Handler is the moderation page on the companion
// (/moderate/), behind a password login; the CLI (cohort moderate) calls
// Actions directly.
//
// It decides nothing about new replies (the inbox applies the mode) and
// renders no lesson page (the site does, from the threads API).
package moderation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/delivery"
)

// ErrNotFeaturable is returned by Feature for a reply that cannot be
// boosted: deleted, or not addressed to the public.
var ErrNotFeaturable = errors.New("only a public or unlisted reply that is not deleted can be featured")

// ErrUnknownHandle is returned by Block and Unblock for a handle of an
// account the companion has never seen, which it cannot turn into an
// actor id; its actor URL or its domain can be blocked instead.
var ErrUnknownHandle = errors.New("not an account the course has seen; give its actor URL or its domain")

// Options configure Actions.
type Options struct {
	Store  activitypub.Store
	URLs   activitypub.URLs // the course actor's URLs, for the boosts' ids
	Logger *slog.Logger
	Now    func() time.Time
	// Changed is called after a lesson's thread changed ("" for any
	// lesson: a block), once the change is committed. May be nil.
	Changed func(lessonID string)
	// Enqueued is called after a boost or its undo was queued, to wake the
	// delivery worker. May be nil.
	Enqueued func()
}

// Actions are the moderators' actions. Each takes who (a moderator's name,
// or "cli:<user>") and an optional reason for the audit log.
type Actions struct {
	o   Options
	log *slog.Logger
}

// New returns the actions over o.Store.
func New(o Options) *Actions {
	a := &Actions{o: o, log: o.Logger}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.o.Now == nil {
		a.o.Now = time.Now
	}
	return a
}

func (a *Actions) entry(who, action, target, reason string) activitypub.AuditEntry {
	return activitypub.AuditEntry{Who: who, Action: action, Target: target, Reason: reason, At: a.o.Now()}
}

func (a *Actions) changed(lessonID string) {
	if a.o.Changed != nil {
		a.o.Changed(lessonID)
	}
}

// Approve shows a held reply. It returns an error wrapping
// activitypub.ErrNotFound for an unknown reply.
func (a *Actions) Approve(ctx context.Context, who, replyID, reason string) (activitypub.Reply, error) {
	return a.setState(ctx, who, replyID, reason, activitypub.ActionApprove, activitypub.Shown)
}

// Show shows a hidden reply again.
func (a *Actions) Show(ctx context.Context, who, replyID, reason string) (activitypub.Reply, error) {
	return a.setState(ctx, who, replyID, reason, activitypub.ActionShow, activitypub.Shown)
}

// Hide takes a reply off the pages. A hidden featured reply stays featured
// (and boosted) until it is unfeatured, but is not shown.
func (a *Actions) Hide(ctx context.Context, who, replyID, reason string) (activitypub.Reply, error) {
	return a.setState(ctx, who, replyID, reason, activitypub.ActionHide, activitypub.Hidden)
}

func (a *Actions) setState(ctx context.Context, who, replyID, reason, action string, st activitypub.ReplyState) (activitypub.Reply, error) {
	r, err := a.o.Store.SetReplyState(ctx, replyID, st, a.entry(who, action, replyID, reason))
	if errors.Is(err, activitypub.ErrNotFound) {
		return a.setJournalState(ctx, who, replyID, reason, action, st) // journal.go
	}
	if err != nil {
		return r, fmt.Errorf("%s: %w", action, err)
	}
	a.log.Info("reply moderated", "action", action, "reply_id", replyID, "lesson_id", r.LessonID, "by", who)
	a.changed(r.LessonID)
	return r, nil
}

// Feature pins a reply on top of its thread (approving it if it was held)
// and queues the course account's boost of it to the followers and the
// reply's author. It returns an error wrapping activitypub.ErrDuplicate
// when it is already featured, and ErrNotFeaturable for a deleted or
// non-public reply.
func (a *Actions) Feature(ctx context.Context, who, replyID, reason string) (activitypub.Feature, error) {
	r, err := a.o.Store.Reply(ctx, replyID)
	if err != nil {
		return activitypub.Feature{}, fmt.Errorf("feature: %w", err)
	}
	if r.Deleted || !r.Visibility.Listable() {
		return activitypub.Feature{}, fmt.Errorf("feature %s: %w", replyID, ErrNotFeaturable)
	}
	f, err := a.o.Store.FeatureReply(ctx, replyID, a.entry(who, activitypub.ActionFeature, replyID, reason))
	if err != nil {
		return f, fmt.Errorf("feature: %w", err)
	}
	a.log.Info("reply featured", "reply_id", replyID, "lesson_id", f.LessonID, "by", who)
	a.changed(f.LessonID)
	id := a.announceID(f)
	body, err := as.Announce(id, a.o.URLs.Actor(), r.ID, r.Actor, a.o.URLs.Followers(), f.Since)
	if err != nil {
		return f, fmt.Errorf("feature: boost: %w", err)
	}
	if err := a.send(ctx, id, body, r.Actor); err != nil {
		return f, fmt.Errorf("feature: boost: %w", err)
	}
	return f, nil
}

// Unfeature unpins a reply and queues the Undo of its boost. It returns
// an error wrapping activitypub.ErrNotFound when the reply is not
// featured.
func (a *Actions) Unfeature(ctx context.Context, who, replyID, reason string) (activitypub.Feature, error) {
	f, err := a.o.Store.UnfeatureReply(ctx, replyID, a.entry(who, activitypub.ActionUnfeature, replyID, reason))
	if err != nil {
		return f, fmt.Errorf("unfeature: %w", err)
	}
	a.log.Info("reply unfeatured", "reply_id", replyID, "lesson_id", f.LessonID, "by", who)
	a.changed(f.LessonID)
	author := ""
	if r, err := a.o.Store.Reply(ctx, replyID); err == nil {
		author = r.Actor
	}
	id := a.announceID(f)
	body, err := as.UndoAnnounce(id+"/undo", a.o.URLs.Actor(), id, replyID, author, a.o.URLs.Followers(), f.Since)
	if err != nil {
		return f, fmt.Errorf("unfeature: undo boost: %w", err)
	}
	if err := a.send(ctx, id+"/undo", body, author); err != nil {
		return f, fmt.Errorf("unfeature: undo boost: %w", err)
	}
	return f, nil
}

// announceID names the boost of one featuring: featuring the same reply
// again after an unfeature is a new boost with a new id.
func (a *Actions) announceID(f activitypub.Feature) string {
	sum := sha256.Sum256([]byte(f.ReplyID))
	return a.o.URLs.Activity("announce", hex.EncodeToString(sum[:12])+"-"+strconv.FormatInt(f.Since.UnixNano(), 36))
}

// send queues body for every follower's inbox and the author's.
func (a *Actions) send(ctx context.Context, id string, body []byte, author string) error {
	inboxes, err := a.o.Store.FollowerInboxes(ctx)
	if err != nil {
		return err
	}
	if author != "" {
		if ac, err := a.o.Store.Actor(ctx, author); err == nil {
			inboxes = append(inboxes, ac.DeliveryInbox())
		} else if !errors.Is(err, activitypub.ErrNotFound) {
			return err
		}
	}
	n, err := delivery.Enqueue(ctx, a.o.Store, id, body, inboxes)
	if err != nil {
		return err
	}
	a.log.Info("boost queued", "activity_id", id, "deliveries", n)
	if n > 0 && a.o.Enqueued != nil {
		a.o.Enqueued()
	}
	return nil
}

// Block blocks target: an actor URL, a domain ("spam.example",
// "*@spam.example"), or a handle ("@user@host") of an actor the companion
// has seen. Their later activities are dropped and their replies leave
// the pages. It returns an error wrapping activitypub.ErrDuplicate when
// the target is already blocked.
func (a *Actions) Block(ctx context.Context, who, target, reason string) (activitypub.Block, error) {
	b, err := a.resolve(ctx, target)
	if err != nil {
		return b, fmt.Errorf("block: %w", err)
	}
	b.Reason, b.By, b.Created = reason, who, a.o.Now()
	if err := a.o.Store.SaveBlock(ctx, b, a.entry(who, activitypub.ActionBlock, b.Target, reason)); err != nil {
		return b, fmt.Errorf("block: %w", err)
	}
	a.log.Info("blocked", "target", b.Target, "domain", b.Domain, "by", who)
	a.changed("")
	return b, nil
}

// Unblock removes the block of target (written as for Block). It returns
// an error wrapping activitypub.ErrNotFound when target is not blocked.
func (a *Actions) Unblock(ctx context.Context, who, target, reason string) (activitypub.Block, error) {
	b, err := a.resolve(ctx, target)
	if err != nil {
		return b, fmt.Errorf("unblock: %w", err)
	}
	removed, err := a.o.Store.RemoveBlock(ctx, b.Target, a.entry(who, activitypub.ActionUnblock, b.Target, reason))
	if err != nil {
		return removed, fmt.Errorf("unblock: %w", err)
	}
	a.log.Info("unblocked", "target", b.Target, "by", who)
	a.changed("")
	return removed, nil
}

// resolve turns what a moderator typed into a block, looking a handle up
// among the actors the companion has seen.
func (a *Actions) resolve(ctx context.Context, target string) (activitypub.Block, error) {
	b, err := activitypub.ParseBlockTarget(target)
	if !errors.Is(err, activitypub.ErrHandle) {
		return b, err
	}
	ac, lerr := a.o.Store.ActorByHandle(ctx, target)
	if errors.Is(lerr, activitypub.ErrNotFound) {
		return b, fmt.Errorf("%s: %w", target, ErrUnknownHandle)
	}
	if lerr != nil {
		return b, lerr
	}
	return activitypub.Block{Target: ac.ID}, nil
}
