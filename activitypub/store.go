package activitypub

import (
	"context"
	"errors"
	"time"
)

// Store keeps everything the companion knows. Every engine (store/sqlite,
// store/postgres) passes the same suite, store/storetest. A method that
// returns nil has committed its change durably before it returns, so an inbox
// may answer 202 right after.
//
// Methods that look one item up return ErrNotFound when it is not there,
// never a zero value with a nil error.
type Store interface {
	// SaveReply stores r, inserting it or replacing the stored reply with the
	// same ID (an edit). It never returns ErrDuplicate. Three cases change
	// nothing and return nil: the stored reply is deleted (a tombstone is
	// final, so a late or replayed Create cannot bring a reply back), a
	// Tombstone of r.ID by r.Actor is kept (the Delete came first), or the
	// stored copy is newer (its Version is after r's), so edits that arrive
	// out of order keep the latest text. It returns ErrNotOwner, changing
	// nothing, when the stored reply with that ID has another Actor, and an
	// error when Published or Updated is outside DateInRange.
	SaveReply(ctx context.Context, r Reply) error

	// Reply returns the reply with the given id, deleted or not, or
	// ErrNotFound.
	Reply(ctx context.Context, id string) (Reply, error)

	// DeleteReply turns the reply into a tombstone: Deleted is set and its
	// content, summary and attachments are erased. Deleting a deleted reply
	// returns nil. It returns ErrNotFound when no reply has that id (servers
	// send Deletes for posts we never received).
	DeleteReply(ctx context.Context, id string) error

	// Thread returns the replies of a lesson's thread in one cohort ("" for a
	// course without cohorts) that may appear on a public page
	// (public or unlisted, not deleted, Shown, and by an author no Block
	// covers) as a flat list ordered by Published, then ID. A lesson with no replies gives an empty list and nil, not
	// ErrNotFound. Rebuild the tree from InReplyTo.
	Thread(ctx context.Context, lessonID, cohortID string) ([]Reply, error)

	// SaveFollower records that f.ActorID follows the course, or updates the
	// inbox and follow id when it already does (servers re-send a Follow they
	// think was not accepted). It never returns ErrDuplicate.
	SaveFollower(ctx context.Context, f Follower) error

	// RemoveFollower removes the follower with that actor id, or returns
	// ErrNotFound when it is not a follower.
	RemoveFollower(ctx context.Context, actorID string) error

	// Followers returns up to limit followers whose actor id sorts after
	// after, in actor id order; pass "" for the first page and the last
	// ActorID of a page for the next. An empty page means the end.
	Followers(ctx context.Context, after string, limit int) ([]Follower, error)

	// FollowerCount returns how many followers the course has.
	FollowerCount(ctx context.Context) (int, error)

	// FollowerInboxes returns each distinct delivery inbox of the followers
	// once, sorted, so one delivery per shared inbox reaches them all.
	FollowerInboxes(ctx context.Context) ([]string, error)

	// SavePendingFollow records a Follow waiting for a moderator, or
	// replaces the one of the same actor (a re-sent Follow). It never
	// returns ErrDuplicate.
	SavePendingFollow(ctx context.Context, f PendingFollow) error

	// PendingFollows returns the Follows waiting for a moderator, oldest
	// first. None gives an empty list and nil.
	PendingFollows(ctx context.Context) ([]PendingFollow, error)

	// RemovePendingFollow removes the pending Follow of actorID and returns
	// it, or returns ErrNotFound when there is none.
	RemovePendingFollow(ctx context.Context, actorID string) (PendingFollow, error)

	// SaveActor inserts a remote actor or replaces the stored copy with the
	// same ID (a profile update or a refetch). It never returns ErrDuplicate.
	SaveActor(ctx context.Context, a Actor) error

	// Actor returns the actor with that id, or ErrNotFound.
	Actor(ctx context.Context, id string) (Actor, error)

	// ActorByKeyID returns the owner of a verified key (SaveKey), with
	// PublicKeyID and PublicKeyPEM set to that key, so a signature can be
	// checked without a fetch. It returns ErrNotFound when no key of that
	// id was verified, or its owner is not stored.
	ActorByKeyID(ctx context.Context, keyID string) (Actor, error)
	// SaveKey records a key whose binding to its owner was verified both
	// ways, replacing any earlier binding of the same key id.
	SaveKey(ctx context.Context, k ActorKey) error

	// SaveReaction records a like or boost. It returns ErrDuplicate, and
	// changes nothing, when a reaction with the same ID, or of the same kind by
	// the same actor on the same object, is already there: each actor counts
	// once.
	SaveReaction(ctx context.Context, r Reaction) error

	// RemoveReaction removes a reaction of r.Actor (an Undo): by r.ID when
	// it is set, else by r.Kind and r.Object. It returns ErrNotFound when no
	// reaction of r.Actor matches: a reaction with that ID by another actor
	// is left as it is.
	RemoveReaction(ctx context.Context, r Reaction) error

	// Counts returns the like and boost counts of each object id given.
	// Objects with no reactions are absent from the map.
	Counts(ctx context.Context, objectIDs []string) (map[string]Counts, error)

	// Apply runs fn and marks activityID seen, in one transaction: either
	// the mark and all of fn's changes are committed, or none is, so a
	// crash or a failure in between cannot lose an activity's effect nor
	// leave it marked. When activityID was already applied, fn is not
	// called and Apply returns false and nil (a replay); of two concurrent
	// calls with the same id, fn runs once. When fn returns an error,
	// nothing is committed and Apply returns that error (wrapped), so the
	// sender's retry is applied. fn runs while the store holds its write
	// lock: it must only use tx, never do network I/O, and never call the
	// Store's own methods (they would wait for the lock fn holds).
	Apply(ctx context.Context, activityID string, fn func(tx Tx) error) (applied bool, err error)

	// ActivitySeen reports whether Apply has applied activityID. It is a
	// read, for skipping slow work (fetches) on a replay; Apply decides.
	ActivitySeen(ctx context.Context, activityID string) (bool, error)

	// ForgetActivitiesBefore removes the marks set before t, to bound the
	// table; servers stop retrying after a few days.
	ForgetActivitiesBefore(ctx context.Context, t time.Time) error

	// --- tombstones and reports (Flags) ---

	// ForgetTombstonesBefore removes the tombstones of Deletes that arrived
	// before t, to bound the table (see TombstoneRetention).
	ForgetTombstonesBefore(ctx context.Context, t time.Time) error

	// SaveFlag stores a report. It returns ErrDuplicate, changing nothing,
	// when a Flag with the same ID is there.
	SaveFlag(ctx context.Context, f Flag) error

	// Flags returns up to limit reports, newest first. None gives an empty
	// list and nil.
	Flags(ctx context.Context, limit int) ([]Flag, error)

	// --- end of tombstones and reports ---

	// EnqueueDelivery queues d and returns it with its ID and Created set.
	// NextAttempt zero means now. It returns ErrDuplicate, queueing nothing,
	// when the same ActivityID is already queued for the same Inbox.
	EnqueueDelivery(ctx context.Context, d Delivery) (Delivery, error)

	// ClaimDeliveries returns up to limit deliveries due at now (NextAttempt
	// not after now), the longest due first, in ID order, and claims them: each has its
	// Attempts incremented and its NextAttempt moved to now+DeliveryLease, so
	// no other claim returns it until the lease runs out (a crashed worker's
	// deliveries come back by themselves). The returned values show the new
	// Attempts. No due deliveries gives an empty list and nil.
	ClaimDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)

	// CompleteDelivery removes the delivery from the queue, after it was
	// delivered or given up on. It returns ErrNotFound when there is no
	// delivery with that id.
	CompleteDelivery(ctx context.Context, id int64) error

	// RetryDelivery records a failed attempt: the delivery is due again at
	// next and LastError is cause's message. It returns ErrNotFound when there
	// is no delivery with that id.
	RetryDelivery(ctx context.Context, id int64, next time.Time, cause error) error

	// Giving delivery claims back (issues 10 and 11).

	// ReleaseClaims gives back the claims of processes that no longer run,
	// as if they had never been claimed: each is due at now and its claim's
	// attempt is not counted. It returns how many there were. A claim
	// carries the id of the Store that made it; this Store's own claims,
	// and on PostgreSQL those of every Store that is still open in a live
	// process, are left alone. On SQLite, which one process uses, every
	// claim not made by this Store is a dead process's. The companion calls
	// it when it starts and, on a store several processes share, every few
	// seconds, so what a killed process had claimed goes out soon instead
	// of when its lease runs out.
	ReleaseClaims(ctx context.Context, now time.Time) (int, error)

	// PostponeDeliveries gives back claimed deliveries without attempting
	// them: each is due again at next and its claim's attempt is not
	// counted. Ids not claimed or not queued are skipped.
	PostponeDeliveries(ctx context.Context, ids []int64, next time.Time) error

	// SaveLessonObject inserts or replaces the object of (LessonID, CohortID).
	// It returns ErrDuplicate when another lesson or cohort already uses
	// o.ObjectID.
	SaveLessonObject(ctx context.Context, o LessonObject) error

	// LessonObject returns the object of a lesson in a cohort, or ErrNotFound.
	LessonObject(ctx context.Context, lessonID, cohortID string) (LessonObject, error)

	// LessonObjectByID returns the lesson object whose ObjectID is objectID,
	// or ErrNotFound: the inbox uses it to find the lesson a reply is in.
	LessonObjectByID(ctx context.Context, objectID string) (LessonObject, error)

	// LessonObjects returns all lesson objects ordered by Published, then
	// ObjectID, for the outbox.
	LessonObjects(ctx context.Context) ([]LessonObject, error)

	// KeyPair returns the key of owner, calling generate and storing its
	// result the first time. Concurrent first calls all return the same
	// stored key. An error from generate is returned wrapped and nothing is
	// stored.
	KeyPair(ctx context.Context, owner string, generate func() (Key, error)) (Key, error)

	// DeleteActorContent erases what a deleted account left: its replies
	// become tombstones, its reactions and its follow are removed, and the
	// cached actor is dropped. It returns nil when there was nothing.
	DeleteActorContent(ctx context.Context, actorID string) error

	ModerationStore

	FollowLimitStore

	PagedListStore

	RepliesToStore

	ThreadChangesStore
	QueueStatsStore

	ProcessesStore

	LoginThrottleStore

	ModeratorNoticesStore

	DirectStore
	FeedbackStore
	// Reflection journals (issue 14).
	JournalStore

	// Close releases the store's resources.
	Close() error
}

