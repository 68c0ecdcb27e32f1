package discovery

import (
	"net/http"
	"net/url"

	"github.com/cohort-course/cohort/activitypub/as"
)

// followersPage is how many followers one page lists.
const followersPage = 100

// followers answers /followers: the count, and with ?page=true pages of
// follower ids in id order (?after= continues).
func (h *Handler) followers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := h.o.URLs.Followers()
	q := r.URL.Query()
	if q.Get("page") == "" {
		n, err := h.o.Store.FollowerCount(ctx)
		if err != nil {
			return err
		}
		body, err := as.OrderedCollection(id, n, id+"?page=true", "")
		if err != nil {
			return err
		}
		return writeActivity(w, body)
	}
	after := q.Get("after")
	fs, err := h.o.Store.Followers(ctx, after, followersPage)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(fs))
	for _, f := range fs {
		ids = append(ids, f.ActorID)
	}
	p := as.Page{ID: id + "?page=true", PartOf: id, Total: -1, Items: as.IRIItems(ids)}
	if after != "" {
		p.ID += "&after=" + url.QueryEscape(after)
	}
	if len(fs) == followersPage {
		p.Next = id + "?page=true&after=" + url.QueryEscape(ids[len(ids)-1])
	}
	body, err := as.OrderedCollectionPage(p)
	if err != nil {
		return err
	}
	return writeActivity(w, body)
}
