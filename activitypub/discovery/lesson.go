package discovery

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/cohort-course/cohort/activitypub/as"

	"github.com/cohort-course/cohort/activitypub"
)

// repliesPage is how many replies one page of a replies collection lists.
const repliesPage = 50

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
// their servers), and with ?page=N their Nth page. A private cohort's
// replies are not listed unless its discussion is shown (404).
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
	thread, err := h.o.Store.Thread(ctx, lessonID, cohortID)
	if err != nil {
		return err
	}
	var ids []string
	for _, rep := range thread {
		if rep.InReplyTo == o.ObjectID {
			ids = append(ids, rep.ID)
		}
	}
	id := h.o.URLs.CohortReplies(cohortID, lessonID)
	pageArg := r.URL.Query().Get("page")
	if pageArg == "" {
		body, err := as.OrderedCollection(id, len(ids), id+"?page=1", "")
		if err != nil {
			return err
		}
		return writeActivity(w, body)
	}
	page, err := strconv.Atoi(pageArg)
	if err != nil || page < 1 {
		return activitypub.Fail(http.StatusBadRequest, "page must be a positive number", nil)
	}
	start := min((page-1)*repliesPage, len(ids))
	end := min(start+repliesPage, len(ids))
	p := as.Page{ID: fmt.Sprintf("%s?page=%d", id, page), PartOf: id, Total: -1, Items: as.IRIItems(ids[start:end])}
	if page > 1 {
		p.Prev = fmt.Sprintf("%s?page=%d", id, page-1)
	}
	if end < len(ids) {
		p.Next = fmt.Sprintf("%s?page=%d", id, page+1)
	}
	body, err := as.OrderedCollectionPage(p)
	if err != nil {
		return err
	}
	return writeActivity(w, body)
}