// ModerationStore is the part of the Store the moderators use: reply
// states, featured replies, blocks, moderator accounts, sessions and the
// audit log. Every method that changes what a page shows takes the
// AuditEntry that records it and commits both together, or neither; an
// entry's zero At means now, and its ID is assigned.
type ModerationStore interface {
	// SetReplyState sets the moderation state of a reply and logs e. It
	// returns the reply as it is now. A reply already in that state is left
	// as it is, and e is still logged (the moderator did act). It returns
	// ErrNotFound, logging nothing, when no reply has that id.
	SetReplyState(ctx context.Context, id string, state ReplyState, e AuditEntry) (Reply, error)

	// Replies returns the listable (public or unlisted), not deleted replies
	// that f selects, newest first, for the moderators. No match gives an
	// empty list and nil.
	Replies(ctx context.Context, f ReplyFilter) ([]Reply, error)

	// FeatureReply pins a reply after its lesson's other featured replies,
	// sets it Shown (featuring a held reply approves it), and logs e. It
	// returns ErrNotFound when no reply has that id and ErrDuplicate when it
	// is already featured, logging nothing either way.
	FeatureReply(ctx context.Context, id string, e AuditEntry) (Feature, error)

	// UnfeatureReply unpins a reply, closes the gap in its lesson's order,
	// logs e, and returns the feature it removed (whose Since names the
	// boost to undo). It returns ErrNotFound, logging nothing, when the
	// reply is not featured.
	UnfeatureReply(ctx context.Context, id string, e AuditEntry) (Feature, error)

	// Features returns the featured replies of a lesson's thread in one
	// cohort ("" for none), in pinned order. A thread without any gives an
	// empty list and nil.
	Features(ctx context.Context, lessonID, cohortID string) ([]Feature, error)

	// SaveBlock records b (Created zero means now) and logs e. It returns
	// ErrDuplicate, logging nothing, when b.Target is already blocked.
	SaveBlock(ctx context.Context, b Block, e AuditEntry) error

	// RemoveBlock removes the block of target, logs e and returns the block
	// it removed. It returns ErrNotFound, logging nothing, when target is
	// not blocked.
	RemoveBlock(ctx context.Context, target string, e AuditEntry) (Block, error)

	// Blocks returns every block, actors and domains, ordered by Target.
	Blocks(ctx context.Context) ([]Block, error)

	// Blocked returns the block that covers actorID (an actor id, or any URL
	// on its server for a domain block), or ErrNotFound when none does.
	Blocked(ctx context.Context, actorID string) (Block, error)

	// ActorByHandle returns the cached actor whose Handle is handle
	// (case-insensitive, the leading @ optional), or ErrNotFound.
	ActorByHandle(ctx context.Context, handle string) (Actor, error)

	// AddModerator stores a moderator account (Created zero means now). It
	// returns ErrDuplicate, changing nothing, when the name is taken.
	AddModerator(ctx context.Context, m Moderator) error

	// SetModeratorPassword replaces a moderator's password hash and ends
	// all their sessions. It returns ErrNotFound when there is no such
	// moderator.
	SetModeratorPassword(ctx context.Context, name, hash string) error

	// RemoveModerator deletes a moderator account and ends all its sessions;
	// the audit log keeps what it did. It returns ErrNotFound when there is no
	// such moderator.
	RemoveModerator(ctx context.Context, name string) error

	// Moderator returns the moderator with that name, or ErrNotFound.
	Moderator(ctx context.Context, name string) (Moderator, error)

	// Moderators returns every moderator account, ordered by name.
	Moderators(ctx context.Context) ([]Moderator, error)

	// CreateSession stores a session. It returns ErrNotFound when its
	// moderator does not exist and ErrDuplicate when its IDHash is taken.
	CreateSession(ctx context.Context, s Session) error

	// Session returns the session with that id hash, expired or not (the
	// caller compares Expires with its clock), or ErrNotFound.
	Session(ctx context.Context, idHash string) (Session, error)

	// DeleteSession ends a session. It returns ErrNotFound when there is
	// none with that id hash.
	DeleteSession(ctx context.Context, idHash string) error

	// DeleteSessionsBefore removes the sessions that expired before t.
	DeleteSessionsBefore(ctx context.Context, t time.Time) error

	// AppendAudit logs e by itself, for what changes no page (a login) and
	// returns it with ID and At set.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)

	// AuditLog returns up to limit entries with an ID below before (0 for
	// the newest), newest first.
	AuditLog(ctx context.Context, before int64, limit int) ([]AuditEntry, error)

	// AuditSince returns up to limit entries with an ID above after, oldest
	// first, so a watcher can follow the log.
	AuditSince(ctx context.Context, after int64, limit int) ([]AuditEntry, error)
}

