package moderation

import (
	"context"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

// setJournalState moderates a reflection journal's entry (issue 14) by
// its id, as setState does a reply: hide takes it off the journal pages
// and the journal API, show puts it back. It returns the entry as a Reply
// with no lesson, so the callers print it alike.
func (a *Actions) setJournalState(ctx context.Context, who, id, reason, action string, st activitypub.ReplyState) (activitypub.Reply, error) {
	e, err := a.o.Store.SetJournalEntryState(ctx, id, st, a.entry(who, action, id, reason))
	if err != nil {
		return activitypub.Reply{}, fmt.Errorf("%s: %w", action, err)
	}
	a.log.Info("journal entry moderated", "action", action, "entry_id", id, "by", who)
	a.changed(activitypub.JournalChanged)
	return activitypub.Reply{ID: e.ID, Actor: e.Actor, URL: e.URL, Published: e.Published, Updated: e.Updated,
		Content: e.Content, Summary: e.Summary, Sensitive: e.Sensitive, Visibility: activitypub.Public, State: e.State}, nil
}
