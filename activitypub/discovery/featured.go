package discovery

import (
	"errors"
	"net/http"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/publish"
)

// featuredLimit is how many posts the featured collection pins at most:
// Mastodon lets an account pin five (app/validators/status_pin_validator.rb
// in mastodon/mastodon), and a profile shows them above everything else.
const featuredLimit = 5

// featured answers /featured: the course actor's pinned posts, which
// Mastodon and GoToSocial show on top of its profile. They are the newest
// post of each public cohort (or of the course without cohorts), newest
// first: the lesson under discussion now, where someone who finds the
// account should reply. A private cohort's posts are for its followers
// only and never pinned.
func (h *Handler) featured(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	objs, err := h.o.Store.LessonObjects(ctx)
	if err != nil {
		return err
	}
	var notes []as.LessonNote
	pinned := map[string]bool{} // cohorts whose newest post is in notes
	for i := len(objs) - 1; i >= 0 && len(notes) < featuredLimit; i-- {
		o := objs[i]
		if pinned[o.CohortID] || o.ContentHash == publish.DeletedHash || h.followersOnly(o.CohortID) {
			continue
		}
		n, err := h.o.Notes.Note(ctx, o.LessonID, o.CohortID)
		if errors.Is(err, activitypub.ErrNotFound) || h.o.Gone(err) {
			continue
		}
		if err != nil {
			return err
		}
		pinned[o.CohortID] = true
		notes = append(notes, n)
	}
	body, err := as.Featured(h.o.URLs.Featured(), notes)
	if err != nil {
		return err
	}
	return writeActivity(w, body)
}

// followersOnly reports whether cohortID is a private cohort, whose posts
// are addressed to the followers alone.
func (h *Handler) followersOnly(cohortID string) bool {
	if cohortID == "" || h.o.Course == nil {
		return false
	}
	for _, c := range h.o.Course.Cohorts {
		if c.ID == cohortID {
			return c.Audience == "private"
		}
	}
	return false
}