// ReplyFilter selects replies for the moderators. Zero fields select all.
type ReplyFilter struct {
	LessonID string     // only this lesson's thread
	CohortID string     // with LessonID: only this cohort's thread of it
	State    ReplyState // only replies in this state
	Actor    string     // only this author's
	Since    time.Time  // only those published at or after this; zero means any time
	Limit    int        // at most this many; 0 means no limit
}

// FollowLimitStore counts one server's follows, so the inbox can limit how
// many followers one host adds (issue 10; its own block to ease merging).
type FollowLimitStore interface {
	// HostFollows counts the follows from the host of actorID (its id's
	// host and port, over http or https): its followers, those of them that
	// became followers at or after since, and its pending follows; and
	// whether actorID itself already follows or waits. A host with none
	// gives zeros and nil.
	HostFollows(ctx context.Context, actorID string, since time.Time) (HostFollows, error)
}

// HostFollows is what HostFollows counts for one host.
type HostFollows struct {
	Followers    int  // followers whose id is on the host
	NewFollowers int  // of them, those who followed at or after the time asked about
	Pending      int  // pending follows whose actor is on the host
	Following    bool // the actor asked about already follows
	Waiting      bool // the actor asked about already has a pending follow
}

// PagedListStore gives the moderators' long lists a page at a time (issue
// 10; its own block to ease merging).
type PagedListStore interface {
	// PendingFollowsPage returns a page of PendingFollows' list (oldest
	// first, by Requested then ActorID) as q asks. None gives an empty list
	// and nil.
	PendingFollowsPage(ctx context.Context, q PageQuery) ([]PendingFollow, error)

	// RepliesPage returns a page of Replies(f)'s list (newest first, by
	// Published then ID, both descending) as q asks; f.Limit is ignored.
	// None gives an empty list and nil.
	RepliesPage(ctx context.Context, f ReplyFilter, q PageQuery) ([]Reply, error)
}

