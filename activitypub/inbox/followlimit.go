package inbox

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// How many followers one server may add. A course's followers come from
// many servers, a few from each; a server that sends far more is a class
// joining together, or a server minting accounts to flood the course's
// deliveries and pages. The first deserves a moderator's look, the second
// must not get in unseen, so a Follow past a limit is held, as a comment
// system holds a comment flood for moderation instead of deleting it: the
// participant is not turned away, and a moderator approves or rejects it in
// /moderate/follows.
const (
	// newFollowersPerHostPerHour: a cohort's start brings its 200-800
	// participants (DESIGN.md) over a day or two, spread over their
	// servers; a hundred from one server within an hour is already the
	// rare case of a class that signed up on one server together.
	newFollowersPerHostPerHour = 100

	// maxFollowersPerHost: an open course that runs cohorts for years can
	// gather a few thousand followers on one large server; past that, each
	// new one from it waits for a moderator.
	maxFollowersPerHost = 2000

	// maxPendingPerHost bounds the pending follows of one server, which
	// are stored and shown to the moderators: past it, a Follow is refused
	// with 429, which senders retry later (Mastodon treats 429 as worth a
	// retry: app/helpers/jsonld_helper.rb, response_error_unsalvageable?),
	// by when the moderators may have cleared the queue.
	maxPendingPerHost = 200
)

// followHold is what the follow limits make of a Follow.
type followHold int

const (
	followWithinLimits followHold = iota // handled as any Follow
	followHeld                           // held for a moderator
)

// followLimits decides whether a Follow from owner is within its server's
// limits. The limits do not apply to a moderator or a private cohort's
// listed member, whom the organiser named (a hospital's staff all on its own
// server), nor to an actor that already follows or waits (a server re-sends
// a Follow it thinks was lost). A refused Follow gives a 429 error.
func (h *Handler) followLimits(ctx context.Context, owner activitypub.Actor) (followHold, error) {
	m := h.o.Moderation
	if m.IsModerator(owner.ID, owner.Handle()) || m.ApprovesFollowers() && m.AcceptsFollowAtOnce(owner.ID, owner.Handle()) {
		return followWithinLimits, nil
	}
	c, err := h.o.Store.HostFollows(ctx, owner.ID, h.now().Add(-time.Hour))
	if err != nil {
		return 0, fmt.Errorf("follow: limits: %w", err)
	}
	switch {
	case c.Following || c.Waiting:
		return followWithinLimits, nil
	case c.NewFollowers < newFollowersPerHostPerHour && c.Followers < maxFollowersPerHost:
		return followWithinLimits, nil
	case c.Pending >= maxPendingPerHost:
		return 0, fail(ReasonRateLimited, http.StatusTooManyRequests, "too many follows from your server waiting for a moderator",
			fmt.Errorf("follow: %s: %d pending from its server", owner.ID, c.Pending))
	}
	h.log.Warn("follow held: its server is over the follow limits", "actor", owner.ID,
		"followers", c.Followers, "new_followers", c.NewFollowers, "pending", c.Pending)
	return followHeld, nil
}
