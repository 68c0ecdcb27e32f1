package moderation

import (
	"net/http"

	"github.com/cohort-course/cohort/activitypub"
)

// journalPage is how many journal entries one page of the moderator's
// journal list holds: as many as a thread's page (threadPage), for the
// same reason — a cohort of hundreds posts hundreds of reflections a week.
const journalPage = threadPage

// entryView is a journal entry as the moderator's journal list shows it:
// with its author's handle and the block that takes it off, if any.
type entryView struct {
	activitypub.JournalEntry
	Author  string
	Blocked string
}

type journalData struct {
	Entries []entryView
	Pages   pageLinks
}

// journal lists the reflection journals' entries (issue 14), newest
// first, whatever their state, a page at a time, each with hide or show
// and a block of its author.
func (h *Handler) journal(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	q, err := pageQuery(r, journalPage)
	if err != nil {
		return err
	}
	entries, err := h.o.Store.JournalEntriesPage(ctx, q)
	if err != nil {
		return err
	}
	entries, pages := paged(entries, q, journalPage, func(e activitypub.JournalEntry) activitypub.Cursor {
		return activitypub.Cursor{At: e.Published, ID: e.ID}
	}, true)
	// The handles and blocks come as a reply's do (pages.go views).
	replies := make([]activitypub.Reply, len(entries))
	for i, e := range entries {
		replies[i] = activitypub.Reply{ID: e.ID, Actor: e.Actor}
	}
	rv, err := h.views(r, replies, nil)
	if err != nil {
		return err
	}
	views := make([]entryView, len(entries))
	for i, e := range entries {
		views[i] = entryView{JournalEntry: e, Author: rv[i].Author, Blocked: rv[i].Blocked}
	}
	return h.render(w, "journal", http.StatusOK, page{Heading: "Reflection journals", Moderator: s.moderator, CSRF: s.csrf,
		Current: "journal", Notice: r.URL.Query().Get("notice"), Data: journalData{Entries: views, Pages: pages}})
}