// RepliesToStore reads one page of a post's replies collection without
// reading its whole thread (issue 10; its own block to ease merging): a
// lesson's Note embeds its first page, and anyone may fetch the Note.
type RepliesToStore interface {
	// RepliesTo returns the ids of the replies that Thread(lessonID,
	// cohortID) lists and that answer parentID itself, in Thread's order,
	// skipping the first offset of them and returning at most limit.
	// Reading stops there, so a page costs about offset+limit replies, not
	// the thread. None gives an empty list and nil.
	RepliesTo(ctx context.Context, lessonID, cohortID, parentID string, offset, limit int) ([]string, error)
}

// ThreadChangesStore tells a reader what changed in a thread since it last
// looked, so a page open on a thread of thousands of replies fetches a few
// instead of all (issue 11; its own block to ease merging). Every change to
// what a thread shows of a reply (it arrives, is edited, deleted, hidden,
// shown, featured, unfeatured, liked, boosted, or a reaction is undone) gives
// the reply the next number of one store-wide sequence, in commit order.
// Blocks are not numbered: a block shows when the thread is read again.
type ThreadChangesStore interface {
	// ThreadSeq returns the number of the newest change in a lesson's
	// thread in one cohort ("" for none), or 0 when it has had none. Read it
	// before reading the thread: ThreadChanges after it then misses nothing
	// that the thread read did not show.
	ThreadSeq(ctx context.Context, lessonID, cohortID string) (int64, error)

	// ThreadChanges returns up to limit replies of a lesson's thread in one
	// cohort ("" for none) whose newest change is numbered above after, in
	// change order, each with its number and whether Thread lists it now. A
	// reply not listed (deleted, hidden, held, not public, or by a blocked
	// author) is one for a reader to remove. None gives an empty list and nil.
	ThreadChanges(ctx context.Context, lessonID, cohortID string, after int64, limit int) ([]ThreadChange, error)
}

