package activitypub

import (
	"context"
	"strings"
	"time"
)

// Reflection journals (issue 14): a participant opts in with a public post
// that uses the course hashtag, or with "!journal on" addressed to the
// course; the course account then follows them back, so their public posts
// reach the inbox, and those that carry the hashtag become entries of their
// journal. Nothing else of theirs is kept: a post without the hashtag, or
// not addressed to the public, is never stored.

// JournalParticipant is a participant who keeps a reflection journal: the
// course account follows them (or asked to).
type JournalParticipant struct {
	ActorID  string    // the participant's actor URI
	Handle   string    // @user@host, for the page's address; "" when unknown
	Inbox    string    // where the course's Follow and its Undo go
	FollowID string    // the id of the course's Follow of them
	Accepted bool      // their server accepted the Follow
	Joined   time.Time // when they opted in; zero means now
	// Left is when they left by "!journal off", unfollowing or refusing
	// the Follow; zero while they keep a journal. The mark stays so that a
	// post with the hashtag does not opt them in again: only "!journal on"
	// does. It holds no entry of theirs.
	Left time.Time
}

// JournalEntry is one public post with the course hashtag by a journal
// participant. Its content is sanitized before it is stored, as a reply's.
type JournalEntry struct {
	ID          string       // the post's URI
	Actor       string       // the author's actor URI
	URL         string       // the post's page on the author's server
	Published   time.Time    // when it was posted
	Updated     time.Time    // when it was last edited; zero if never
	Content     string       // HTML, sanitized
	Summary     string       // the content warning, plain text
	Sensitive   bool         // whether the author marked it sensitive
	Attachments []Attachment // media, in the author's order
	// State is the moderation state: Shown, or Hidden by a moderator.
	// SaveJournalEntry gives a new entry Shown when empty and keeps the
	// stored state on an edit.
	State ReplyState
}

// Version returns the time that orders edits of the entry: Updated when
// set, else Published.
func (e JournalEntry) Version() time.Time {
	if !e.Updated.IsZero() {
		return e.Updated
	}
	return e.Published
}

// JournalFilter selects journal entries. Zero fields select all.
type JournalFilter struct {
	Actor string    // only this participant's
	From  time.Time // only entries published at or after this
	To    time.Time // only entries published before this
}

// JournalStore keeps the reflection journals (issue 14; its own block to
// ease merging).
type JournalStore interface {
	// JournalParticipant returns the participant with that actor id, or
	// ErrNotFound.
	JournalParticipant(ctx context.Context, actorID string) (JournalParticipant, error)

	// JournalParticipants returns every participant, ordered by Handle then
	// ActorID. None gives an empty list and nil.
	JournalParticipants(ctx context.Context) ([]JournalParticipant, error)

	// JournalEntries returns the entries f selects that may appear on a
	// public page: Shown, by a participant still in the journal (not
	// Left), and by an
	// author no Block covers; ordered by Published, then ID. None gives an
	// empty list and nil.
	JournalEntries(ctx context.Context, f JournalFilter) ([]JournalEntry, error)

	// SetJournalEntryState sets an entry's moderation state and logs e,
	// both or neither, and returns the entry as it is now. It returns
	// ErrNotFound, logging nothing, when no entry has that id.
	SetJournalEntryState(ctx context.Context, id string, state ReplyState, e AuditEntry) (JournalEntry, error)

	// JournalEntriesPage returns a page of the entries a moderator sees:
	// those of participants still in the journal, whatever their state and
	// whoever blocks their author, newest first by Published then ID, at
	// most q.Limit of them, after q.After (older) or before q.Before
	// (newer) as RepliesPage does. None gives an empty list and nil.
	JournalEntriesPage(ctx context.Context, q PageQuery) ([]JournalEntry, error)
}

// JournalTx is the journal's part of an inbound activity's transaction
// (see Tx).
type JournalTx interface {
	// JournalParticipant is Store.JournalParticipant, as this transaction
	// sees it.
	JournalParticipant(actorID string) (JournalParticipant, error)
	// SaveJournalParticipant inserts p, or replaces the participant with
	// the same ActorID (a new Follow after a refused one). It never returns
	// ErrDuplicate.
	SaveJournalParticipant(p JournalParticipant) error
	// AcceptJournalFollow marks the participant whose Follow has followID
	// as accepted, and returns them. It returns ErrNotFound when no
	// participant's Follow has that id.
	AcceptJournalFollow(followID string) (JournalParticipant, error)
	// RemoveJournalParticipant removes the participant (and the mark of
	// one who left) and every entry of theirs, and returns the participant
	// as it was. It returns ErrNotFound when actorID is not a participant
	// (their entries, if any, still go).
	RemoveJournalParticipant(actorID string) (JournalParticipant, error)
	// SaveJournalEntry stores e, inserting it or replacing the stored entry
	// with the same ID (an edit). Two cases change nothing and return nil:
	// a Tombstone of e.ID by e.Actor is kept (the Delete came first), or
	// the stored copy is newer. It returns ErrNotOwner, changing nothing,
	// when the stored entry with that ID has another Actor.
	SaveJournalEntry(e JournalEntry) error
	// DeleteJournalEntry removes actor's entry with that id. It returns
	// ErrNotFound when actor has no entry with that id.
	DeleteJournalEntry(id, actor string) error
}

// NormalizeHashtag returns a hashtag's name as the journal compares it:
// without the leading '#', lower-cased. Mastodon and GoToSocial lower-case
// the names they read; Misskey keeps the case it was typed in, so two
// posts may write one tag differently.
func NormalizeHashtag(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "#"))
}

// JournalChanged is the lesson id the companion's Changed callbacks are
// given when a journal changed (an entry came, was edited, hidden or
// deleted, or a participant left): no lesson id has a '#', so a builder
// that marks it stale rebuilds the journal pages and no lesson page.
const JournalChanged = "#journal"
