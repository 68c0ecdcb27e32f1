package discovery

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/publish"
)

// outbox answers /outbox: an OrderedCollection of the lesson Creates, and
// with ?page=true its one page (a course has tens of lessons, not
// thousands), newest first.
func (h *Handler) outbox(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	objs, err := h.o.Store.LessonObjects(ctx)
	if err != nil {
		return err
	}
	var items []json.RawMessage
	for i := len(objs) - 1; i >= 0; i-- {
		o := objs[i]
		if o.ContentHash == publish.DeletedHash || h.private(o.CohortID) {
			continue
		}
		if r.URL.Query().Get("page") == "" {
			items = append(items, nil) // counted only
			continue
		}
		n, err := h.o.Notes.Note(ctx, o.LessonID, o.CohortID)
		if errors.Is(err, activitypub.ErrNotFound) || h.o.Gone(err) {
			continue
		}
		if err != nil {
			return err
		}
		c, err := as.Create(o.ObjectID+"#create", n)
		if err != nil {
			return err
		}
		items = append(items, c)
	}
	id := h.o.URLs.Outbox()
	var body []byte
	if r.URL.Query().Get("page") == "" {
		body, err = as.OrderedCollection(id, len(items), id+"?page=true", "")
	} else {
		body, err = as.OrderedCollectionPage(as.Page{ID: id + "?page=true", PartOf: id, Total: -1, Items: items})
	}
	if err != nil {
		return err
	}
	return writeActivity(w, body)
}