// ThreadChange is a reply as it is after its newest change.
type ThreadChange struct {
	Reply
	Seq    int64 // the change's number
	Listed bool  // Thread lists the reply: show it; else remove it
}

// QueueStatsStore measures the delivery queue for the operator's metrics
// (issue 11; its own block to ease merging).
type QueueStatsStore interface {
	// DeliveryQueueStats counts the queued deliveries (claimed or not),
	// those due at now and not claimed, and gives the Created time of the
	// oldest one. An empty queue gives zeros and nil.
	DeliveryQueueStats(ctx context.Context, now time.Time) (QueueStats, error)
}

// QueueStats is what DeliveryQueueStats measures.
type QueueStats struct {
	Depth  int       // deliveries in the queue
	Due    int       // of them, due now and not claimed by a worker
	Oldest time.Time // when the oldest was queued; zero for an empty queue
}

// Optional abilities of a Store, for the operator (issue 11; its own block
// to ease merging). An engine offers those it can; the commands that need
// one say so when the store in use has not.

// Pinger is a Store that can tell whether its database answers and its
// schema is the one this binary expects, for /readyz.
type Pinger interface {
	// Ping runs a cheap query. It returns ErrSchemaBehind (wrapped) when
	// migrations this binary knows of are not applied, and another error
	// when the database does not answer.
	Ping(ctx context.Context) error
}

// ErrSchemaBehind is Ping's answer when the database lacks migrations.
var ErrSchemaBehind = errors.New("database schema is behind this binary: migrations not applied")

// Backuper is a Store that can write a consistent copy of itself while
// the companion keeps running.
type Backuper interface {
	// Backup writes a copy of the whole store to path, which must not
	// exist.
	Backup(ctx context.Context, path string) error
}

// Archiver is a Store that can give its whole discussion and take one
// back, for `cohort export` and `cohort import` (issue 11; its own block to
// ease merging).
type Archiver interface {
	// ExportDiscussion returns the course's whole discussion as one
	// consistent snapshot: every lesson object, every reply (held, hidden,
	// deleted and non-public ones too), reaction, feature, block, audit
	// entry and report, each in a stable order.
	ExportDiscussion(ctx context.Context) (DiscussionArchive, error)

	// ImportDiscussion adds, in one transaction, each item of a the store
	// lacks, keeping its ids (audit entries too) and states; an item whose
	// id (or, for a lesson object, lesson and cohort) is already there is
	// left as it is, so importing twice changes nothing. It returns how
	// many items it added.
	ImportDiscussion(ctx context.Context, a DiscussionArchive) (int, error)
}

