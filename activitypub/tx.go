package activitypub

import (
	"errors"
	"time"
)

// ErrNotOwner is returned when an actor tries to change what another actor
// owns: a Create or Update that reuses the id of a reply by someone else.
// Nothing is changed.
var ErrNotOwner = errors.New("owned by another actor")

// Tx is the set of writes one inbound activity may make, applied by
// Store.Apply in the same transaction as the activity's seen mark: either
// the mark and every change are committed, or none is. Its methods behave
// as the Store methods of the same name, and run inside the store's
// transaction, so they take no context: the transaction lives as long as
// the store decides, not as long as the request that asked for it.
type Tx interface {
	// Reply returns the reply with the given id, deleted or not, as this
	// transaction sees it, or ErrNotFound.
	Reply(id string) (Reply, error)
	// SaveReply is Store.SaveReply.
	SaveReply(r Reply) error
	// DeleteReply is Store.DeleteReply.
	DeleteReply(id string) error
	// SaveTombstone records that t.Actor deleted t.ID before the companion
	// stored it, so a later SaveReply of that id by that actor changes
	// nothing. A second tombstone of the same id by the same actor is ignored.
	SaveTombstone(t Tombstone) error

	// SaveFollower is Store.SaveFollower.
	SaveFollower(f Follower) error
	// RemoveFollower is Store.RemoveFollower.
	RemoveFollower(actorID string) error
	// SavePendingFollow is Store.SavePendingFollow.
	SavePendingFollow(f PendingFollow) error
	// RemovePendingFollow is Store.RemovePendingFollow.
	RemovePendingFollow(actorID string) (PendingFollow, error)

	// SaveReaction is Store.SaveReaction.
	SaveReaction(r Reaction) error
	// RemoveReaction is Store.RemoveReaction, returning the reaction it
	// removed, so the caller learns the object of an Undo that named only
	// the reaction's id.
	RemoveReaction(r Reaction) (Reaction, error)

	// EnqueueDelivery is Store.EnqueueDelivery.
	EnqueueDelivery(d Delivery) (Delivery, error)
	// DeleteActorContent is Store.DeleteActorContent.
	DeleteActorContent(actorID string) error
	// SaveFlag is Store.SaveFlag.
	SaveFlag(f Flag) error

	// The reflection journals (issue 14).
	JournalTx
}

// Tombstone is the trace a Delete leaves when it arrives before the post it
// deletes (or for a post that never reached us): a late or retried Create,
// or a crawl that finds the post, must not bring it back.
type Tombstone struct {
	ID      string    // the deleted object's id
	Actor   string    // who deleted it; only their post of that id is refused
	Deleted time.Time // when the Delete arrived; zero means now
}

// TombstoneRetention is how long a tombstone is kept: far longer than any
// server retries a Create (Mastodon gives up after about a week), short
// enough that Deletes for posts we never see cannot grow the table without
// bound.
const TombstoneRetention = 30 * 24 * time.Hour

// Flag is a report another server sent about something of ours (a Flag
// activity): usually a reply in a lesson's thread, or its author. Mastodon
// sends it from its instance actor, so Actor names the reporting server,
// not the person.
type Flag struct {
	ID       string    // the Flag activity's id
	Actor    string    // who sent it
	Content  string    // the reporter's comment, plain text as sent
	Objects  []string  // what it reports: account and post ids, in the order sent
	Received time.Time // when it arrived; zero means now
}

// FlagCommentLimit bounds the stored comment of a Flag, in characters:
// Mastodon lets a reporter write 1,000; the rest of a longer one is cut.
const FlagCommentLimit = 1000

// EarliestDate and LatestDate bound the dates the companion reads from
// other servers (published, updated). Nothing real was posted before 1970,
// and a date past 2200 is a mistake or a trick; outside these bounds a date
// would not survive the store's Unix-nanosecond columns, which wrap
// before 1678 and after 2262.
var (
	EarliestDate = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	LatestDate   = time.Date(2201, 1, 1, 0, 0, 0, 0, time.UTC) // exclusive: 2200 is the last year
)

// DateInRange reports whether t is absent (zero) or within
// [EarliestDate, LatestDate).
func DateInRange(t time.Time) bool {
	return t.IsZero() || (!t.Before(EarliestDate) && t.Before(LatestDate))
}
