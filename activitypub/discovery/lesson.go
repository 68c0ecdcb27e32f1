package discovery

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/publish"
)

// maxRepliesPage is the last page of a replies collection that may be
// asked for: 10,000 pages of 50 are more replies than any lesson gets, and
// the bound keeps the offset it reads from overflowing.
const maxRepliesPage = 10_000

// lesson answers /lessons/{id} and /cohorts/{cohort}/lessons/{id}: the
// lesson's Note (of the cohort's post) for servers (a Mastodon search for
// the page URL lands here), a redirect to the page for people, and 410 Gone
// for a removed lesson. A private cohort's Note says only what the lesson
// page says, addressed to the followers; its replies are never listed.
func (h *Handler) lesson(w http.ResponseWriter, r *http.Request) error {
	n, err := h.o.Notes.Note(r.Context(), r.PathValue("id"), r.PathValue("cohort"))
	if h.o.Gone(err) {
		return activitypub.Fail(http.StatusGone, "lesson removed", err)
	}
	if err != nil {
		return notFound(err)
	}
	if !wantsActivity(r) {
		redirectToPage(w, r, n.URL)
		return nil
	}
	body, err := as.Note(n)
	if err != nil {
		return err
	}
	return writeActivity(w, body)
}

// replies answers /lessons/{id}/replies and
// /cohorts/{cohort}/lessons/{id}/replies: the public replies that answer the
// lesson's post itself (answers to them are in their own collections, on
// their servers), as a Collection with its first page embedded, and with
// ?page=N its Nth CollectionPage: the kinds the Note's embedded replies
// use, with the same first page. A private cohort's replies are not listed
// unless its discussion is shown (404).
func (h *Handler) replies(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	lessonID, cohortID := r.PathValue("id"), r.PathValue("cohort")
	if h.private(cohortID) {
		return notFound(fmt.Errorf("replies of private cohort %s: %w", cohortID, activitypub.ErrNotFound))
	}
	o, err := h.o.Store.LessonObject(ctx, lessonID, cohortID)
	if err != nil {
		return notFound(err)
	}
	id := h.o.URLs.CohortReplies(cohortID, lessonID)
	page := 1
	if arg := r.URL.Query().Get("page"); arg != "" {
		page, err = strconv.Atoi(arg)
		if err != nil || page < 1 || page > maxRepliesPage {
			return activitypub.Fail(http.StatusBadRequest, fmt.Sprintf("page must be a number from 1 to %d", maxRepliesPage), nil)
		}
	}
	ids, more, err := publish.RepliesPageOf(ctx, h.o.Store, o, page)
	if err != nil {
		return err
	}
	p := as.Page{ID: publish.RepliesPageURL(id, page), PartOf: id, Total: -1, Items: as.IRIItems(ids)}
	if page > 1 {
		p.Prev = publish.RepliesPageURL(id, page-1)
	}
	if more {
		p.Next = publish.RepliesPageURL(id, page+1)
	}
	var body []byte
	if r.URL.Query().Get("page") == "" {
		body, err = as.Collection(id, p)
	} else {
		body, err = as.UnorderedCollectionPage(p)
	}
	if err != nil {
		return err
	}
	return writeActivity(w, body)
}