// DiscussionArchive is a course's discussion, as ExportDiscussion gives it.
type DiscussionArchive struct {
	Lessons   []LessonObject // by Published, then ObjectID
	Replies   []Reply        // by Published, then ID
	Reactions []Reaction     // by ID
	Features  []Feature      // by lesson, cohort, then Position
	Blocks    []Block        // by Target
	Audit     []AuditEntry   // by ID
	Flags     []Flag         // by Received, then ID
}

// Len returns how many items a holds.
func (a DiscussionArchive) Len() int {
	return len(a.Lessons) + len(a.Replies) + len(a.Reactions) + len(a.Features) + len(a.Blocks) + len(a.Audit) + len(a.Flags)
}

// ProcessesStore lets several companion processes share one store (issue
// 11; its own block to ease merging). On PostgreSQL the processes may run
// on several machines; on SQLite there is one process, which always leads
// and hears only itself.
type ProcessesStore interface {
	// Leader blocks until this process holds the lock called name, which
	// one process at a time holds among all that share the store, or until
	// ctx ends (then it returns ctx's error). It returns lost, closed when
	// the lock is lost without release being called (the database
	// connection holding it broke: another process may take it over), and
	// release, which gives the lock up and must be called once. A process
	// that dies loses its locks with its connection.
	Leader(ctx context.Context, name string) (lost <-chan struct{}, release func(), err error)

	// Watch tells w what other processes commit, as they commit it, until
	// ctx ends, and then returns nil: a change made through this Store is
	// its caller's to tell. On SQLite it only waits for ctx: one process
	// uses the file, and its own hooks see every change.
	Watch(ctx context.Context, w Watcher) error
}

// LoginThrottleStore keeps the moderators' wrong passwords, so that every
// process sharing the store refuses a guesser alike (issue 11; its own
// block to ease merging). Names are compared case-insensitively.
type LoginThrottleStore interface {
	// AddLoginFailure records a wrong password for name at at.
	AddLoginFailure(ctx context.Context, name string, at time.Time) error

	// LoginFailures returns how many wrong passwords name had at or after
	// since ("" counts every name's), and the time of the nth newest of them,
	// zero when there are fewer than n: once that one is before since, fewer
	// than n remain.
	LoginFailures(ctx context.Context, name string, since time.Time, n int) (count int, nth time.Time, err error)

	// ClearLoginFailures forgets name's wrong passwords (it logged in). A
	// name with none gives nil.
	ClearLoginFailures(ctx context.Context, name string) error

	// ForgetLoginFailuresBefore removes the wrong passwords recorded before
	// t, to bound the table.
	ForgetLoginFailuresBefore(ctx context.Context, t time.Time) error
}

// Watcher is what Store.Watch calls; a nil field is not called. When the
// store may have missed changes (its connection was re-made), it calls
// Thread("") and Queued().
type Watcher struct {
	// Thread is called with the lesson id of a thread another process
	// changed; "" means any thread may have changed (a block).
	Thread func(lessonID string)
	// Queued is called when another process queued deliveries, so that
	// this process's worker shares the sending.
	Queued func()
}

// --- moderators' notices (issue 14, the weekly weave) ---

// ModeratorNoticesStore remembers what each moderator was told by direct
// message and when, so that, however many processes share the store, a
// moderator hears of each item once and gets at most one message per gap.
type ModeratorNoticesStore interface {
	// ClaimNotice decides, in one transaction, what to tell moderator (an
	// actor id) at now: the items not told before, when the last message
	// went out at least gap ago. Then it records them as told and now as
	// the moderator's last message, and returns them. It returns an empty
	// list and changes nothing when the gap has not passed or every item
	// was told; of two concurrent claims for one moderator, one gets the
	// items. Items are opaque names such as "held:<reply id>".
	ClaimNotice(ctx context.Context, moderator string, items []string, now time.Time, gap time.Duration) ([]string, error)

	// ForgetNoticesBefore removes the record of items told before t, to
	// bound the table; an item still pending then is told again.
	ForgetNoticesBefore(ctx context.Context, t time.Time) error
}

// --- end of moderators' notices ---
